using System.Diagnostics;
using Gan3D.Data;
using Gan3D.Nn;
using Gan3D.Tensors;

namespace Gan3D.Models;

/// <summary>
/// Everything that decides a latent-model run: the 3D-GAN's settings for the two networks (D's network,
/// with the latent size as its outputs, is the encoder; G is the decoder; the learning rates and betas are
/// theirs) plus the prior's <see cref="Neighbours"/> and <see cref="Margin"/> (<see cref="NeighbourMixPrior"/>).
/// The adversarial settings (loss, 80% rule, instance noise, latent distribution) do not apply.
/// </summary>
public sealed record LatentModelOptions : GanTrainingOptions
{
    /// <summary>Defaults: an autoencoder's Adam (learning rate 1e-3, β 0.9 and 0.999), no moving average.</summary>
    public LatentModelOptions()
    {
        LearningRateG = 1e-3f;
        LearningRateD = 1e-3f;
        Beta1 = 0.9f;
        Latent = LatentDistribution.Normal;
    }

    /// <summary>The settings of <paramref name="gan"/>, with D's outputs set to the latent size (the encoder).</summary>
    public LatentModelOptions(GanTrainingOptions gan)
        : base(gan)
    {
        Architecture = gan.Architecture with { DiscriminatorOutputs = gan.Architecture.LatentDim };
    }

    /// <summary>Nearest training codes a new code may lie towards (docs/quality.md: 10).</summary>
    public int Neighbours { get; init; } = 10;

    /// <summary>A new code is (1 − t)·a + t·b with t in [Margin, 1 − Margin) (0.25 keeps draws off copies).</summary>
    public float Margin { get; init; } = 0.25f;

    /// <summary>
    /// Weight of the occupied voxels' term of the reconstruction loss (PyTorch's pos_weight): with 1, plain
    /// binary cross entropy (runs written before the setting existed read as that); above 1 a missed occupied
    /// voxel costs more than a stray empty one, which keeps thin parts whole (the presets: 6, docs/quality.md).
    /// </summary>
    public float OccupiedWeight { get; init; } = 1f;

    /// <inheritdoc/>
    public override void Validate()
    {
        base.Validate();
        if (Architecture.DiscriminatorOutputs != Architecture.LatentDim)
        {
            throw new ArgumentException($"a latent model's encoder has the latent size {Architecture.LatentDim} as its outputs, not {Architecture.DiscriminatorOutputs}");
        }
        if (GeneratorEma != 0)
        {
            throw new ArgumentException($"a latent model decodes its current encoder's codes: G's moving average ({GeneratorEma}) must be off");
        }
        if (ModeSeeking != 0)
        {
            throw new ArgumentException($"a latent model's G is a decoder without an adversarial loss: the mode-seeking term ({ModeSeeking}) must be off");
        }
        if (DSteps != 1)
        {
            throw new ArgumentException($"a latent model trains its encoder and decoder together: {DSteps} D updates a G step are a 3D-GAN's");
        }
        if (Neighbours < 1 || Neighbours > 1000)
        {
            throw new ArgumentException($"neighbours {Neighbours} must be in 1..1000");
        }
        if (!(Margin >= 0 && Margin <= 0.5f))
        {
            throw new ArgumentException($"margin {Margin} must be in [0, 0.5]");
        }
        if (!(OccupiedWeight > 0 && OccupiedWeight <= 100))
        {
            throw new ArgumentException($"the occupied voxels' weight {OccupiedWeight} must be in (0, 100]");
        }
    }

    /// <summary>Reads the settings written by <see cref="GanTrainingOptions.ToJson"/>.</summary>
    public static new LatentModelOptions FromJson(string json, string source) => Read<LatentModelOptions>(json, source);
}

/// <summary>
/// Trains a latent model (issue 17's latent arm, after Achlioptas et al. 2018): an autoencoder whose
/// encoder is D's network with the latent size as its outputs and whose decoder is the 3D-GAN's G, on
/// L = binary cross entropy of G's logits for E(x) against x (a mean over voxels, occupied voxels weighted by
/// <see cref="LatentModelOptions.OccupiedWeight"/>). Sampling draws codes
/// from <see cref="NeighbourMixPrior"/> over the training shapes' codes (encoded in eval mode, again
/// whenever the weights have changed) and decodes them with G; the checkpoint keeps those codes.
/// On the held-out ModelNet10 chairs it scores far closer to real chairs than the adversarial recipes
/// (docs/quality.md). Deterministic from the seed; <see cref="Resume"/> continues exactly.
/// </summary>
public sealed class LatentModelTrainer : AdversarialTrainer
{
    /// <summary>The model name in checkpoints.</summary>
    public const string Model = "3d-latent";

    /// <summary>Checkpoint prefix of the prior's tensors.</summary>
    public const string CodesPrefix = "latent";

    /// <summary>Checkpoint tensor holding the training shapes' codes (N, Z).</summary>
    public const string CodesKey = CodesPrefix + ".codes";

    private NeighbourMixPrior? _prior;
    private Tensor? _codes;
    private long _priorStep = -1;

    /// <summary>A fresh run.</summary>
    public LatentModelTrainer(LatentModelOptions options, VoxelDataset data, IBackend backend)
        : this(options, data, backend, default)
    {
    }

    private LatentModelTrainer(LatentModelOptions options, VoxelDataset data, IBackend backend, StreamPositions positions)
        : base(options, data, backend, positions)
    {
        if (data.Count <= options.Neighbours)
        {
            throw new ArgumentException($"the prior moves towards {options.Neighbours} nearest training shapes, but the data has only {data.Count}");
        }
    }

    /// <summary>The run's settings.</summary>
    public LatentModelOptions LatentOptions => (LatentModelOptions)Options;

    /// <inheritdoc/>
    public override string ModelName => Model;

    /// <inheritdoc/>
    protected override string ConfigJson => LatentOptions.ToJson();

    /// <inheritdoc/>
    public override IReadOnlyList<(string Title, string[] Columns)> PlotLayout { get; } =
    [
        ("Reconstruction (binary cross entropy a voxel, occupied voxels weighted)", ["loss_recon"]),
    ];

    /// <summary>None: the autoencoder has no D, and its reconstruction loss falls steadily.</summary>
    public override string? WatchedLoss => null;

    /// <summary>The prior over the current weights' codes of the training shapes.</summary>
    public NeighbourMixPrior Prior
    {
        get
        {
            if (_priorStep != Step)
            {
                var codes = EncodeAll(D, Data);
                _prior = new NeighbourMixPrior(codes, Data.Count, Options.Architecture.LatentDim, LatentOptions.Neighbours, LatentOptions.Margin);
                _codes?.Dispose();
                _codes = Tensor.FromArray(codes, new Shape(Data.Count, Options.Architecture.LatentDim), CpuBackend.Default).Persist();
                _priorStep = Step;
            }
            return _prior!;
        }
    }

    /// <summary>Runs one iteration and returns its binary cross entropy.</summary>
    public override TrainingStepReport Train()
    {
        var clock = Stopwatch.StartNew();
        using (MemoryScope.Begin())
        {
            NextBatch();
            var loss = Ops.BceWithLogits(G.ForwardLogits(D.Forward(Real)), Real, LatentOptions.OccupiedWeight);
            Record(FirstFreeSlot, loss);
            OptG.ZeroGrad();
            OptD.ZeroGrad();
            loss.Backward();
            OptG.Step();
            OptD.Step();
        }
        float reconstruction = ReadBack()[FirstFreeSlot]; // the iteration's one host synchronisation
        CheckFinite("reconstruction", reconstruction);
        EndStep(0, 0);
        return new TrainingStepReport(Step, [("loss_recon", reconstruction), ("seconds", clock.Elapsed.TotalSeconds)]);
    }

    /// <inheritdoc/>
    public override float[] DrawLatent(int count, Rng rng) => Prior.Sample(count, rng);

    /// <inheritdoc/>
    protected override IEnumerable<(string Name, Tensor Tensor)> ExtraTensors
    {
        get
        {
            _ = Prior; // the codes of the weights being saved
            return [(CodesKey, _codes!)];
        }
    }

    /// <summary>
    /// The codes of every shape of <paramref name="data"/> under <paramref name="encoder"/> in eval mode
    /// (running batch-norm statistics), without gradients; the encoder's mode is restored afterwards.
    /// </summary>
    public static float[] EncodeAll(Discriminator3D encoder, VoxelDataset data, int chunk = 32) =>
        FeatureExtractor.PerShape(encoder, data, encoder.Architecture.DiscriminatorOutputs, encoder.Forward, chunk);

    /// <inheritdoc/>
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _codes?.Dispose();
        }
        base.Dispose(disposing);
    }

    /// <summary>Rebuilds the trainer saved in <paramref name="path"/> and continues where it stopped.</summary>
    public static LatentModelTrainer Resume(string path, VoxelDataset data, IBackend backend)
    {
        var (ck, positions) = OpenForResume(path, Model, data);
        var options = LatentModelOptions.FromJson(ck.Get("config"), path);
        var t = new LatentModelTrainer(options, data, backend, positions);
        t.Restore(ck);
        return t;
    }
}
