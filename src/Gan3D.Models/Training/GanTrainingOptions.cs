using System.Text.Json;
using System.Text.Json.Serialization;
using Gan3D.Data;

namespace Gan3D.Models;

/// <summary>How latent codes are drawn.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<LatentDistribution>))]
public enum LatentDistribution
{
    /// <summary>z ~ U(0, 1)^Z, as in the paper.</summary>
    Uniform,

    /// <summary>z ~ N(0, 1)^Z.</summary>
    Normal,
}

/// <summary>The adversarial loss of D and G.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<AdversarialLoss>))]
public enum AdversarialLoss
{
    /// <summary>
    /// The paper's binary cross entropy on D's logits: D minimises BCE(D(x), 1) + BCE(D(G(z)), 0), G
    /// minimises BCE(D(G(z)), 1) (the non-saturating form).
    /// </summary>
    Bce,

    /// <summary>
    /// Hinge loss (Lim &amp; Ye 2017; Miyato et al. 2018): D minimises mean(max(0, 1 − D(x))) +
    /// mean(max(0, 1 + D(G(z)))), G minimises −mean(D(G(z))).
    /// </summary>
    Hinge,

    /// <summary>
    /// WGAN-GP (Gulrajani et al. 2017; for voxels, 3D-IWGAN, Smith &amp; Meger 2017): D is a critic that minimises
    /// mean(D(G(z))) − mean(D(x)) + λ·mean((‖∇D(x̂)‖ − 1)²) with λ = <see cref="GanTrainingOptions.WassersteinGpWeight"/>
    /// at x̂ = εx + (1 − ε)G(z), ε ~ U(0, 1) per shape; G minimises −mean(D(G(z))). Needs a D without batch
    /// norm; its scores have no sign to be accurate with, so the adaptive rule is normally off (1).
    /// </summary>
    WassersteinGp,
}

/// <summary>
/// Everything that decides a 3D-GAN training run. Defaults are the paper's: Adam with β1 = 0.5,
/// learning rates G 0.0025 and D 1e-5, batch 100, z ~ U(0, 1)^200, and D updated only when its
/// accuracy on the previous batch was below 80%.
/// </summary>
public record GanTrainingOptions
{
    public GanArchitecture Architecture { get; init; } = new();

    public int BatchSize { get; init; } = 100;

    public float LearningRateG { get; init; } = 0.0025f;

    public float LearningRateD { get; init; } = 1e-5f;

    public float Beta1 { get; init; } = 0.5f;

    public float Beta2 { get; init; } = 0.999f;

    /// <summary>
    /// D is updated on a batch only if its accuracy on the previous batch was below this; 1 turns the rule off.
    /// D's accuracy is the fraction of its logits with the right sign (positive on real shapes, negative
    /// on G's), whatever the <see cref="Loss"/>: for BCE that is σ(logit) on the right side of ½; for the
    /// hinge loss, whose margin is at ±1, it is the side of 0, the boundary a hinge D's decision uses too.
    /// A hinge D that scores every shape inside its margin (|logit| &lt; 1) still counts as accurate.
    /// </summary>
    public float DAccuracyThreshold { get; init; } = 0.8f;

    /// <summary>
    /// The adversarial loss: the paper's binary cross entropy (default; configurations written before the
    /// setting existed read as that) or the hinge loss. The adaptive rule (<see cref="DAccuracyThreshold"/>)
    /// applies to either; hinge-loss GANs are usually trained with it off (1).
    /// </summary>
    public AdversarialLoss Loss { get; init; } = AdversarialLoss.Bce;

    /// <summary>
    /// The latent distribution: the paper's U(0, 1) by default. In our 32³ runs at width 0.25 it collapsed
    /// to one shape within a few hundred iterations (pairwise IoU of samples 0.95–0.98, for learning rates
    /// from 2e-4 to 2.5e-3) while N(0, 1) kept samples distinct (pairwise IoU 0.07), so the quick preset
    /// uses N(0, 1): a zero-mean z leaves the first layer no z-independent part to build on.
    /// </summary>
    public LatentDistribution Latent { get; init; } = LatentDistribution.Uniform;

    /// <summary>
    /// Decay d of a moving average of G's weights, updated after every iteration as
    /// avg ← d·avg + (1 − d)·G (batch-norm statistics copied from G). 0, the paper's setting, turns it
    /// off. When on, samples, and every command that reads the checkpoint, use the averaged generator
    /// (stored as "G_ema"); training itself is unchanged. In the quick preset's run it raised coverage
    /// of unseen shapes from 29.5% to 38.3% and lowered MMD from 0.634 to 0.592.
    /// </summary>
    public float GeneratorEma { get; init; }

    /// <summary>
    /// Instance noise (Sønderby et al. 2016): the standard deviation σ0 of Gaussian noise added to every
    /// voxel of D's inputs, real and generated, in D's step and in G's (whose gradient passes through
    /// it). 0, the paper's setting, turns it off. It falls linearly from σ0 to 0 over
    /// <see cref="InstanceNoiseIterations"/> (see <see cref="InstanceNoiseAt"/>). The noise is drawn from
    /// the latent stream after the iteration's codes, so a resumed run continues exactly.
    /// </summary>
    public float InstanceNoise { get; init; }

    /// <summary>The iterations over which the instance noise falls to 0 (<c>gan3d train</c>: the run's length); 0 keeps it constant.</summary>
    public long InstanceNoiseIterations { get; init; }

    /// <summary>The instance noise's standard deviation for the iteration after <paramref name="step"/> done: σ0·max(0, 1 − step/T).</summary>
    public float InstanceNoiseAt(long step) => InstanceNoiseIterations <= 0
        ? InstanceNoise
        : (float)(InstanceNoise * Math.Max(0.0, 1.0 - (double)step / InstanceNoiseIterations));

    /// <summary>
    /// Resolution growing as D sees it (the study's 16³ → 32³ arm, after the fade-in of Karras et al. 2018): for the first
    /// <c>GrowIterations</c> iterations D sees every shape, real and generated, at half the resolution (each 2×2×2 block
    /// replaced by its mean), then over as many iterations the block means fade linearly into the shapes themselves
    /// (x + α·(blocks(x) − x), α from 1 to 0; <see cref="CoarseBlendAt"/>), in D's step and in G's. The networks keep their
    /// size: ProGAN grows G and D layer by layer too, which makes its early iterations cheaper; here only what D can tell
    /// apart grows, so G first learns the shapes' coarse forms. 0, the paper's setting, turns it off.
    /// </summary>
    public long GrowIterations { get; init; }

    /// <summary>α of <see cref="GrowIterations"/> = N for the iteration after <paramref name="step"/> done: 1 below N, then 2 − step/N down to 0.</summary>
    public float CoarseBlendAt(long step) => GrowIterations <= 0 ? 0f
        : step < GrowIterations ? 1f
        : (float)Math.Max(0.0, 2.0 - (double)step / GrowIterations);

    /// <summary>
    /// γ of the R1 gradient penalty (Mescheder et al. 2018): D's loss gains γ/2 · mean over real shapes of
    /// ‖∇ₓD(x)‖² (D's logit), pushing D flat around the data so that it cannot keep growing its margin
    /// on real shapes. 0, the paper's setting, turns it off. Needs a D without batch norm
    /// (<see cref="Discriminator3D.ForwardWithInputGradient"/>; with a minibatch standard deviation channel, the
    /// gradient of the batch's summed logits).
    /// </summary>
    public float R1Gamma { get; init; }

    /// <summary>
    /// The penalty is applied on every k-th update of D, scaled by k (StyleGAN2's lazy regularisation: the
    /// same pull on average for 1/k of its cost); 1 applies it on every update.
    /// </summary>
    public int R1Every { get; init; } = 1;

    /// <summary>
    /// D's updates for each of G's (WGAN-GP's n_critic: Gulrajani et al. and 3D-IWGAN train the critic 5 times a G step), each
    /// on its own batch of real shapes and codes; an iteration is one G step. 1, the paper's setting, alternates them. Every D
    /// step of an iteration follows the adaptive rule's decision for that iteration (D's accuracy is read once an iteration).
    /// </summary>
    public int DSteps { get; init; } = 1;

    /// <summary>The most D updates a G step (<see cref="DSteps"/>).</summary>
    public const int MaxDSteps = 20;

    /// <summary>
    /// λ of a mode-seeking term in G's loss (Mao et al. 2019, MSGAN): the batch's first half of shapes is paired with its
    /// second, r = mean (G(z₁) − G(z₂))² / mean (z₁ − z₂)² over the pairs (voxel probabilities; codes), and G's loss gains
    /// λ / (r + <see cref="ModeSeekingEpsilon"/>): G pays for mapping distant codes to alike shapes. 0, the paper's setting,
    /// turns it off. Squared differences where MSGAN takes absolute ones (the same term up to the distance).
    /// </summary>
    public float ModeSeeking { get; init; }

    /// <summary>The ε of the mode-seeking term's 1 / (r + ε), MSGAN's, which bounds it when a pair's shapes coincide.</summary>
    public const float ModeSeekingEpsilon = 1e-5f;

    /// <summary>λ of WGAN-GP's gradient penalty, the value of Gulrajani et al. and 3D-IWGAN.</summary>
    public const float WassersteinGpWeight = 10f;

    /// <summary>Drives initialisation, latent draws and data order.</summary>
    public ulong Seed { get; init; }

    /// <summary>
    /// A conditional GAN's classes (<see cref="GanArchitecture.Classes"/> of them), in label order: the one-hot position of
    /// each in G's code and D's projection. The trainer reads each training shape's label by name; null for an
    /// unconditional GAN.
    /// </summary>
    public IReadOnlyList<string>? ClassNames { get; init; }

    /// <summary>The training shapes of each of <see cref="ClassNames"/>: samples draw their labels in these proportions.</summary>
    public IReadOnlyList<int>? ClassCounts { get; init; }

    /// <summary>
    /// These options made conditional on the labels of <paramref name="data"/> (its <see cref="VoxelDataset.ClassNames"/>
    /// in their order, and how many shapes carry each); a clear error when the data has fewer than two labels.
    /// </summary>
    public GanTrainingOptions ConditionalOn(VoxelDataset data, string source)
    {
        if (data.Labels is null || data.ClassNames.Count < 2)
        {
            throw new ArgumentException(data.Labels is null
                ? $"{source}: a conditional GAN needs labelled shapes, and these have no labels"
                : $"{source}: a conditional GAN needs at least two classes, and every shape is labelled '{data.ClassNames[0]}'");
        }
        var counts = new int[data.ClassNames.Count];
        foreach (int c in data.ClassIndices)
        {
            counts[c]++;
        }
        return this with { Architecture = Architecture with { Classes = counts.Length }, ClassNames = data.ClassNames.ToArray(), ClassCounts = counts };
    }

    /// <summary>Throws a clear error for a setting the trainer cannot use.</summary>
    public virtual void Validate()
    {
        Architecture.Validate();
        if (BatchSize < 2 || BatchSize > 4096)
        {
            throw new ArgumentException($"batch size {BatchSize} must be in 2..4096 (batch norm needs at least 2 shapes)");
        }
        int pack = Architecture.DiscriminatorPack;
        if (BatchSize % pack != 0)
        {
            throw new ArgumentException($"batch size {BatchSize} must be a multiple of D's pack {pack} (shapes a logit)");
        }
        if (pack > 1 && BatchSize / pack < 2 && Architecture.DiscriminatorNorm == DiscriminatorNorm.Batch)
        {
            throw new ArgumentException($"batch size {BatchSize} gives D's batch norm one pack of {pack} shapes; it needs at least 2 (a batch of {2 * pack} or more)");
        }
        if (Architecture.MinibatchStdGroup > 0 && BatchSize / pack % Architecture.MinibatchStdGroup != 0)
        {
            throw new ArgumentException(pack == 1
                ? $"batch size {BatchSize} must be a multiple of the minibatch standard deviation's group size {Architecture.MinibatchStdGroup}"
                : $"D's {BatchSize / pack} packs a batch (batch size {BatchSize}, {pack} shapes a pack) must be a multiple of the minibatch standard deviation's group size {Architecture.MinibatchStdGroup}");
        }
        if (pack > 1 && Loss == AdversarialLoss.WassersteinGp)
        {
            throw new ArgumentException($"WGAN-GP's penalty is on single shapes between real and generated ones; it does not take a D that packs {pack} shapes");
        }
        if (!(LearningRateG > 0 && LearningRateG <= 1) || !(LearningRateD > 0 && LearningRateD <= 1))
        {
            throw new ArgumentException($"learning rates must be in (0, 1], got G {LearningRateG} and D {LearningRateD}");
        }
        if (!(Beta1 >= 0 && Beta1 < 1) || !(Beta2 >= 0 && Beta2 < 1))
        {
            throw new ArgumentException($"Adam betas must be in [0, 1), got {Beta1} and {Beta2}");
        }
        if (!(DAccuracyThreshold > 0 && DAccuracyThreshold <= 1))
        {
            throw new ArgumentException($"D accuracy threshold {DAccuracyThreshold} must be in (0, 1]");
        }
        if (!(InstanceNoise >= 0) || float.IsInfinity(InstanceNoise) || InstanceNoiseIterations < 0)
        {
            throw new ArgumentException($"instance noise {InstanceNoise} must be finite and non-negative (0 turns it off), annealed over {InstanceNoiseIterations} ≥ 0 iterations");
        }
        if (!(R1Gamma >= 0) || float.IsInfinity(R1Gamma) || R1Every < 1 || R1Every > 1000)
        {
            throw new ArgumentException($"R1 penalty γ {R1Gamma} must be finite and non-negative (0 turns it off), applied every {R1Every} D updates (1..1000)");
        }
        // Both penalties take D's input gradient, written out stage by stage; batch norm's statistics are not.
        if ((R1Gamma > 0 || Loss == AdversarialLoss.WassersteinGp) && Architecture.DiscriminatorNorm == DiscriminatorNorm.Batch)
        {
            throw new ArgumentException(
                $"{(R1Gamma > 0 ? "the R1 penalty" : "WGAN-GP")} needs a D without batch norm (use D norm spectral or none): " +
                "its input gradient is written out stage by stage, and batch norm's statistics are not");
        }
        if (GrowIterations < 0)
        {
            throw new ArgumentException($"the iterations at half resolution {GrowIterations} must be ≥ 0 (0 turns the growing off)");
        }
        if (DSteps < 1 || DSteps > MaxDSteps)
        {
            throw new ArgumentException($"D's updates a G step {DSteps} must be in 1..{MaxDSteps}");
        }
        if (!(ModeSeeking >= 0) || float.IsInfinity(ModeSeeking))
        {
            throw new ArgumentException($"mode-seeking weight {ModeSeeking} must be finite and non-negative (0 turns it off)");
        }
        int k = Architecture.Classes;
        if (k == 0 && (ClassNames is not null || ClassCounts is not null))
        {
            throw new ArgumentException("class names and counts belong to a conditional GAN (architecture with classes)");
        }
        if (k > 0 && (ClassNames?.Count != k || ClassCounts?.Count != k || ClassCounts.Any(c => c <= 0)
            || ClassNames.Distinct(StringComparer.Ordinal).Count() != k))
        {
            throw new ArgumentException($"a GAN conditional on {k} classes needs {k} distinct class names and {k} positive counts of training shapes");
        }
        if (!(GeneratorEma >= 0 && GeneratorEma < 1))
        {
            throw new ArgumentException($"generator average decay {GeneratorEma} must be in [0, 1) (0 turns it off)");
        }
    }

    /// <summary>The JSON settings of configurations.</summary>
    protected static JsonSerializerOptions JsonOptions { get; } = new() { WriteIndented = true };

    /// <summary>Every setting as indented JSON (a derived options type writes its own settings too).</summary>
    public string ToJson() => JsonSerializer.Serialize(this, GetType(), JsonOptions);

    public static GanTrainingOptions FromJson(string json, string source) => Read<GanTrainingOptions>(json, source);

    /// <summary>Deserialises a configuration, with the source named in the error when it is not one.</summary>
    protected static T Read<T>(string json, string source)
        where T : GanTrainingOptions
    {
        try
        {
            return JsonSerializer.Deserialize<T>(json, JsonOptions) ?? throw new InvalidDataException($"{source}: empty training configuration");
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"{source}: unreadable training configuration ({ex.Message})");
        }
    }
}
