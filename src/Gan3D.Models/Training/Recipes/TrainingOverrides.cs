namespace Gan3D.Models;

/// <summary>
/// Settings that replace a <see cref="TrainingPreset"/>'s (null: keep the preset's, or the options
/// type's default where the preset names none). The values are not checked here: the trainer
/// validates the options it is given.
/// </summary>
public sealed record TrainingOverrides
{
    /// <summary>Voxel resolution of the model (32 or 64).</summary>
    public int? Resolution { get; init; }

    /// <summary>Channel width multiplier.</summary>
    public double? Width { get; init; }

    public int? BatchSize { get; init; }

    public float? LearningRateG { get; init; }

    public float? LearningRateD { get; init; }

    /// <summary>D trains on a batch only when its accuracy on the previous one was below this (1: always).</summary>
    public float? DAccuracyThreshold { get; init; }

    public LatentDistribution? Latent { get; init; }

    /// <summary>Decay of G's moving average (0: off).</summary>
    public float? GeneratorEma { get; init; }

    /// <summary>The adversarial loss (null: the options' own, the paper's BCE unless a preset names another).</summary>
    public AdversarialLoss? Loss { get; init; }

    /// <summary>D's normalisation (null: the options' own, the paper's batch norm unless a preset names another).</summary>
    public DiscriminatorNorm? DiscriminatorNorm { get; init; }

    /// <summary>Whether D gets a minibatch standard deviation channel (null: the options' own, off unless a preset turns it on).</summary>
    public bool? MinibatchStd { get; init; }

    /// <summary>The minibatch standard deviation's group size (null: the options' own, the whole batch unless a preset names one).</summary>
    public int? MinibatchStdGroup { get; init; }

    /// <summary>Shapes D judges together, PacGAN's packing (null: the options' own, one unless a preset names more).</summary>
    public int? DiscriminatorPack { get; init; }

    /// <summary>Instance noise σ0 on D's inputs (null: the options' own, off unless a preset turns it on).</summary>
    public float? InstanceNoise { get; init; }

    /// <summary>Iterations over which the instance noise falls to 0 (null: the options' own; 0 keeps it constant).</summary>
    public long? InstanceNoiseIterations { get; init; }

    /// <summary>γ of the R1 gradient penalty on D (null: the options' own, off unless a preset turns it on).</summary>
    public float? R1Gamma { get; init; }

    /// <summary>The R1 penalty's interval in D updates (null: the options' own, every update).</summary>
    public int? R1Every { get; init; }

    /// <summary>Iterations D sees shapes at half resolution before they fade to full (null: the options' own, none).</summary>
    public long? GrowIterations { get; init; }

    /// <summary>Adam's β1 for every network of an adversarial run (null: the options' own, the paper's 0.5).</summary>
    public float? Beta1 { get; init; }

    /// <summary>Adam's β2 for every network of an adversarial run (null: the options' own, 0.999).</summary>
    public float? Beta2 { get; init; }

    /// <summary>D's updates a G step (null: the options' own, one).</summary>
    public int? DSteps { get; init; }

    /// <summary>λ of G's mode-seeking term (null: the options' own, off unless a preset turns it on).</summary>
    public float? ModeSeeking { get; init; }

    /// <summary>Drives initialisation, latent draws and data order (no preset names one: 0 unless given).</summary>
    public ulong Seed { get; init; }

    /// <summary>Latent model: the weight of occupied voxels in its reconstruction loss.</summary>
    public float? OccupiedWeight { get; init; }

    /// <summary>3D-VAE-GAN: the encoder's input side in pixels.</summary>
    public int? ImageSize { get; init; }

    /// <summary>3D-VAE-GAN: RGB encoder input instead of grey.</summary>
    public bool Rgb { get; init; }

    /// <summary>3D-VAE-GAN: α1, the weight of the KL term.</summary>
    public float? KlWeight { get; init; }

    /// <summary>3D-VAE-GAN: α2, the weight of the reconstruction term.</summary>
    public float? ReconstructionWeight { get; init; }

    /// <summary>3D-VAE-GAN: the encoder's learning rate.</summary>
    public float? LearningRateE { get; init; }

    /// <summary>3D-VAE-GAN: viewpoints of rendered training images.</summary>
    public ViewSampling? Views { get; init; }

    /// <summary>
    /// <paramref name="options"/> (of either adversarial model) with the settings of the recipe study (issue 17: the loss,
    /// D's normalisation, minibatch standard deviation and pack, instance noise, the R1 penalty, G's mode-seeking term)
    /// replaced where given here. <see cref="TrainingPreset.GanOptions"/> and
    /// <see cref="TrainingPreset.VaeGanOptions"/> end with it; applying it again changes nothing.
    /// </summary>
    public T ApplyStudySettings<T>(T options)
        where T : GanTrainingOptions => (T)(options with
    {
        Loss = Loss ?? options.Loss,
        // A critic's scores have no sign to be accurate with: WGAN-GP trains D on every batch unless told otherwise.
        DAccuracyThreshold = Loss == AdversarialLoss.WassersteinGp ? DAccuracyThreshold ?? 1f : options.DAccuracyThreshold,
        InstanceNoise = InstanceNoise ?? options.InstanceNoise,
        InstanceNoiseIterations = InstanceNoiseIterations ?? options.InstanceNoiseIterations,
        R1Gamma = R1Gamma ?? options.R1Gamma,
        R1Every = R1Every ?? options.R1Every,
        DSteps = DSteps ?? options.DSteps,
        Beta1 = Beta1 ?? options.Beta1,
        Beta2 = Beta2 ?? options.Beta2,
        GrowIterations = GrowIterations ?? options.GrowIterations,
        ModeSeeking = ModeSeeking ?? options.ModeSeeking,
        Architecture = options.Architecture with
        {
            DiscriminatorNorm = DiscriminatorNorm ?? options.Architecture.DiscriminatorNorm,
            MinibatchStd = MinibatchStd ?? options.Architecture.MinibatchStd,
            MinibatchStdGroup = MinibatchStdGroup ?? options.Architecture.MinibatchStdGroup,
            DiscriminatorPack = DiscriminatorPack ?? options.Architecture.DiscriminatorPack,
        },
    });
}
