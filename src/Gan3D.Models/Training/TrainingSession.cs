using System.Diagnostics;
using System.Globalization;
using Gan3D.Data;
using Gan3D.Nn;
using Gan3D.Tensors;

namespace Gan3D.Models;

/// <summary>Cadences and sizes of a run's outputs.</summary>
public sealed record TrainingSessionOptions
{
    /// <summary>Train until this many iterations are done (counting those before a resume).</summary>
    public long Iterations { get; init; } = 1000;

    /// <summary>Write samples/step-N.png every this many iterations (0: never).</summary>
    public int SampleEvery { get; init; } = 200;

    /// <summary>Write the checkpoint every this many iterations (and always at the end).</summary>
    public int CheckpointEvery { get; init; } = 500;

    /// <summary>Redraw losses.png every this many iterations.</summary>
    public int PlotEvery { get; init; } = 50;

    /// <summary>Shapes in each montage.</summary>
    public int SampleCount { get; init; } = 16;

    /// <summary>Meshes written at the end.</summary>
    public int MeshCount { get; init; } = 8;

    /// <summary>Occupancy threshold for renders and meshes.</summary>
    public float Threshold { get; init; } = 0.5f;

    /// <summary>Seed of the fixed latent codes the montages show, so they are comparable across steps.</summary>
    public ulong SampleSeed { get; init; } = 1;

    /// <summary>Receives a line for each repair made on resume (a torn last row of metrics.csv) and for a loss spike; null: silent.</summary>
    public Action<string>? Log { get; init; }

    /// <summary>Throws a clear error for a count or cadence the session cannot use.</summary>
    public void Validate()
    {
        if (Iterations < 1)
        {
            throw new ArgumentException($"iterations {Iterations} must be at least 1");
        }
        if (SampleEvery < 0 || CheckpointEvery < 0 || PlotEvery < 0)
        {
            throw new ArgumentException($"cadences must be 0 (never) or more, got samples {SampleEvery}, checkpoints {CheckpointEvery}, plots {PlotEvery}");
        }
        if (SampleCount < 1 || SampleCount > 256 || MeshCount < 0 || !(Threshold > 0 && Threshold < 1))
        {
            throw new ArgumentException($"{SampleCount} samples, {MeshCount} meshes and threshold {Threshold}: need 1..256 samples, 0 or more meshes and a threshold in (0, 1)");
        }
    }
}

/// <summary>How a session ended.</summary>
public enum SessionOutcome
{
    Completed,
    Interrupted,
}

/// <summary>
/// Runs a trainer inside a run directory: metrics.csv every step, losses.png, periodic
/// samples/step-N.png montages of fixed latent codes, atomic checkpoints, and at the end a final
/// montage, the sampled probabilities (.npy) and meshes (.obj). An interruption saves a checkpoint
/// first; a diverged loss stops without writing one, so the last good checkpoint stays. A jump of the
/// trainer's <see cref="ITrainer.WatchedLoss"/> (a <see cref="LossSpikeWatch"/>: the divergences that never
/// reach NaN) is reported through <see cref="TrainingSessionOptions.Log"/>, and the checkpoint written
/// before it is kept as checkpoint-before-spike.safetensors. The folder is a <see cref="RunFolder"/> the
/// caller has claimed (and disposes when the session is over).
/// </summary>
public sealed class TrainingSession
{
    private readonly ITrainer _trainer;
    private readonly TrainingSessionOptions _options;
    private readonly MetricsLog _metrics;
    private readonly LossSpikeWatch? _watch;
    private readonly string? _watchedLoss;

    /// <summary>The file that keeps the checkpoint written before the run's first loss spike.</summary>
    public const string SpikeCheckpointName = "checkpoint-before-spike.safetensors";

    public TrainingSession(ITrainer trainer, RunFolder folder, TrainingSessionOptions options)
    {
        ArgumentNullException.ThrowIfNull(folder);
        options.Validate();
        _trainer = trainer;
        _options = options;
        RunDirectory = folder.Path;
        Directory.CreateDirectory(SamplesDirectory);
        bool resume = folder.Mode == RunFolderMode.Resume;
        _metrics = new MetricsLog(Path.Combine(RunDirectory, "metrics.csv"), resume ? trainer.Step : -1, options.Log);
        _watchedLoss = trainer.WatchedLoss;
        if (_watchedLoss is not null)
        {
            _watch = new LossSpikeWatch();
            foreach (double v in _metrics.Tail(_watchedLoss, _watch.Window))
            {
                _watch.Observe(v);
            }
        }
    }

    /// <summary>The iteration of this session's first spike of the watched loss, or null.</summary>
    public long? SpikeStep { get; private set; }

    public string SpikeCheckpointPath => Path.Combine(RunDirectory, SpikeCheckpointName);

    public string RunDirectory { get; }

    public string SamplesDirectory => Path.Combine(RunDirectory, "samples");

    public string MeshesDirectory => Path.Combine(RunDirectory, "meshes");

    public string CheckpointPath => Path.Combine(RunDirectory, "checkpoint.safetensors");

    public string LossPlotPath => Path.Combine(RunDirectory, "losses.png");

    public string FinalMontagePath => Path.Combine(SamplesDirectory, "final.png");

    /// <summary>Trains until the iteration target or cancellation; <paramref name="onStep"/> sees every report.</summary>
    public SessionOutcome Run(CancellationToken cancel, Action<TrainingStepReport, double>? onStep = null)
    {
        var clock = Stopwatch.StartNew();
        long startStep = _trainer.Step;
        try
        {
            while (_trainer.Step < _options.Iterations)
            {
                if (cancel.IsCancellationRequested)
                {
                    SaveCheckpoint();
                    WritePlot();
                    return SessionOutcome.Interrupted;
                }
                var report = _trainer.Train();
                _metrics.Append(report);
                WatchLoss(report);
                double rate = (report.Step - startStep) / Math.Max(clock.Elapsed.TotalSeconds, 1e-9);
                onStep?.Invoke(report, rate);
                long s = report.Step;
                if (_options.SampleEvery > 0 && s % _options.SampleEvery == 0)
                {
                    WriteMontage(Path.Combine(SamplesDirectory, $"step-{s:D6}.png"), out _);
                }
                if (_options.CheckpointEvery > 0 && s % _options.CheckpointEvery == 0)
                {
                    SaveCheckpoint();
                }
                if (_options.PlotEvery > 0 && s % _options.PlotEvery == 0)
                {
                    WritePlot();
                }
            }
        }
        catch (TrainingDivergedException)
        {
            WritePlot();
            throw;
        }
        SaveCheckpoint();
        WritePlot();
        Finish();
        return SessionOutcome.Completed;
    }

    public void SaveCheckpoint()
    {
        _trainer.Save(CheckpointPath);
    }

    /// <summary>
    /// Feeds the watched loss to the spike watch; at the session's first spike, says so and keeps the
    /// checkpoint on disk (written before the spike) as <see cref="SpikeCheckpointName"/>, unless an
    /// earlier spike of the run already kept one. The run goes on: a GAN sometimes recovers.
    /// </summary>
    private void WatchLoss(TrainingStepReport report)
    {
        if (_watch is null)
        {
            return;
        }
        double value = report[_watchedLoss!];
        if (!_watch.Observe(value) || SpikeStep is not null)
        {
            return;
        }
        SpikeStep = report.Step;
        string kept;
        if (File.Exists(SpikeCheckpointPath))
        {
            kept = $"{SpikeCheckpointName} still holds the checkpoint from before an earlier spike";
        }
        else if (SavedStep() is not { } saved)
        {
            kept = "no checkpoint was written before it";
        }
        else if (saved >= report.Step)
        {
            kept = $"the checkpoint on disk is of iteration {saved}, not from before it: none is kept";
        }
        else
        {
            AtomicFile.Write(SpikeCheckpointPath, stream =>
            {
                using var source = File.OpenRead(CheckpointPath);
                source.CopyTo(stream);
            });
            kept = $"its checkpoint of iteration {saved} is kept as {SpikeCheckpointName}";
        }
        double median = _watch.LastMedian;
        _options.Log?.Invoke(FormattableString.Invariant(
            $"warning: {_watchedLoss} jumped to {value:G4} at iteration {report.Step}, {value / median:F0}× its median {median:G3} over the previous {_watch.Window} iterations: the run is likely diverging (a lower learning rate for D avoids it); {kept}"));
    }

    /// <summary>
    /// The step of the checkpoint on disk, read from its metadata (not assumed: a run resumed from another file, such as
    /// the spike copy, finds a later one there until its first save), or null when there is none or it is unreadable.
    /// </summary>
    private long? SavedStep()
    {
        try
        {
            return File.Exists(CheckpointPath) && SafeTensors.ReadMetadata(CheckpointPath).TryGetValue(ITrainer.StepKey, out var text)
                && long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out long step)
                ? step
                : null;
        }
        catch (Exception ex) when (ex is IOException or InvalidDataException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    public void WritePlot()
    {
        if (_metrics.Count > 0)
        {
            _metrics.Plot(_trainer.PlotLayout).SavePng(LossPlotPath);
        }
    }

    /// <summary>
    /// A montage of the same draw at every step; also returns the probabilities. The codes are drawn anew
    /// from the fixed seed each time: the same codes for a fixed distribution, and for a latent model the
    /// same pairs of training shapes under its current encoder (whose codes move as it trains).
    /// </summary>
    public void WriteMontage(string path, out float[] probabilities)
    {
        int n = _options.SampleCount, r = _trainer.Resolution;
        probabilities = _trainer.Decode(_trainer.DrawLatent(n, new Rng(_options.SampleSeed)), n);
        var grids = new List<VoxelGrid>(n);
        int vox = r * r * r;
        for (int i = 0; i < n; i++)
        {
            grids.Add(VoxelGrid.FromProbabilities(probabilities.AsSpan(i * vox, vox), r, _options.Threshold));
        }
        Montage.Create(grids, new MontageOptions { Columns = Math.Min(8, n), TileSize = r >= 64 ? 192 : 160 }).SavePng(path);
    }

    /// <summary>The final montage, the sampled probabilities as .npy, and meshes of the first few samples.</summary>
    public void Finish()
    {
        WriteMontage(FinalMontagePath, out var probabilities);
        int n = _options.SampleCount, r = _trainer.Resolution, vox = r * r * r;
        NpyFile.WriteFloat32(Path.Combine(SamplesDirectory, "final.npy"), [n, 1, r, r, r], probabilities);
        Directory.CreateDirectory(MeshesDirectory);
        for (int i = 0; i < Math.Min(_options.MeshCount, n); i++)
        {
            var mesh = MarchingCubes.Extract(probabilities.AsSpan(i * vox, vox), r, _options.Threshold);
            if (mesh.TriangleCount > 0)
            {
                MeshFile.Write(Path.Combine(MeshesDirectory, $"sample-{i:D2}.obj"), mesh);
            }
        }
    }
}
