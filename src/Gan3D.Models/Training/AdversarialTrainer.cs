using System.Globalization;
using Gan3D.Data;
using Gan3D.Nn;
using Gan3D.Tensors;

namespace Gan3D.Models;

/// <summary>Where a resumed run's random streams and data order stand (all zero for a fresh run).</summary>
/// <param name="DataEpoch">Epoch of the shape order.</param>
/// <param name="DataPosition">Position inside that epoch.</param>
/// <param name="LatentOffset">Counter of the latent-code stream.</param>
public readonly record struct StreamPositions(long DataEpoch, int DataPosition, ulong LatentOffset);

/// <summary>
/// What the 3D-GAN and 3D-VAE-GAN trainers share: G and D with their optimisers, the shape order and
/// latent stream, the real-batch buffers, D's step with the paper's adaptive rule (D trains on a batch
/// only when its accuracy on the previous one was below the threshold), the divergence check, and
/// checkpoint save/resume of all of that. A subclass adds its networks and writes its iteration.
/// </summary>
public abstract class AdversarialTrainer : ITrainer
{
    private readonly DataOrder _order;
    private readonly Rng _latentRng;
    private readonly float[]? _hostBatch;
    private readonly byte[]? _hostBits;
    private readonly Tensor _readback;
    private readonly float[] _readbackHost = new float[ReadbackSlots];
    private readonly int[]? _labelOf;
    private readonly float[]? _hostLabels;
    private long _dUpdates;

    /// <summary>Builds G and D from the seed (weights first, so a subclass can draw its own networks' weights next from <see cref="InitRng"/>).</summary>
    /// <param name="options">The run's settings.</param>
    /// <param name="data">Training shapes at the model's resolution.</param>
    /// <param name="backend">Where the tensors live.</param>
    /// <param name="positions">Stream positions to continue from (default for a fresh run).</param>
    protected AdversarialTrainer(GanTrainingOptions options, VoxelDataset data, IBackend backend, StreamPositions positions)
    {
        options.Validate();
        int r = options.Architecture.Resolution;
        if (data.Resolution != r)
        {
            throw new ArgumentException($"the data is {data.Resolution}³ but the model is {r}³ (resample the data or choose --resolution {data.Resolution})");
        }
        if (data.Count < options.BatchSize)
        {
            throw new ArgumentException($"the batch size {options.BatchSize} is larger than the {data.Count} shapes of the data");
        }
        Options = options;
        Backend = backend;
        Data = data;
        // Independent streams from one seed: weights, latent codes, data order.
        InitRng = new Rng(options.Seed);
        G = new Generator3D(options.Architecture, backend, InitRng);
        D = new Discriminator3D(options.Architecture, backend, InitRng);
        if (options.GeneratorEma > 0)
        {
            // Its own (unused) weight stream, so turning the average on leaves every other draw as it was.
            GAverage = new Generator3D(options.Architecture, backend, new Rng(0));
            Copy(G.Parameters(), GAverage.Parameters());
            Copy(Buffers(G), Buffers(GAverage));
        }
        OptG = new Adam(G.NamedParameters(), options.LearningRateG, options.Beta1, options.Beta2);
        OptD = new Adam(D.NamedParameters(), options.LearningRateD, options.Beta1, options.Beta2);
        _latentRng = new Rng(options.Seed ^ 0x9E3779B97F4A7C15UL, positions.LatentOffset);
        int b = options.BatchSize, classes = options.Architecture.Classes, group = options.Architecture.MinibatchStdGroup;
        if (classes > 0)
        {
            _labelOf = LabelsByName(options.ClassNames!, data);
            _hostLabels = new float[b * classes];
            Labels = Tensor.Empty(new Shape(b, classes), backend).Persist();
        }
        // A conditional run whose minibatch std channel works in groups draws each group from one class: the channel
        // then measures the spread within a class, not the difference between classes.
        _order = new DataOrder(data.Count, options.Seed ^ 0xD1B54A32D192ED03UL, positions.DataEpoch, positions.DataPosition,
            group > 0 ? _labelOf : null, group);
        BatchIndices = new int[b];
        // The batch goes up as the dataset's bits (expanded on the device) where R³ fills whole bytes.
        if (data.BitsPackContiguously)
        {
            _hostBits = new byte[(long)b * data.BytesPerGrid];
        }
        else
        {
            _hostBatch = new float[(long)b * r * r * r];
        }
        _readback = Tensor.Empty(new Shape(ReadbackSlots), backend).Persist();
        Real = Tensor.Empty(new Shape(b, 1, r, r, r), backend).Persist();
        Z = Tensor.Empty(new Shape(b, options.Architecture.LatentDim), backend).Persist();
    }

    /// <summary>Each training shape's position in a conditional run's <paramref name="classNames"/>, read from its label.</summary>
    private static int[] LabelsByName(IReadOnlyList<string> classNames, VoxelDataset data)
    {
        if (data.Labels is null)
        {
            throw new ArgumentException($"the run is conditional on {classNames.Count} classes ({string.Join(", ", classNames)}) but its shapes have no labels");
        }
        // The data's classes (in order of first appearance, so an unknown one is refused at its first shape) mapped once
        // to the run's.
        var names = classNames.ToList();
        var runClass = new int[data.ClassNames.Count];
        for (int c = 0; c < runClass.Length; c++)
        {
            string label = data.ClassNames[c];
            runClass[c] = names.IndexOf(label);
            if (runClass[c] < 0)
            {
                throw new ArgumentException($"shape {data.ClassIndices.ToList().IndexOf(c)} is labelled '{label}', not one of the run's {classNames.Count} classes ({string.Join(", ", classNames)})");
            }
        }
        return data.ClassIndices.Select(c => runClass[c]).ToArray();
    }

    /// <summary>
    /// A fresh trainer for <paramref name="options"/>: a <see cref="VaeGanTrainer"/> for
    /// <see cref="VaeGanTrainingOptions"/> (on rendered views of <paramref name="data"/>, or on
    /// <paramref name="images"/> when given), else a <see cref="GanTrainer"/>. Continue a saved run
    /// of either with <see cref="TrainingCheckpoint.Resume"/>.
    /// </summary>
    public static AdversarialTrainer Create(GanTrainingOptions options, VoxelDataset data, IBackend backend, TrainingImages? images = null)
    {
        if (options is VaeGanTrainingOptions vae)
        {
            return new VaeGanTrainer(vae, data, backend, images);
        }
        if (images is not null)
        {
            throw new ArgumentException($"a {(options is LatentModelOptions ? LatentModelTrainer.Model : GanTrainer.Model)} trains on shapes only, not on images");
        }
        return options is LatentModelOptions latent ? new LatentModelTrainer(latent, data, backend) : new GanTrainer(options, data, backend);
    }

    /// <summary>The run's settings (the learning rates as <see cref="SetLearningRates"/> last set them).</summary>
    public GanTrainingOptions Options { get; private set; }

    /// <summary>
    /// Trains G and D at these Adam learning rates from the next step on (a resumed run told to go slower, e.g. after a
    /// divergence warning); the optimisers' moments are kept, and the next checkpoint and config.json record the rates.
    /// </summary>
    public void SetLearningRates(float learningRateG, float learningRateD)
    {
        var changed = Options with { LearningRateG = learningRateG, LearningRateD = learningRateD };
        changed.Validate();
        Options = changed;
        OptG.Lr = learningRateG;
        OptD.Lr = learningRateD;
    }

    /// <summary>Where the tensors live.</summary>
    public IBackend Backend { get; }

    /// <summary>The training shapes.</summary>
    public VoxelDataset Data { get; }

    /// <summary>The generator.</summary>
    public Generator3D G { get; }

    /// <summary>The moving average of G's weights (<see cref="GanTrainingOptions.GeneratorEma"/>); null when off.</summary>
    public Generator3D? GAverage { get; }

    /// <summary>The generator samples come from: the average when there is one, else G.</summary>
    public Generator3D SamplingGenerator => GAverage ?? G;

    /// <summary>The discriminator.</summary>
    public Discriminator3D D { get; }

    /// <summary>G's optimiser.</summary>
    public Adam OptG { get; }

    /// <summary>D's optimiser.</summary>
    public Adam OptD { get; }

    /// <summary>Iterations completed.</summary>
    public long Step { get; private set; }

    /// <summary>D's accuracy on the last batch (decides whether D trains on the next one).</summary>
    public float LastDAccuracy { get; private set; }

    /// <summary>Fraction of D's steps so far (<see cref="GanTrainingOptions.DSteps"/> an iteration) in which D was updated.</summary>
    public double DUpdateFraction => Step == 0 ? 0 : (double)_dUpdates / (Step * Options.DSteps);

    /// <summary>The model's voxel resolution.</summary>
    public int Resolution => Options.Architecture.Resolution;

    /// <summary>The model name in checkpoints and config.json: "3d-gan" or "3d-vae-gan".</summary>
    public abstract string ModelName { get; }

    /// <summary>The panels of losses.png.</summary>
    public abstract IReadOnlyList<(string Title, string[] Columns)> PlotLayout { get; }

    /// <summary>D's loss, except for WGAN-GP, whose critic loss has no scale to jump from (it is signed and drifts).</summary>
    public virtual string? WatchedLoss => Options.Loss == AdversarialLoss.WassersteinGp ? null : "loss_d";

    /// <summary>The weight stream after G and D were drawn: a subclass draws its extra networks from it.</summary>
    protected Rng InitRng { get; }

    /// <summary>The current batch's shape indices (filled by <see cref="NextBatch"/>).</summary>
    protected int[] BatchIndices { get; }

    /// <summary>The current batch of real shapes (B, 1, R, R, R).</summary>
    protected Tensor Real { get; }

    /// <summary>Latent codes for the current batch (B, Z).</summary>
    protected Tensor Z { get; }

    /// <summary>
    /// A conditional run's one-hot labels of the current batch's real shapes (B, K), which its generated shapes are
    /// given too: G is asked for each class as often as the data holds it. Null for an unconditional run.
    /// </summary>
    protected Tensor? Labels { get; }

    /// <summary>G's input for the current batch: <see cref="Z"/>, followed by <see cref="Labels"/> in a conditional run.</summary>
    protected Tensor Codes => Labels is null ? Z : Ops.Concat([Z, Labels], 1);

    /// <summary>The stream that draws latent codes (and any other per-step noise, in a fixed order).</summary>
    protected Rng LatentRng => _latentRng;

    /// <summary>Whether D trains on this iteration's batch: always on the first, then only below the accuracy threshold.</summary>
    protected bool ShouldUpdateD => Step == 0 || Options.DAccuracyThreshold >= 1f || LastDAccuracy < Options.DAccuracyThreshold;

    /// <summary>Runs one iteration and returns its row of metrics.csv.</summary>
    public abstract TrainingStepReport Train();

    /// <summary>Draws the next batch of real shapes into <see cref="Real"/> and fresh latent codes into <see cref="Z"/>.</summary>
    protected void NextBatch()
    {
        _order.Next(BatchIndices);
        if (_hostBits is not null)
        {
            Data.FillBatchBits(BatchIndices, _hostBits);
            Backend.UploadBits(_hostBits, Real);
        }
        else
        {
            Data.FillBatch(BatchIndices, _hostBatch);
            Real.CopyFrom(_hostBatch);
        }
        DrawLatent(Z);
        if (_labelOf is not null)
        {
            int k = Options.Architecture.Classes;
            Array.Clear(_hostLabels!);
            for (int i = 0; i < BatchIndices.Length; i++)
            {
                _hostLabels![i * k + _labelOf[BatchIndices[i]]] = 1f;
            }
            Labels!.CopyFrom(_hostLabels);
        }
    }

    /// <summary>
    /// Slots of the iteration's read-back: D's loss, its right calls on each half and its gradient penalty's sum (when
    /// one was computed); a subclass's own from <see cref="FirstFreeSlot"/>.
    /// </summary>
    protected const int LossDSlot = 0, HitsRealSlot = 1, HitsFakeSlot = 2, PenaltySlot = 3, FirstFreeSlot = 4, ReadbackSlots = 8;

    /// <summary>Whether D's loss has a gradient penalty (R1 or WGAN-GP's): the runs whose metrics log <c>loss_penalty</c>.</summary>
    public bool HasPenalty => Options.R1Gamma > 0 || Options.Loss == AdversarialLoss.WassersteinGp;

    /// <summary>What the penalty's recorded scalar is multiplied by to give the term as weighed in D's loss; 0 when this step recorded none.</summary>
    private float _penaltyScale;

    private float _lastPenalty = float.NaN;

    /// <summary>
    /// The gradient penalty at D's last penalised update (γ/2 · mean ‖∇ₓD(x)‖² for R1, before the lazy schedule's ×K; 10 · mean
    /// (‖∇D(x̂)‖ − 1)² for WGAN-GP), from a <see cref="ReadBack"/>; NaN before the first in this process.
    /// </summary>
    protected float PenaltyResult(float[] readback)
    {
        if (_penaltyScale > 0)
        {
            _lastPenalty = readback[PenaltySlot] * _penaltyScale;
        }
        return _lastPenalty;
    }

    /// <summary>Copies a one-element tensor into a read-back slot, on the device (no wait).</summary>
    protected void Record(int slot, Tensor scalar) => Backend.CopyRows(scalar, 0, 1, _readback, slot, 1, 1, 1);

    /// <summary>
    /// The iteration's one wait for the device: every recorded scalar (losses, D's right calls) read back
    /// together. The divergence check runs on these, after the iteration's updates: a run that diverges
    /// stops before any checkpoint holds an update from a non-finite loss.
    /// </summary>
    protected float[] ReadBack()
    {
        _readback.CopyTo(_readbackHost);
        return _readbackHost;
    }

    /// <summary>D's loss and accuracy on each half from a <see cref="ReadBack"/>, its loss checked finite.</summary>
    protected (float Loss, float AccuracyReal, float AccuracyFake) DiscriminatorResults(float[] readback)
    {
        CheckFinite("D", readback[LossDSlot]);
        int logits = Options.BatchSize / Options.Architecture.DiscriminatorPack;
        return (readback[LossDSlot], readback[HitsRealSlot] / logits, readback[HitsFakeSlot] / logits);
    }

    /// <summary>
    /// D's half of the iteration: the <see cref="GanTrainingOptions.Loss"/> of D on real shapes (to be
    /// called real) and <paramref name="fake"/> (already detached; to be called fake), with an update only
    /// when <paramref name="update"/>. Records the loss and D's right calls (logits of the right sign) on each
    /// half (read them with <see cref="ReadBack"/> and <see cref="DiscriminatorResults"/>).
    /// </summary>
    protected void DiscriminatorStep(Tensor fake, bool update)
    {
        // Its own scope: D's activations on real and fake are freed before the G step runs D again,
        // instead of living to the end of the iteration (nothing here outlives the step but numbers).
        using var scope = MemoryScope.Begin();
        _penaltyScale = 0;
        // R1 on this update: the real half's logits come with their input gradient, penalised in the same backward.
        bool r1 = update && Options.R1Gamma > 0 && _dUpdates % Options.R1Every == 0;
        var real = AsDSeesIt(Real);
        fake = AsDSeesIt(fake);
        var (dReal, realGradient) = r1 ? D.ForwardWithInputGradient(real, Labels) : (D.Forward(real, Labels), (Tensor?)null);
        var dFake = D.Forward(fake, Labels);
        RecordHits(HitsRealSlot, dReal, positive: true);
        RecordHits(HitsFakeSlot, dFake, positive: false);
        var loss = Options.Loss switch
        {
            AdversarialLoss.Hinge => Ops.Add(Ops.HingeLoss(dReal, 1f), Ops.HingeLoss(dFake, -1f)),
            AdversarialLoss.WassersteinGp => Ops.Sub(Ops.Mean(dFake), Ops.Mean(dReal)),
            _ => Ops.Add(Ops.BceWithLogits(dReal, 1f), Ops.BceWithLogits(dFake, 0f)),
        };
        Record(LossDSlot, loss);
        if (Options.Loss == AdversarialLoss.WassersteinGp && update)
        {
            var epsilon = new float[real.Shape[0]];
            for (int i = 0; i < epsilon.Length; i++)
            {
                epsilon[i] = (float)_latentRng.NextDouble();
            }
            var penalty = GradientPenalty(real, fake, epsilon);
            Record(PenaltySlot, penalty);
            _penaltyScale = GanTrainingOptions.WassersteinGpWeight;
            loss = Ops.Add(loss, Ops.MulScalar(penalty, GanTrainingOptions.WassersteinGpWeight));
        }
        if (realGradient is not null)
        {
            // γ/2 · mean over the batch of ‖∇ₓD(x)‖², times the updates it stands for.
            float scale = Options.R1Gamma * Options.R1Every / (2f * dReal.Shape[0]);
            var squares = Ops.Sum(Ops.Square(realGradient));
            Record(PenaltySlot, squares);
            _penaltyScale = Options.R1Gamma / (2f * dReal.Shape[0]);
            loss = Ops.Add(loss, Ops.MulScalar(squares, scale));
        }
        if (update)
        {
            OptD.ZeroGrad();
            loss.Backward();
            OptD.Step();
            _dUpdates++;
        }
    }

    /// <summary>
    /// G's adversarial term for its shapes <paramref name="fake"/> (not detached): BCE of D's logits
    /// against "real" (the paper's non-saturating loss), or −mean(D(fake)) for the hinge loss. Call it
    /// inside <see cref="WithFrozenD"/>.
    /// </summary>
    protected Tensor GeneratorLoss(Tensor fake)
    {
        var logits = D.Forward(AsDSeesIt(fake), Labels);
        return Options.Loss == AdversarialLoss.Bce ? Ops.BceWithLogits(logits, 1f) : Ops.MulScalar(Ops.Mean(logits), -1f);
    }

    /// <summary>
    /// The mode-seeking term λ / (r + ε) of <see cref="GanTrainingOptions.ModeSeeking"/> for G's shapes <paramref name="fake"/>
    /// (probabilities, not detached) decoded from <paramref name="z"/>: r = mean (fake₁ − fake₂)² / mean (z₁ − z₂)², the batch's
    /// first half paired with its second (an odd batch's last shape unpaired).
    /// </summary>
    public static Tensor ModeSeekingTerm(Tensor fake, Tensor z, float weight)
    {
        int half = fake.Shape[0] / 2;
        Tensor MeanSquaredPairDifference(Tensor x) => Ops.Mean(Ops.Square(Ops.Sub(Ops.Narrow(x, 0, 0, half), Ops.Narrow(x, 0, half, half))));
        // 1 / x as rsqrt(x)², from ops the tape already differentiates.
        var ratio = Ops.Mul(MeanSquaredPairDifference(fake), Ops.Square(Ops.Rsqrt(MeanSquaredPairDifference(z.Detach()))));
        return Ops.MulScalar(Ops.Square(Ops.Rsqrt(Ops.AddScalar(ratio, GanTrainingOptions.ModeSeekingEpsilon))), weight);
    }

    /// <summary>
    /// WGAN-GP's penalty mean((‖∇D(x̂)‖ − 1)²) at x̂ = εᵢ·real + (1 − εᵢ)·fake for shape i (the trainer draws ε
    /// from U(0, 1) on the latent stream); differentiable in D's weights (x̂ itself is a constant of D's step).
    /// </summary>
    protected Tensor GradientPenalty(Tensor real, Tensor fake, float[] epsilon)
    {
        int n = real.Shape[0];
        int voxels = checked((int)real.Shape.SizeFrom(1));
        // x̂ = fake + diag(ε)·(real − fake), rows of voxels.
        var mix = new float[n * n];
        for (int i = 0; i < n; i++)
        {
            mix[i * n + i] = epsilon[i];
        }
        Tensor between;
        using (Autograd.NoGrad())
        {
            var diff = Ops.Reshape(Ops.Sub(real, fake), n, voxels);
            between = Ops.Reshape(Ops.Add(Ops.Reshape(fake, n, voxels), Ops.MatMul(Tensor.FromArray(mix, new Shape(n, n), Backend), diff)), real.Shape.ToArray());
        }
        return UnitNormPenalty(D.ForwardWithInputGradient(between, Labels).InputGradient);
    }

    /// <summary>
    /// WGAN-GP's penalty on a critic's input gradient (N, ...): mean over the N rows of (‖gᵢ‖ − 1)², differentiable in
    /// whatever the gradient was formed from.
    /// </summary>
    public static Tensor UnitNormPenalty(Tensor gradient)
    {
        int n = gradient.Shape[0];
        int rest = checked((int)gradient.Shape.SizeFrom(1));
        // ‖g‖ per row as s·rsqrt(s + tiny): the square root with a finite derivative at 0.
        var squares = Ops.MatMul(Ops.Reshape(Ops.Square(gradient), n, rest), Tensor.Ones(new Shape(rest, 1), gradient.Backend));
        var norm = Ops.Mul(squares, Ops.Rsqrt(Ops.AddScalar(squares, 1e-12f)));
        return Ops.Mean(Ops.Square(Ops.AddScalar(norm, -1f)));
    }

    /// <summary>
    /// What D sees of <paramref name="shapes"/>: while the resolution grows (<see cref="GanTrainingOptions.GrowIterations"/>),
    /// the shapes blended with their 2×2×2 block means by this iteration's α; then plus Gaussian noise of this iteration's
    /// instance-noise level (<see cref="GanTrainingOptions.InstanceNoiseAt"/>), drawn from the latent
    /// stream (nothing is drawn when the level is 0). The shapes themselves when both are off. Differentiable.
    /// </summary>
    protected Tensor AsDSeesIt(Tensor shapes)
    {
        float alpha = Options.CoarseBlendAt(Step);
        if (alpha > 0)
        {
            var blocks = BlockMeans(shapes);
            shapes = alpha == 1f ? blocks : Ops.Add(shapes, Ops.MulScalar(Ops.Sub(blocks, shapes), alpha));
        }
        float sigma = Options.InstanceNoiseAt(Step);
        if (sigma <= 0)
        {
            return shapes;
        }
        var noise = shapes.EmptyLike();
        _latentRng.FillNormal(noise, 0f, sigma);
        return Ops.Add(shapes, noise);
    }

    private Tensor? _blockDown, _blockUp;

    /// <summary>
    /// Each 2×2×2 block of <paramref name="shapes"/> (N, 1, R, R, R), R even, replaced by its mean: a stride-2 convolution with
    /// weights 1/8 (the means at R/2), then a stride-2 transposed convolution with weights 1 (each mean over its block).
    /// </summary>
    protected Tensor BlockMeans(Tensor shapes)
    {
        if (shapes.Shape.Rank != 5 || shapes.Shape[1] != 1 || shapes.Shape[2] % 2 != 0 || shapes.Shape[3] % 2 != 0 || shapes.Shape[4] % 2 != 0)
        {
            throw new ArgumentException($"block means take shapes (N, 1, D, H, W) with even sides, not {shapes.Shape}");
        }
        var kernel = new Shape(1, 1, 2, 2, 2);
        _blockDown ??= Tensor.Full(kernel, 1f / 8, Backend).Persist();
        _blockUp ??= Tensor.Ones(kernel, Backend).Persist();
        return Ops.ConvTranspose3d(Ops.Conv3d(shapes, _blockDown, null, 2, 0), _blockUp, null, 2, 0);
    }

    /// <summary>
    /// Runs <paramref name="body"/> with D's weights frozen, so a generator loss that goes through D
    /// skips D's weight gradients (and leaves D's stored gradients alone).
    /// </summary>
    protected T WithFrozenD<T>(Func<T> body)
    {
        D.RequiresGrad(false);
        try
        {
            return body();
        }
        finally
        {
            D.RequiresGrad(true);
        }
    }

    /// <summary>Counts the iteration, remembers D's accuracy for the next one's adaptive rule and moves G's average.</summary>
    protected void EndStep(float accuracyReal, float accuracyFake)
    {
        Backend.Pool.EndIteration(); // blocks of an earlier phase (sampling, another batch size) go back
        Step++;
        LastDAccuracy = (accuracyReal + accuracyFake) / 2;
        if (GAverage is not null)
        {
            float d = Options.GeneratorEma;
            foreach (var (average, current) in GAverage.Parameters().Zip(G.Parameters()))
            {
                Backend.Axpy(d - 1, average, average); // average ← d·average
                Backend.Axpy(1 - d, current, average); //   + (1 − d)·current
            }
            Copy(Buffers(G), Buffers(GAverage)); // batch-norm running statistics: G's own
        }
    }

    private static IEnumerable<Tensor> Buffers(Module m) => m.NamedBuffers().Select(b => b.Tensor);

    private void Copy(IEnumerable<Tensor> from, IEnumerable<Tensor> to)
    {
        foreach (var (source, target) in from.Zip(to))
        {
            Backend.Copy(source, target);
        }
    }

    /// <summary>Stops the run (before any checkpoint holds an update from it) when a loss is NaN or infinite.</summary>
    protected void CheckFinite(string which, float loss)
    {
        if (!float.IsFinite(loss))
        {
            throw new TrainingDivergedException(
                $"the {which} loss became {loss} at iteration {Step + 1}; stopping with no checkpoint of it (try a lower learning rate)");
        }
    }

    /// <summary>Counts, on the device, the logits on the right side of 0 (real: above, fake: below) into a read-back slot.</summary>
    private void RecordHits(int slot, Tensor logits, bool positive) => Record(slot, Ops.CountSign(logits, above: positive));

    private void DrawLatent(Tensor z)
    {
        if (Options.Latent == LatentDistribution.Uniform)
        {
            _latentRng.FillUniform(z);
        }
        else
        {
            _latentRng.FillNormal(z);
        }
    }

    /// <summary>Occupancy probabilities from <see cref="SamplingGenerator"/> for codes z, in eval mode.</summary>
    public float[] Decode(float[] z, int count) => Sampling.Decode(SamplingGenerator, z, count);

    /// <summary>G's codes from the run's distribution (a conditional run's labels in the proportions of its training shapes).</summary>
    public virtual float[] DrawLatent(int count, Rng rng) =>
        Sampling.DrawCodes(count, Options.Architecture, Options.Latent, Options.ClassCounts, rng);

    /// <summary>
    /// Shapes from G for <paramref name="count"/> fresh latent codes of <paramref name="rng"/>, as
    /// occupancy probabilities (count, 1, R, R, R), from <see cref="SamplingGenerator"/> in eval mode, so
    /// training state is untouched.
    /// </summary>
    public float[] Sample(int count, Rng rng) => Decode(DrawLatent(count, rng), count);

    // ---------------------------------------------------------------- checkpoints

    /// <summary>The checkpoint prefix of the averaged generator, which commands that read checkpoints prefer.</summary>
    public const string AveragePrefix = "G_ema";

    private IEnumerable<(string Prefix, Module Module)> AverageModules =>
        GAverage is null ? [] : [(AveragePrefix, GAverage)];

    /// <summary>The subclass's networks beyond G and D, by checkpoint prefix.</summary>
    protected virtual IEnumerable<(string Prefix, Module Module)> ExtraModules => [];

    /// <summary>The subclass's optimisers beyond G's and D's, by checkpoint prefix.</summary>
    protected virtual IEnumerable<(string Prefix, Adam Optimizer)> ExtraOptimizers => [];

    /// <summary>Adds the subclass's metadata (its own stream positions ...) to a checkpoint.</summary>
    protected virtual void AddMetadata(Dictionary<string, string> metadata)
    {
    }

    /// <summary>Tensors stored beside the networks (not trained, not restored on resume).</summary>
    protected virtual IEnumerable<(string Name, Tensor Tensor)> ExtraTensors => [];

    /// <summary>Checkpoint metadata prefix of <see cref="RunMetadata"/>.</summary>
    public const string RunMetadataPrefix = "run.";

    /// <summary>Checkpoint metadata key of how many shapes the run trains on (resume checks the data against it).</summary>
    public const string DataCountKey = "data.count";

    /// <summary>
    /// Notes about the run that the trainer does not use but a resumed run should know (the command line
    /// keeps where the data came from and the iteration target here): saved in every checkpoint under
    /// "run.KEY" and restored by <c>Resume</c>.
    /// </summary>
    public IDictionary<string, string> RunMetadata { get; } = new SortedDictionary<string, string>(StringComparer.Ordinal);

    /// <summary>The configuration stored in the checkpoint (the subclass's options type serialises all its settings).</summary>
    protected abstract string ConfigJson { get; }

    /// <summary>Writes a checkpoint (atomically) that <c>Resume</c> continues exactly.</summary>
    public void Save(string path)
    {
        var meta = new Dictionary<string, string>
        {
            ["model"] = ModelName,
            ["config"] = ConfigJson,
            [ITrainer.StepKey] = Step.ToString(CultureInfo.InvariantCulture),
            ["d_updates"] = _dUpdates.ToString(CultureInfo.InvariantCulture),
            ["d_accuracy"] = LastDAccuracy.ToString("R", CultureInfo.InvariantCulture),
            ["penalty"] = _lastPenalty.ToString("R", CultureInfo.InvariantCulture),
            ["rng.latent"] = _latentRng.Offset.ToString(CultureInfo.InvariantCulture),
            ["data.epoch"] = _order.Epoch.ToString(CultureInfo.InvariantCulture),
            ["data.position"] = _order.Position.ToString(CultureInfo.InvariantCulture),
            [DataCountKey] = Data.Count.ToString(CultureInfo.InvariantCulture),
            ["data.hash"] = Data.ContentHash(),
        };
        foreach (var (key, value) in RunMetadata)
        {
            meta[RunMetadataPrefix + key] = value;
        }
        AddMetadata(meta);
        Checkpoint.Save(path, [("G", G), ("D", D), .. AverageModules, .. ExtraModules], [("opt_g", OptG), ("opt_d", OptD), .. ExtraOptimizers], meta, ExtraTensors);
    }

    /// <summary>
    /// Opens a checkpoint to resume from: it must be of <paramref name="model"/> and trained on as many
    /// shapes as <paramref name="data"/> holds. Returns it with the stream positions to rebuild the trainer with.
    /// </summary>
    protected static (Checkpoint Checkpoint, StreamPositions Positions) OpenForResume(string path, string model, VoxelDataset data)
    {
        var ck = Checkpoint.Open(path);
        if (ck.Get("model") != model)
        {
            throw new InvalidDataException($"{path}: a '{ck.Get("model")}' checkpoint cannot resume {model} training");
        }
        long count = ck.GetInt64(DataCountKey);
        if (count != data.Count)
        {
            throw new ArgumentException($"{path}: the run was trained on {count} shapes but the data now has {data.Count}; resume needs the same data");
        }
        // Checkpoints from before the fingerprint was kept have none; their shape count is all there is to compare.
        if (ck.Metadata.TryGetValue("data.hash", out var hash) && hash != data.ContentHash())
        {
            throw new ArgumentException($"{path}: the run was trained on other shapes (as many, {count}, but different voxels); resume needs the same data");
        }
        long epoch = ck.GetInt64("data.epoch"), position = ck.GetInt64("data.position"), latent = ck.GetInt64("rng.latent");
        if (epoch < 0 || position < 0 || position > count || latent < 0)
        {
            throw new InvalidDataException($"{path}: stream positions out of range (data epoch {epoch}, position {position} of {count}, latent {latent})");
        }
        return (ck, new StreamPositions(epoch, (int)position, (ulong)latent));
    }

    /// <summary>Loads every network, optimiser and counter from <paramref name="ck"/> (written by <see cref="Save"/>).</summary>
    protected void Restore(Checkpoint ck)
    {
        foreach (var (prefix, module) in (IEnumerable<(string, Module)>)[("G", G), ("D", D), .. AverageModules, .. ExtraModules])
        {
            ck.LoadModule(prefix, module);
        }
        foreach (var (prefix, opt) in (IEnumerable<(string, Adam)>)[("opt_g", OptG), ("opt_d", OptD), .. ExtraOptimizers])
        {
            ck.LoadOptimizer(prefix, opt);
        }
        long step = ck.GetInt64(ITrainer.StepKey), dUpdates = ck.GetInt64("d_updates");
        double accuracy = ck.GetDouble("d_accuracy");
        if (step < 0 || dUpdates < 0 || dUpdates > step * Options.DSteps || !(accuracy >= 0 && accuracy <= 1))
        {
            throw new InvalidDataException($"{ck.Path}: counters out of range (step {step}, D updates {dUpdates}, D accuracy {accuracy})");
        }
        Step = step;
        _dUpdates = dUpdates;
        LastDAccuracy = (float)accuracy;
        // The penalty last logged (older checkpoints have none: NaN until D's next penalised update).
        _lastPenalty = ck.Metadata.ContainsKey("penalty") ? (float)ck.GetDouble("penalty") : float.NaN;
        foreach (var (key, value) in ck.Metadata)
        {
            if (key.StartsWith(RunMetadataPrefix, StringComparison.Ordinal))
            {
                RunMetadata[key[RunMetadataPrefix.Length..]] = value;
            }
        }
    }

    /// <summary>Frees the networks, optimisers and batch tensors.</summary>
    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    /// <summary>Frees what the trainer holds; a subclass frees its own and calls this.</summary>
    protected virtual void Dispose(bool disposing)
    {
        if (!disposing)
        {
            return;
        }
        G.Dispose();
        GAverage?.Dispose();
        D.Dispose();
        OptG.Dispose();
        OptD.Dispose();
        Real.Dispose();
        Z.Dispose();
        _readback.Dispose();
        _blockDown?.Dispose();
        _blockUp?.Dispose();
        foreach (var (_, m) in ExtraModules)
        {
            m.Dispose();
        }
        foreach (var (_, o) in ExtraOptimizers)
        {
            o.Dispose();
        }
    }
}
