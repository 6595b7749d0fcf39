namespace Gan3D.Models;

/// <summary>
/// The viewpoints training images are rendered from: azimuth uniform in [<see cref="AzimuthMin"/>,
/// <see cref="AzimuthMax"/>) and elevation uniform in [<see cref="ElevationMin"/>, <see cref="ElevationMax"/>], in degrees.
/// </summary>
public sealed record ViewSampling
{
    /// <summary>Lowest azimuth (degrees; 0 looks at the front).</summary>
    public float AzimuthMin { get; init; }

    /// <summary>Highest azimuth (degrees).</summary>
    public float AzimuthMax { get; init; } = 360;

    /// <summary>Lowest elevation (degrees above the horizon).</summary>
    public float ElevationMin { get; init; } = 10;

    /// <summary>Highest elevation (degrees).</summary>
    public float ElevationMax { get; init; } = 40;

    /// <summary>Throws a clear error for an empty or impossible range.</summary>
    public void Validate()
    {
        if (!(AzimuthMax >= AzimuthMin) || !(ElevationMax >= ElevationMin) || ElevationMin < -89.9f || ElevationMax > 89.9f)
        {
            throw new ArgumentException($"view ranges azimuth [{AzimuthMin}, {AzimuthMax}] and elevation [{ElevationMin}, {ElevationMax}] must be ordered, with elevations within ±89.9°");
        }
    }

    /// <summary>One viewpoint from two uniform numbers in [0, 1).</summary>
    public (float Azimuth, float Elevation) At(double u, double v) =>
        ((float)(AzimuthMin + u * (AzimuthMax - AzimuthMin)), (float)(ElevationMin + v * (ElevationMax - ElevationMin)));
}

/// <summary>
/// Everything that decides a 3D-VAE-GAN run: the 3D-GAN settings (z ~ N(0, I), the prior of the KL
/// term) plus the image encoder, its learning rate, the loss weights of
/// L = L_3D-GAN + α1·KL(q(z|y) ‖ N(0, I)) + α2·‖G(E(y)) − x‖² (paper: α1 = 5, α2 = 1e-4) and the
/// viewpoints training images are rendered from. The squared error is summed over voxels and
/// averaged over the batch; the KL is averaged over the batch and over z's dimensions (nats a
/// dimension). The paper leaves these reductions open; with the KL summed over z instead, α1 = 5
/// would charge 5 per nat, more than a nat can save in squared error at 32³, and the encoder would
/// collapse onto the prior (every image decoded alike).
/// </summary>
public sealed record VaeGanTrainingOptions : GanTrainingOptions
{
    /// <summary>Defaults: the 3D-GAN's, with normal latent codes.</summary>
    public VaeGanTrainingOptions()
    {
        Latent = LatentDistribution.Normal;
    }

    /// <summary>
    /// The 3D-GAN settings of <paramref name="gan"/>, its latent distribution included, with the
    /// encoder's defaults. Copied by the record's copy constructor, so a setting added to
    /// <see cref="GanTrainingOptions"/> is never left behind.
    /// </summary>
    public VaeGanTrainingOptions(GanTrainingOptions gan)
        : base(gan)
    {
    }

    /// <summary>Input side of the encoder in pixels.</summary>
    public int ImageSize { get; init; } = 64;

    /// <summary>RGB input images instead of grey.</summary>
    public bool Rgb { get; init; }

    /// <summary>Encoder width multiplier (null: the model's width).</summary>
    public double? EncoderWidth { get; init; }

    /// <summary>Encoder learning rate (Adam, the run's betas).</summary>
    public float LearningRateE { get; init; } = 1e-4f;

    /// <summary>α1, the weight of the KL term.</summary>
    public float KlWeight { get; init; } = 5f;

    /// <summary>α2, the weight of the reconstruction term.</summary>
    public float ReconstructionWeight { get; init; } = 1e-4f;

    /// <summary>Viewpoints of rendered training images.</summary>
    public ViewSampling Views { get; init; } = new();

    /// <summary>The encoder these settings build.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public EncoderArchitecture Encoder => new(ImageSize, Rgb ? 3 : 1, EncoderWidth ?? Architecture.Width, Architecture.LatentDim);

    /// <inheritdoc/>
    public override void Validate()
    {
        base.Validate();
        Encoder.Validate();
        Views.Validate();
        if (Latent != LatentDistribution.Normal)
        {
            throw new ArgumentException("the 3D-VAE-GAN draws z from N(0, I), the prior of its KL term: use the normal latent distribution");
        }
        if (Architecture.Classes > 0)
        {
            throw new ArgumentException("the 3D-VAE-GAN's G decodes an image's code, which carries no label: a conditional GAN is a 3D-GAN's");
        }
        if (ModeSeeking != 0)
        {
            throw new ArgumentException($"the mode-seeking term ({ModeSeeking}) is a 3D-GAN's; the 3D-VAE-GAN's G learns its variety from the reconstruction term");
        }
        if (DSteps != 1)
        {
            throw new ArgumentException($"the 3D-VAE-GAN updates D once with each of G's and the encoder's updates; {DSteps} D updates a G step are a 3D-GAN's");
        }
        if (!(LearningRateE > 0 && LearningRateE <= 1))
        {
            throw new ArgumentException($"the encoder learning rate must be in (0, 1], got {LearningRateE}");
        }
        if (!(KlWeight >= 0) || !(ReconstructionWeight >= 0) || float.IsInfinity(KlWeight) || float.IsInfinity(ReconstructionWeight))
        {
            throw new ArgumentException($"loss weights must be finite and non-negative, got KL {KlWeight} and reconstruction {ReconstructionWeight}");
        }
    }

    /// <summary>Reads the settings written by <see cref="GanTrainingOptions.ToJson"/>.</summary>
    public static new VaeGanTrainingOptions FromJson(string json, string source) => Read<VaeGanTrainingOptions>(json, source);
}
