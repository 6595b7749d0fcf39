using System.Diagnostics;
using System.Globalization;
using Gan3D.Data;
using Gan3D.Nn;
using Gan3D.Tensors;

namespace Gan3D.Models;

/// <summary>
/// Trains a 3D-GAN: each iteration draws a real batch and latent codes, scores both with D, updates D
/// (only when its accuracy on the previous batch was below the threshold: the paper's adaptive rule),
/// then updates G to make D call its shapes real. Losses are binary cross entropy on D's logits.
/// Deterministic from the seed; <see cref="Save"/> and <see cref="Resume"/> continue a run exactly.
/// </summary>
public sealed class GanTrainer : ITrainer
{
    private readonly VoxelDataset _data;
    private readonly DataOrder _order;
    private readonly Gan3D.Tensors.Generator _latentRng;
    private readonly int[] _indices;
    private readonly float[] _hostBatch;
    private readonly float[] _hostLogits;
    private readonly Tensor _real;
    private readonly Tensor _z;
    private long _dUpdates;

    public GanTrainer(GanTrainingOptions options, VoxelDataset data, IBackend backend)
        : this(options, data, backend, dataEpoch: 0, dataPosition: 0, latentOffset: 0)
    {
    }

    private GanTrainer(GanTrainingOptions options, VoxelDataset data, IBackend backend, long dataEpoch, int dataPosition, ulong latentOffset)
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
        _data = data;
        // Independent streams from one seed: weights, latent codes, data order.
        var initRng = new Gan3D.Tensors.Generator(options.Seed);
        G = new Generator3D(options.Architecture, backend, initRng);
        D = new Discriminator3D(options.Architecture, backend, initRng);
        OptG = new Adam(G.NamedParameters(), options.LearningRateG, options.Beta1, options.Beta2);
        OptD = new Adam(D.NamedParameters(), options.LearningRateD, options.Beta1, options.Beta2);
        _latentRng = new Gan3D.Tensors.Generator(options.Seed ^ 0x9E3779B97F4A7C15UL, latentOffset);
        _order = new DataOrder(data.Count, options.Seed ^ 0xD1B54A32D192ED03UL, dataEpoch, dataPosition);
        int b = options.BatchSize;
        _indices = new int[b];
        _hostBatch = new float[(long)b * r * r * r];
        _hostLogits = new float[b];
        _real = Tensor.Empty(new Shape(b, 1, r, r, r), backend).Persist();
        _z = Tensor.Empty(new Shape(b, options.Architecture.LatentDim), backend).Persist();
    }

    public GanTrainingOptions Options { get; }

    public IBackend Backend { get; }

    public Generator3D G { get; }

    public Discriminator3D D { get; }

    public Adam OptG { get; }

    public Adam OptD { get; }

    /// <summary>Iterations completed.</summary>
    public long Step { get; private set; }

    /// <summary>D's accuracy on the last batch (decides whether D trains on the next one).</summary>
    public float LastDAccuracy { get; private set; }

    /// <summary>Fraction of iterations so far in which D was updated.</summary>
    public double DUpdateFraction => Step == 0 ? 0 : (double)_dUpdates / Step;

    /// <summary>Runs one iteration and returns its measurements.</summary>
    public GanStepResult TrainStep()
    {
        var clock = Stopwatch.StartNew();
        int b = Options.BatchSize;
        bool updateD = Step == 0 || Options.DAccuracyThreshold >= 1f || LastDAccuracy < Options.DAccuracyThreshold;
        float lossD, lossG, accReal, accFake;
        using (MemoryScope.Begin())
        {
            _order.Next(_indices);
            _data.FillBatch(_indices, _hostBatch);
            _real.CopyFrom(_hostBatch);
            DrawLatent(_z);

            var fake = G.Forward(_z);

            // D: real → 1, fake → 0. Its accuracy on this batch decides the next batch's update.
            var dReal = D.Forward(_real);
            var dFake = D.Forward(fake.Detach());
            accReal = FractionOfSign(dReal, positive: true);
            accFake = FractionOfSign(dFake, positive: false);
            var lossDT = Ops.Add(Ops.BceWithLogits(dReal, 1f), Ops.BceWithLogits(dFake, 0f));
            lossD = lossDT.Item();
            CheckFinite("D", lossD);
            if (updateD)
            {
                OptD.ZeroGrad();
                lossDT.Backward();
                OptD.Step();
                _dUpdates++;
            }

            // G: make D call the fakes real. D's weights are frozen so backward skips their gradients.
            D.RequiresGrad(false);
            try
            {
                var lossGT = Ops.BceWithLogits(D.Forward(fake), 1f);
                lossG = lossGT.Item();
                CheckFinite("G", lossG);
                OptG.ZeroGrad();
                lossGT.Backward();
                OptG.Step();
            }
            finally
            {
                D.RequiresGrad(true);
            }
        }
        Step++;
        LastDAccuracy = (accReal + accFake) / 2;
        return new GanStepResult(Step, lossD, lossG, LastDAccuracy, accReal, accFake, updateD, DUpdateFraction, clock.Elapsed.TotalSeconds);
    }

    private void CheckFinite(string which, float loss)
    {
        if (!float.IsFinite(loss))
        {
            throw new TrainingDivergedException(
                $"the {which} loss became {loss} at iteration {Step + 1}; stopping before any update from it (try a lower learning rate)");
        }
    }

    private float FractionOfSign(Tensor logits, bool positive)
    {
        logits.CopyTo(_hostLogits);
        int hits = 0;
        foreach (float v in _hostLogits)
        {
            hits += (positive ? v > 0 : v < 0) ? 1 : 0;
        }
        return (float)hits / _hostLogits.Length;
    }

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

    public int Resolution => Options.Architecture.Resolution;

    public TrainingStepReport Train() => TrainStep().ToReport();

    public float[] Decode(float[] z, int count) => Sampling.Decode(G, z, count);

    public float[] DrawLatent(int count, Gan3D.Tensors.Generator rng) =>
        Sampling.DrawLatent(count, Options.Architecture.LatentDim, Options.Latent, rng);

    public IReadOnlyList<(string Title, string[] Columns)> PlotLayout { get; } =
    [
        ("Loss", ["loss_d", "loss_g"]),
        ("D accuracy and update fraction", ["d_accuracy", "d_update_fraction"]),
    ];

    /// <summary>
    /// Shapes from G for <paramref name="count"/> fresh latent codes of <paramref name="rng"/>, as
    /// occupancy probabilities (count, 1, R, R, R). G runs in eval mode, so training state is untouched.
    /// </summary>
    public float[] Sample(int count, Gan3D.Tensors.Generator rng) => Sampling.Sample(G, Options.Latent, count, rng);

    // ---------------------------------------------------------------- checkpoints

    public void Save(string path)
    {
        var meta = new Dictionary<string, string>
        {
            ["model"] = "3d-gan",
            ["config"] = Options.ToJson(),
            ["step"] = Step.ToString(CultureInfo.InvariantCulture),
            ["d_updates"] = _dUpdates.ToString(CultureInfo.InvariantCulture),
            ["d_accuracy"] = LastDAccuracy.ToString("R", CultureInfo.InvariantCulture),
            ["rng.latent"] = _latentRng.Offset.ToString(CultureInfo.InvariantCulture),
            ["data.epoch"] = _order.Epoch.ToString(CultureInfo.InvariantCulture),
            ["data.position"] = _order.Position.ToString(CultureInfo.InvariantCulture),
            ["data.count"] = _data.Count.ToString(CultureInfo.InvariantCulture),
        };
        Checkpoint.Save(path, [("G", G), ("D", D)], [("opt_g", OptG), ("opt_d", OptD)], meta);
    }

    /// <summary>Rebuilds the trainer saved in <paramref name="path"/> and continues where it stopped.</summary>
    public static GanTrainer Resume(string path, VoxelDataset data, IBackend backend)
    {
        var ck = Checkpoint.Open(path);
        if (ck.Get("model") != "3d-gan")
        {
            throw new InvalidDataException($"{path}: a '{ck.Get("model")}' checkpoint cannot resume 3D-GAN training");
        }
        var options = GanTrainingOptions.FromJson(ck.Get("config"), path);
        long count = ck.GetInt64("data.count");
        if (count != data.Count)
        {
            throw new ArgumentException($"{path}: the run was trained on {count} shapes but the data now has {data.Count}; resume needs the same data");
        }
        var t = new GanTrainer(options, data, backend, ck.GetInt64("data.epoch"), (int)ck.GetInt64("data.position"), (ulong)ck.GetInt64("rng.latent"));
        ck.LoadModule("G", t.G);
        ck.LoadModule("D", t.D);
        ck.LoadOptimizer("opt_g", t.OptG);
        ck.LoadOptimizer("opt_d", t.OptD);
        t.Step = ck.GetInt64("step");
        t._dUpdates = ck.GetInt64("d_updates");
        t.LastDAccuracy = (float)ck.GetDouble("d_accuracy");
        return t;
    }

    public void Dispose()
    {
        G.Dispose();
        D.Dispose();
        OptG.Dispose();
        OptD.Dispose();
        _real.Dispose();
        _z.Dispose();
    }
}
