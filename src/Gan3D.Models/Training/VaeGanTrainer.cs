using System.Diagnostics;
using System.Globalization;
using Gan3D.Data;
using Gan3D.Nn;
using Gan3D.Tensors;

namespace Gan3D.Models;

/// <summary>What one 3D-VAE-GAN iteration measured (a row of metrics.csv).</summary>
public sealed record VaeGanStepResult(
    long Step,
    float LossD,
    float LossGan,
    float LossKl,
    float LossReconstruction,
    float LossTotal,
    float DAccuracy,
    bool DUpdated,
    double DUpdateFraction,
    double Seconds)
{
    /// <summary>The row of metrics.csv for this step: each loss term on its own, unweighted, then the weighted total.</summary>
    public TrainingStepReport ToReport() => new(Step,
    [
        ("loss_d", LossD),
        ("loss_gan", LossGan),
        ("loss_kl", LossKl),
        ("loss_recon", LossReconstruction),
        ("loss_total", LossTotal),
        ("d_accuracy", DAccuracy),
        ("d_updated", DUpdated ? 1 : 0),
        ("d_update_fraction", DUpdateFraction),
        ("seconds", Seconds),
    ]);
}

/// <summary>
/// Trains a 3D-VAE-GAN (image encoder E, generator G, discriminator D) on (image, shape) pairs.
/// Each iteration: D's step exactly as in the 3D-GAN (real shapes against G(z), z ~ N(0, I), with the
/// 80% rule); then one joint step of E and G on
/// L = BCE(D(G(z)), real) (or the hinge loss's −mean D(G(z))) + α1·KL(q(z|y) ‖ N(0, I)) + α2·‖G(E(y)) − x‖², where y is an image of the
/// real shape x and E(y) a reparameterised sample of q(z|y). The KL term trains E only, the GAN term
/// G only, the reconstruction term both. Images are rendered views of the shapes from random
/// viewpoints, or supplied pairs. Deterministic from the seed; <see cref="Resume"/> continues exactly.
/// </summary>
public sealed class VaeGanTrainer : AdversarialTrainer
{
    /// <summary>The model name in checkpoints.</summary>
    public const string Model = "3d-vae-gan";

    private readonly TrainingImages _images;
    private readonly Rng _viewRng;
    private readonly float[] _hostImages;
    private readonly Tensor _imageBatch;
    private readonly Tensor _epsilon;
    private readonly Tensor _meanShape;

    /// <summary>A fresh run on rendered views of <paramref name="data"/> (or on <paramref name="images"/> when given).</summary>
    public VaeGanTrainer(VaeGanTrainingOptions options, VoxelDataset data, IBackend backend, TrainingImages? images = null)
        : this(options, data, backend, images, default, 0)
    {
    }

    private VaeGanTrainer(VaeGanTrainingOptions options, VoxelDataset data, IBackend backend, TrainingImages? images,
        StreamPositions positions, ulong viewOffset)
        : base(options, data, backend, positions)
    {
        _images = images ?? TrainingImages.Rendered(data, options.Encoder, options.Views);
        if (_images.Encoder != options.Encoder)
        {
            throw new ArgumentException($"the training images are made for an encoder of {_images.Encoder}, the model's is {options.Encoder}");
        }
        E = new ImageEncoder(options.Encoder, backend, InitRng);
        OptE = new Adam(E.NamedParameters(), options.LearningRateE, options.Beta1, options.Beta2);
        _viewRng = new Rng(options.Seed ^ 0x632BE59BD9B4E019UL, viewOffset);
        int b = options.BatchSize, s = options.ImageSize;
        _hostImages = new float[b * _images.ImageLength];
        _imageBatch = Tensor.Empty(new Shape(b, options.Encoder.Channels, s, s), backend).Persist();
        _epsilon = Tensor.Empty(new Shape(b, options.Architecture.LatentDim), backend).Persist();
        int r = options.Architecture.Resolution;
        MeanShapeValues = MeanShape.Compute(data);
        (MeanShapeThreshold, _) = MeanShape.BestThreshold(MeanShapeValues, data);
        _meanShape = Tensor.FromArray(MeanShapeValues, new Shape(r, r, r), CpuBackend.Default).Persist();
    }

    /// <summary>The run's settings.</summary>
    public VaeGanTrainingOptions VaeOptions => (VaeGanTrainingOptions)Options;

    /// <summary>The image encoder.</summary>
    public ImageEncoder E { get; }

    /// <summary>E's optimiser.</summary>
    public Adam OptE { get; }

    /// <summary>The mean training shape (R³ occupancy frequencies), stored in checkpoints for the reconstruction baseline.</summary>
    public float[] MeanShapeValues { get; }

    /// <summary>The threshold of the mean shape with the best mean IoU on the training shapes.</summary>
    public float MeanShapeThreshold { get; }

    /// <inheritdoc/>
    public override string ModelName => Model;

    /// <inheritdoc/>
    protected override string ConfigJson => VaeOptions.ToJson();

    /// <inheritdoc/>
    public override IReadOnlyList<(string Title, string[] Columns)> PlotLayout { get; } =
    [
        ("Adversarial losses", ["loss_d", "loss_gan"]),
        ("KL (nats a latent dimension)", ["loss_kl"]),
        ("Reconstruction (squared error a shape)", ["loss_recon"]),
        ("D accuracy and update fraction", ["d_accuracy", "d_update_fraction"]),
    ];

    /// <summary>Runs one iteration and returns its measurements.</summary>
    public VaeGanStepResult TrainStep()
    {
        var clock = Stopwatch.StartNew();
        bool updateD = ShouldUpdateD;
        int b = Options.BatchSize;
        using (MemoryScope.Begin())
        {
            NextBatch();
            _images.Fill(BatchIndices, _viewRng, _hostImages);
            _imageBatch.CopyFrom(_hostImages);
            LatentRng.FillNormal(_epsilon);

            var fake = G.Forward(Z);
            DiscriminatorStep(fake.Detach(), updateD);

            WithFrozenD(() =>
            {
                var gan = GeneratorLoss(fake);
                var (mu, logVar) = E.Encode(_imageBatch);
                // KL summed over z and averaged over the batch, then per latent dimension (see the options).
                var kl = Ops.MulScalar(Ops.KlDivergenceStandardNormal(mu, logVar), 1f / Options.Architecture.LatentDim);
                var reconstruction = G.Forward(ImageEncoder.Reparameterize(mu, logVar, _epsilon));
                // ‖G(E(y)) − x‖² summed over voxels, averaged over the batch.
                var recon = Ops.MulScalar(Ops.MseLoss(reconstruction, Real, Reduction.Sum), 1f / b);
                var total = Ops.Add(gan, Ops.Add(Ops.MulScalar(kl, VaeOptions.KlWeight), Ops.MulScalar(recon, VaeOptions.ReconstructionWeight)));
                Record(FirstFreeSlot, gan);
                Record(FirstFreeSlot + 1, kl);
                Record(FirstFreeSlot + 2, recon);
                Record(FirstFreeSlot + 3, total);
                OptG.ZeroGrad();
                OptE.ZeroGrad();
                total.Backward();
                OptG.Step();
                OptE.Step();
                return 0;
            });
        }
        var readback = ReadBack(); // the iteration's one host synchronisation
        var (lossD, accReal, accFake) = DiscriminatorResults(readback);
        float lossGan = readback[FirstFreeSlot], lossKl = readback[FirstFreeSlot + 1];
        float lossRecon = readback[FirstFreeSlot + 2], lossTotal = readback[FirstFreeSlot + 3];
        CheckFinite("E/G", lossTotal);
        EndStep(accReal, accFake);
        return new VaeGanStepResult(Step, lossD, lossGan, lossKl, lossRecon, lossTotal, LastDAccuracy, updateD, DUpdateFraction, clock.Elapsed.TotalSeconds);
    }

    /// <inheritdoc/>
    public override TrainingStepReport Train() => TrainStep().ToReport();

    /// <inheritdoc/>
    protected override IEnumerable<(string Prefix, Module Module)> ExtraModules => [("E", E)];

    /// <inheritdoc/>
    protected override IEnumerable<(string Prefix, Adam Optimizer)> ExtraOptimizers => [("opt_e", OptE)];

    /// <inheritdoc/>
    protected override IEnumerable<(string Name, Tensor Tensor)> ExtraTensors => [(MeanShapeKey, _meanShape)];

    /// <summary>Checkpoint tensor holding the mean training shape.</summary>
    public const string MeanShapeKey = "mean_shape";

    /// <summary>Checkpoint metadata holding the mean shape's best threshold on the training shapes.</summary>
    public const string MeanShapeThresholdKey = "mean_shape.threshold";

    /// <inheritdoc/>
    protected override void AddMetadata(Dictionary<string, string> metadata)
    {
        metadata["rng.view"] = _viewRng.Offset.ToString(CultureInfo.InvariantCulture);
        metadata["images"] = _images.IsRendered ? "rendered" : "supplied";
        metadata[MeanShapeThresholdKey] = MeanShapeThreshold.ToString("R", CultureInfo.InvariantCulture);
    }

    /// <summary>Rebuilds the trainer saved in <paramref name="path"/> and continues where it stopped (with the same kind of images).</summary>
    public static VaeGanTrainer Resume(string path, VoxelDataset data, IBackend backend, TrainingImages? images = null)
    {
        var (ck, positions) = OpenForResume(path, Model, data);
        var options = VaeGanTrainingOptions.FromJson(ck.Get("config"), path);
        bool rendered = ck.Get("images") == "rendered";
        if (rendered != (images is null || images.IsRendered))
        {
            throw new ArgumentException($"{path}: the run was trained on {(rendered ? "rendered views" : "supplied image pairs")}; resume it with the same");
        }
        var t = new VaeGanTrainer(options, data, backend, images, positions, (ulong)ck.GetInt64("rng.view"));
        t.Restore(ck);
        return t;
    }

    /// <inheritdoc/>
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _imageBatch.Dispose();
            _epsilon.Dispose();
            _meanShape.Dispose();
        }
        base.Dispose(disposing);
    }
}
