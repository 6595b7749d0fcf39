using Gan3D.Tensors;

namespace Gan3D.Models;

/// <summary>
/// A named set of run settings (what <c>gan3d train --preset</c> selects): the network, batch and
/// learning rates, the latent distribution, G's moving average, the run's length and cadences, and
/// how many built-in shapes a family the run trains on. Options are built from a preset plus
/// <see cref="TrainingOverrides"/>; every setting a preset does not name keeps the options type's default.
/// </summary>
/// <param name="Name">The preset's name ("quick", "standard", "paper").</param>
/// <param name="Resolution">Voxel resolution of the model.</param>
/// <param name="Width">Channel width multiplier (1 = the paper's widths).</param>
/// <param name="BatchSize">Shapes per batch.</param>
/// <param name="LearningRateG">G's Adam learning rate.</param>
/// <param name="LearningRateD">D's Adam learning rate.</param>
/// <param name="Iterations">Iterations of a 3D-VAE-GAN's run, and of a 3D-GAN's unless <paramref name="GanIterations"/> says otherwise.</param>
/// <param name="SampleEvery">Sample montage cadence (0: never).</param>
/// <param name="CheckpointEvery">Checkpoint cadence (0: only at the end).</param>
/// <param name="ProceduralPerFamily">Built-in shapes a family when the data is "procedural" (a 3D-VAE-GAN's, and a 3D-GAN's unless <paramref name="GanProceduralPerFamily"/> says otherwise).</param>
/// <param name="Latent">Latent distribution of a 3D-GAN (a 3D-VAE-GAN always uses N(0, I)).</param>
/// <param name="GeneratorEma">Decay of G's moving average for a 3D-GAN (0: off; off for a 3D-VAE-GAN unless overridden).</param>
/// <param name="ReconstructionWeight">A 3D-VAE-GAN's α2, the weight of ‖G(E(y)) − x‖² (the paper's 1e-4 by default).</param>
/// <param name="LatentIterations">Iterations of a latent model's run (its autoencoder's steps cost less than a GAN's).</param>
/// <param name="LatentProceduralPerFamily">Built-in shapes a family for a latent model (its codes are what it samples between).</param>
/// <param name="LatentOccupiedWeight">A latent model's weight of occupied voxels in its reconstruction loss (<see cref="LatentModelOptions.OccupiedWeight"/>).</param>
/// <param name="GanDiscriminator">The 3D-GAN's D when it is not the paper's (null: batch norm, <paramref name="LearningRateD"/>, the 80% rule); the 3D-VAE-GAN and the latent model keep the paper's.</param>
/// <param name="GanIterations">Iterations of a 3D-GAN's run, where they differ from <paramref name="Iterations"/> (null: the same).</param>
/// <param name="GanBatchSize">Shapes a batch of a 3D-GAN's run, where they differ from <paramref name="BatchSize"/> (null: the same).</param>
/// <param name="GanProceduralPerFamily">Built-in shapes a family for a 3D-GAN, where they differ from <paramref name="ProceduralPerFamily"/> (null: the same).</param>
public sealed record TrainingPreset(string Name, int Resolution, double Width, int BatchSize, float LearningRateG, float LearningRateD,
    long Iterations, int SampleEvery, int CheckpointEvery, int ProceduralPerFamily, LatentDistribution Latent, float GeneratorEma,
    float ReconstructionWeight = 1e-4f, long LatentIterations = 3000, int LatentProceduralPerFamily = 500, float LatentOccupiedWeight = 6f,
    DiscriminatorRecipe? GanDiscriminator = null, long? GanIterations = null, int? GanBatchSize = null, int? GanProceduralPerFamily = null)
{
    /// <summary>
    /// The quick preset's 3D-GAN D: no normalisation, trained on every batch at 1e-3 (G's is 2.5e-3), held smooth by an
    /// R1 penalty (γ 10 on every 4th update). Measured in docs/quality.md ("The quick preset gets the R1 recipe"): slower
    /// D rates were further from new shapes; D at G's rate was closer at 1500 iterations but diverged when trained
    /// longer (families at about 2550 iterations, chairs at width 0.5 at about 3070), and at twice G's rate at 300.
    /// At width 0.5 (the standard preset's) 1e-3 was closer on chairs in two one-thread runs but diverged in a third, on
    /// two threads, at 2147 iterations: the standard preset uses <see cref="SlowR1"/>.
    /// Its last convolution sees a minibatch standard deviation channel (docs/quality.md, "Minibatch standard deviation
    /// with the R1 D"): on the families, over three runs, coverage of new shapes 45.2–46.1% against 40.7–41.0% without it, MMD
    /// 0.485–0.489 against 0.522, 1-NNA 75.9–77.0% against 77.4–78.0%, and the mugs it left out covered at 64–72%.
    /// </summary>
    public static readonly DiscriminatorRecipe FastR1 = new(DiscriminatorNorm.None, 1e-3f, 1f, 10f, 4, MinibatchStd: true);

    /// <summary>
    /// The standard preset's 3D-GAN D: <see cref="FastR1"/> at the paper D's rate, 1e-4 (docs/quality.md, "The standard
    /// preset gets the R1 D"). On held-out chairs at width 0.5 and 4500 iterations it was closer by 1-NNA than the paper's
    /// batch-norm D in every run (58.4–59.8% over three runs of two seeds against 63.5–64.5%), with a slightly higher MMD
    /// (0.732–0.738 against 0.721), and no run diverged, where FastR1's 1e-3 diverged in one run of three at this width.
    /// </summary>
    public static readonly DiscriminatorRecipe SlowR1 = FastR1 with { LearningRate = 1e-4f, MinibatchStd = false };

    /// <summary>The paper's 64³ network and hyperparameters, for a GPU.</summary>
    public static readonly TrainingPreset Paper = new("paper", 64, 1.0, 100, 0.0025f, 1e-5f, 20000, 500, 1000, 200, LatentDistribution.Uniform, 0f);

    /// <summary>
    /// A 32³ quarter-width network that learns the built-in families in about ten minutes on two CPU
    /// cores, with a normal z (the paper's uniform z collapsed to one shape in these runs) and samples
    /// from a moving average of G's weights (decay 0.995: coverage 29.5% → 38.3% in the same run).
    /// Its 3D-GAN's D is <see cref="FastR1"/>: against new shapes of the families 1-NNA 82.8–84.4% over three runs
    /// at 1500 iterations where the paper's D scored 95–96%, and on held-out chairs 67.8% and 69.0% against 73.6%
    /// (docs/quality.md). Its 3D-GAN trains for 2500 iterations' time, what two cores do in about ten minutes: the same runs
    /// continued from 1500 to 2500 reached 77.4% and 78.6% (coverage 40.7% and 41.0%); a 3D-VAE-GAN keeps 1500. It spends
    /// that time on twice the G steps, 4500 in batches of 16 (an iteration costs about half, 1.9–2.0× as many a second on
    /// two cores alone): over two seeds 1-NNA 75.1% and 74.2%, COV 46.8% and 46.4%, MMD 0.485 and 0.485 against 2500 in
    /// batches of 32's 76.1% and 75.9%, 45.2% and 45.4%, 0.487 and 0.485 (docs/quality.md, "Twice the G steps in batches of 16").
    /// A 3D-VAE-GAN gets α2 = 1e-2: with the paper's 1e-4 the reconstruction term is small beside the GAN
    /// term and 1500 iterations reached a held-out mean IoU of 0.139, below the mean shape's 0.177; with
    /// 1e-2 the same preset reached 0.452 (docs: README, "Single-image reconstruction").
    /// Its 3D-GAN trains on 500 built-in shapes a family (the 3D-VAE-GAN on 50, where its figures were measured): over two
    /// seeds COV 47.6% and 48.1%, 1-NNA 73.5% and 73.5%, MMD 0.486 and 0.492 against 50 a family's 46.8% and 46.4%, 75.1% and
    /// 74.2%, 0.485 and 0.485 (docs/quality.md, "Ten times the training shapes, with and without labels").
    /// A latent model trains its autoencoder for 3000 iterations (cheaper than a GAN's: no D pass on real and
    /// fake): against held-out chairs 1-NNA 53.8%, COV 55.5%, MMD 0.718 (seed 0, occupied weight 6), the closest of every recipe (docs/quality.md).
    /// On the built-in families it trains on 500 shapes a family: its samples lie between training codes, and with
    /// 50 a family (the GANs' count then) coverage of new shapes was 44.8%, with 500 52.5% (the 3D-GAN: 35.8% and 39.0%).
    /// Its loss weighs occupied voxels by 6: with plain cross entropy thin parts broke into floating specks (0.61 a
    /// reconstructed family shape, 0.06 with the weight; docs/quality.md).
    /// </summary>
    public static readonly TrainingPreset Quick = new("quick", 32, 0.25, 32, 0.0025f, 1e-4f, 1500, 250, 250, 50, LatentDistribution.Normal, 0.995f,
        ReconstructionWeight: 1e-2f, GanDiscriminator: FastR1, GanIterations: 4500, GanBatchSize: 16, GanProceduralPerFamily: 500);

    /// <summary>
    /// The quick recipe at twice its width and longer, its D at 1e-4 (<see cref="SlowR1"/>): 32³ at half the paper's widths, 4500
    /// iterations, 33–42 minutes on two CPU cores (measured end to end on different days). On ModelNet10 chairs
    /// (docs/quality.md) the wider network is what helped: with the paper's D, against 89 held-out chairs 1-NNA 64.5%, COV
    /// 44.3%, MMD 0.721, where the quick preset then scored 73.6%, 48.1%, 0.732 and width 0.25 trained for 6000 iterations
    /// 65.8%, 48.5%, 0.734; with <see cref="SlowR1"/> 58.4–59.8%.
    /// As a shape descriptor this preset's 3D-GAN D and a latent model at this width are alike (ModelNet10, 5-fold, two
    /// training seeds each: the D with <see cref="SlowR1"/> 91.9% and 92.2%, the encoder 92.3% and 91.9%; the paper's D 91.5%);
    /// the latent model at this width is not the closer sampler (the quick width is as close, at a quarter of the cost).
    /// </summary>
    public static readonly TrainingPreset Standard = new("standard", 32, 0.5, 32, 0.0025f, 1e-4f, 4500, 500, 500, 50, LatentDistribution.Normal, 0.995f,
        ReconstructionWeight: 1e-2f, GanDiscriminator: SlowR1);

    /// <summary>Iterations of a run of this preset: a 3D-GAN's, a 3D-VAE-GAN's (<paramref name="vae"/>) or a latent model's.</summary>
    public long IterationsFor(bool vae, bool latent) => latent ? LatentIterations : vae ? Iterations : GanIterations ?? Iterations;

    /// <summary>Built-in shapes a family when the data is "procedural": a 3D-GAN's, a 3D-VAE-GAN's (<paramref name="vae"/>) or a latent model's.</summary>
    public int PerFamily(bool vae, bool latent) => latent ? LatentProceduralPerFamily : vae ? ProceduralPerFamily : GanProceduralPerFamily ?? ProceduralPerFamily;

    /// <summary>Every preset, by name.</summary>
    public static IReadOnlyList<TrainingPreset> All { get; } = [Quick, Standard, Paper];

    /// <summary>The preset of that name (any case), or null when there is none.</summary>
    public static TrainingPreset? Find(string name) =>
        All.FirstOrDefault(p => string.Equals(p.Name, name, StringComparison.OrdinalIgnoreCase));

    /// <summary>The preset a run on <paramref name="device"/> gets when none is named: the paper's on CUDA, quick elsewhere.</summary>
    public static TrainingPreset For(DeviceKind device) => device == DeviceKind.Cuda ? Paper : Quick;

    /// <summary>
    /// 3D-GAN settings: each override where given, else this preset's value (the batch: <see cref="GanBatchSize"/> where it
    /// names one). D is the preset's <see cref="GanDiscriminator"/> where it names one, unless the overrides ask for batch
    /// norm or WGAN-GP: those get the paper's D settings (batch norm, <see cref="LearningRateD"/>, the 80% rule, no R1).
    /// The study settings (<see cref="TrainingOverrides.ApplyStudySettings"/>) come last, over either D; the 3D-VAE-GAN-only
    /// overrides are ignored.
    /// </summary>
    public GanTrainingOptions GanOptions(TrainingOverrides overrides)
    {
        var options = Shared(overrides with { BatchSize = overrides.BatchSize ?? GanBatchSize });
        // Batch norm or WGAN-GP ask for another D than the recipe's: they keep the paper's D settings.
        if (GanDiscriminator is { } d && overrides.DiscriminatorNorm != DiscriminatorNorm.Batch && overrides.Loss != AdversarialLoss.WassersteinGp)
        {
            options = options with
            {
                LearningRateD = overrides.LearningRateD ?? d.LearningRate,
                DAccuracyThreshold = overrides.DAccuracyThreshold ?? d.AccuracyThreshold,
                R1Gamma = d.R1Gamma,
                R1Every = d.R1Every,
                Architecture = options.Architecture with { DiscriminatorNorm = d.Norm, MinibatchStd = d.MinibatchStd },
            };
        }
        return overrides.ApplyStudySettings(options);
    }

    /// <summary>The settings every model shares: each override where given, else this preset's value (the paper's D).</summary>
    private GanTrainingOptions Shared(TrainingOverrides overrides) => new()
    {
        Architecture = new GanArchitecture(overrides.Resolution ?? Resolution, overrides.Width ?? Width),
        BatchSize = overrides.BatchSize ?? BatchSize,
        LearningRateG = overrides.LearningRateG ?? LearningRateG,
        LearningRateD = overrides.LearningRateD ?? LearningRateD,
        DAccuracyThreshold = overrides.DAccuracyThreshold ?? new GanTrainingOptions().DAccuracyThreshold,
        Latent = overrides.Latent ?? Latent,
        GeneratorEma = overrides.GeneratorEma ?? GeneratorEma,
        Seed = overrides.Seed,
    };

    /// <summary>
    /// 3D-VAE-GAN settings: the 3D-GAN ones of <see cref="GanOptions"/> with the paper's D, except that z is N(0, I) (the
    /// prior of the KL term) and G's moving average is off unless overridden (the encoder learns codes
    /// for G's own weights; with the average it is unmeasured), plus the encoder's overrides over
    /// <see cref="VaeGanTrainingOptions"/>' defaults, and the study settings last.
    /// </summary>
    public VaeGanTrainingOptions VaeGanOptions(TrainingOverrides overrides)
    {
        var defaults = new VaeGanTrainingOptions();
        var gan = Shared(overrides with
        {
            Latent = overrides.Latent ?? defaults.Latent,
            GeneratorEma = overrides.GeneratorEma ?? 0f,
        });
        return overrides.ApplyStudySettings(new VaeGanTrainingOptions(gan)
        {
            ImageSize = overrides.ImageSize ?? defaults.ImageSize,
            Rgb = overrides.Rgb,
            KlWeight = overrides.KlWeight ?? defaults.KlWeight,
            ReconstructionWeight = overrides.ReconstructionWeight ?? ReconstructionWeight,
            LearningRateE = overrides.LearningRateE ?? defaults.LearningRateE,
            Views = overrides.Views ?? defaults.Views,
        });
    }

    /// <summary>
    /// Latent-model settings (<see cref="LatentModelTrainer"/>): this preset's resolution, width and batch, with
    /// an autoencoder's Adam (learning rate 1e-3 for both networks unless overridden, β 0.9 and 0.999) and no
    /// moving average (the codes come from the current encoder). The adversarial overrides do not apply.
    /// </summary>
    public LatentModelOptions LatentOptions(TrainingOverrides overrides)
    {
        var defaults = new LatentModelOptions();
        var gan = Shared(overrides with
        {
            LearningRateG = overrides.LearningRateG ?? defaults.LearningRateG,
            LearningRateD = overrides.LearningRateD ?? defaults.LearningRateD,
            GeneratorEma = 0f,
        });
        return new LatentModelOptions(gan with { Beta1 = defaults.Beta1, Beta2 = defaults.Beta2 })
        {
            OccupiedWeight = overrides.OccupiedWeight ?? LatentOccupiedWeight,
        };
    }

    /// <summary>The run's length and cadences: each override where given, else this preset's value.</summary>
    public TrainingSessionOptions Session(long? iterations = null, int? sampleEvery = null, int? checkpointEvery = null) => new()
    {
        Iterations = iterations ?? Iterations,
        SampleEvery = sampleEvery ?? SampleEvery,
        CheckpointEvery = checkpointEvery ?? CheckpointEvery,
    };
}

/// <summary>
/// A 3D-GAN's D when it is not the paper's: its normalisation, Adam learning rate, accuracy threshold of the adaptive
/// rule (1: D trains on every batch), R1 penalty (γ, applied every <paramref name="R1Every"/>-th update) and whether its
/// last convolution sees a minibatch standard deviation channel.
/// </summary>
public sealed record DiscriminatorRecipe(DiscriminatorNorm Norm, float LearningRate, float AccuracyThreshold, float R1Gamma, int R1Every, bool MinibatchStd = false);
