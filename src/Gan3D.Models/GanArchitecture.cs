using System.Text.Json.Serialization;

namespace Gan3D.Models;

/// <summary>How D's convolution stages are normalised.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<DiscriminatorNorm>))]
public enum DiscriminatorNorm
{
    /// <summary>The paper's D: batch norm after every convolution but the first and the last.</summary>
    Batch,

    /// <summary>
    /// No batch norm; every convolution (first and last included) uses its weight divided by its largest
    /// singular value (Miyato et al. 2018), with a bias.
    /// </summary>
    Spectral,

    /// <summary>No normalisation: every convolution has a bias (the control of the two above).</summary>
    None,
}

/// <summary>
/// The shape of a 3D-GAN: output resolution (32 or 64), width multiplier and latent size. The paper's
/// network is resolution 64, width 1 (G: 512-256-128-64-1, D: 64-128-256-512-1); 32³ drops one stage.
/// D's normalisation and its minibatch standard deviation are settings of the recipe study (issue 17);
/// configurations written before they existed read as the paper's D.
/// </summary>
public sealed record GanArchitecture(int Resolution = 64, double Width = 1.0, int LatentDim = 200)
{
    /// <summary>How D's stages are normalised (the paper's batch norm by default).</summary>
    public DiscriminatorNorm DiscriminatorNorm { get; init; } = DiscriminatorNorm.Batch;

    /// <summary>
    /// Whether D's last convolution also sees a minibatch standard deviation channel (Karras et al. 2018,
    /// the whole batch as the group): one more input channel, so its weight is (1, C + 1, 4, 4, 4).
    /// </summary>
    public bool MinibatchStd { get; init; }

    /// <summary>
    /// The minibatch standard deviation's group: consecutive runs of this many shapes of a batch each get the statistic
    /// of their own group (StyleGAN's 4); 0, the default and what configurations written before it existed read as:
    /// the whole batch is one group. Only with <see cref="MinibatchStd"/>; the batch size must be a multiple of it.
    /// </summary>
    public int MinibatchStdGroup { get; init; }

    /// <summary>
    /// Shapes D judges together (PacGAN, Lin et al. 2018): D's input is k consecutive shapes of a batch stacked as k
    /// channels, one logit for the k (1, the default and what configurations written before it existed read as: one
    /// shape a logit). A generator that drops modes makes packs that look alike, which D sees; the batch size must be a
    /// multiple of k, and a packed D is no encoder nor a descriptor of single shapes.
    /// </summary>
    public int DiscriminatorPack { get; init; } = 1;

    /// <summary>The most shapes D may judge together (<see cref="DiscriminatorPack"/>).</summary>
    public const int MaxDiscriminatorPack = 8;

    /// <summary>
    /// Outputs of D's last convolution: 1 (a logit, the paper's D), or the latent size when D's network
    /// serves as the encoder x → z of a latent model (<see cref="LatentModelTrainer"/>).
    /// </summary>
    public int DiscriminatorOutputs { get; init; } = 1;

    /// <summary>
    /// Classes the GAN is conditioned on (0, the default and what configurations written before it existed read as: an
    /// unconditional GAN). With K classes G's code is z followed by a one-hot label (<see cref="CodeSize"/> = Z + K inputs to
    /// its first transposed convolution), and D scores a shape with its label by a projection (Miyato &amp; Koyama 2018): its
    /// logit gains ⟨E[y], Σ h⟩, h its last strided stage's responses summed over positions, E a K × C parameter
    /// ("projection.weight"). D's stages, and so its shape descriptor, take no label. With a <see cref="MinibatchStdGroup"/>
    /// the trainer draws each group of a batch from one class, so the channel measures the spread within a class.
    /// </summary>
    public int Classes { get; init; }

    /// <summary>The most classes a conditional GAN may have.</summary>
    public const int MaxClasses = 1024;

    /// <summary>G's input per shape: the latent size plus, for a conditional GAN, one entry per class (the one-hot label).</summary>
    public int CodeSize => LatentDim + Classes;

    /// <summary>Resolutions the networks are built for.</summary>
    public static readonly int[] SupportedResolutions = [32, 64];

    /// <summary>Channel counts of G's transposed convolutions, coarsest first (the last layer's single channel excluded).</summary>
    public int[] GeneratorChannels => Scale(Resolution == 64 ? [512, 256, 128, 64] : [256, 128, 64]);

    /// <summary>Channel counts of D's strided convolutions, finest first (the final one-logit layer excluded).</summary>
    public int[] DiscriminatorChannels => Scale(Resolution == 64 ? [64, 128, 256, 512] : [64, 128, 256]);

    /// <summary>Throws a clear error for a resolution, width or latent size the networks cannot have.</summary>
    public void Validate()
    {
        if (Array.IndexOf(SupportedResolutions, Resolution) < 0)
        {
            throw new ArgumentException($"resolution {Resolution} is not supported: use 32 or 64");
        }
        if (!(Width > 0) || Width > 4)
        {
            throw new ArgumentException($"width multiplier {Width} must be in (0, 4]");
        }
        if (LatentDim <= 0 || LatentDim > 4096)
        {
            throw new ArgumentException($"latent size {LatentDim} must be in 1..4096");
        }
        if (MinibatchStdGroup < 0 || MinibatchStdGroup == 1)
        {
            throw new ArgumentException($"the minibatch standard deviation's group {MinibatchStdGroup} must be 0 (the whole batch) or 2 or more");
        }
        if (MinibatchStdGroup != 0 && !MinibatchStd)
        {
            throw new ArgumentException($"a minibatch standard deviation group ({MinibatchStdGroup}) needs D's minibatch standard deviation channel");
        }
        if (DiscriminatorPack < 1 || DiscriminatorPack > MaxDiscriminatorPack)
        {
            throw new ArgumentException($"D's pack {DiscriminatorPack} must be in 1..{MaxDiscriminatorPack} shapes a logit");
        }
        if (DiscriminatorPack > 1 && DiscriminatorOutputs != 1)
        {
            throw new ArgumentException($"a packed D ({DiscriminatorPack} shapes a logit) cannot serve as an encoder of single shapes");
        }
        if (Classes < 0 || Classes == 1 || Classes > MaxClasses)
        {
            throw new ArgumentException($"a conditional GAN needs 2..{MaxClasses} classes, got {Classes} (0: unconditional)");
        }
        if (Classes > 0 && (DiscriminatorPack > 1 || DiscriminatorOutputs != 1))
        {
            throw new ArgumentException(DiscriminatorPack > 1
                ? $"a conditional D judges one shape with its label; it cannot pack {DiscriminatorPack} shapes"
                : "a conditional GAN's D is no encoder of a latent model");
        }
        if (DiscriminatorOutputs != 1 && DiscriminatorOutputs != LatentDim)
        {
            throw new ArgumentException($"D's outputs {DiscriminatorOutputs} must be 1 (a logit) or the latent size {LatentDim} (an encoder)");
        }
    }

    private int[] Scale(int[] channels) => channels.Select(c => Math.Max(1, (int)Math.Round(c * Width))).ToArray();

    public override string ToString() =>
        $"{Resolution}³, width {Width.ToString(System.Globalization.CultureInfo.InvariantCulture)}, z {LatentDim}" +
        (DiscriminatorNorm == DiscriminatorNorm.Batch ? "" : $", D {DiscriminatorNorm.ToString().ToLowerInvariant()} norm") +
        (MinibatchStd ? ", D minibatch std" + (MinibatchStdGroup == 0 ? "" : $" in groups of {MinibatchStdGroup}") : "") +
        (DiscriminatorPack == 1 ? "" : $", D packs {DiscriminatorPack} shapes") +
        (DiscriminatorOutputs == 1 ? "" : ", D as encoder") +
        (Classes == 0 ? "" : $", conditional on {Classes} classes");
}
