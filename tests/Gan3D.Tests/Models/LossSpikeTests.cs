using Gan3D.Data;
using Gan3D.Models;
using Gan3D.Nn;
using Gan3D.Tensors;

namespace Gan3D.Tests.Models;

/// <summary>The loss-spike watch (divergences that never reach NaN) and what a session does at a spike.</summary>
public sealed class LossSpikeTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("gan3d-spike-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>D's loss of a healthy run: about 1, swinging ±0.4 (up to 1.4, 1.4× its median).</summary>
    private static double Healthy(long step) => 1 + 0.4 * Math.Sin(step * 1.7);

    [Fact]
    public void FlagsTheJumpOfADivergingRunAndNothingBefore()
    {
        var watch = new LossSpikeWatch(window: 200);
        for (int i = 1; i <= 600; i++)
        {
            Assert.False(watch.Observe(Healthy(i)), $"a healthy value at {i} was flagged");
        }
        Assert.True(watch.Observe(80));
        Assert.InRange(watch.LastMedian, 0.9, 1.1);
    }

    [Fact]
    public void TheMedianIsOfThePreviousWindowAndBothBoundsMustBeExceeded()
    {
        var watch = new LossSpikeWatch(window: 4, factor: 10, margin: 5);
        foreach (double v in new[] { 1.0, 5, 2, 3 })
        {
            Assert.False(watch.Observe(v)); // filling: nothing is a spike yet, even 5 after 1
        }
        // Window {1, 5, 2, 3}: median 2.5; 25 is not above 10 × 2.5.
        Assert.False(watch.Observe(25));
        Assert.Equal(2.5, watch.LastMedian);
        // Window {5, 2, 3, 25}: median 4; 40.5 is above 40 and above 4 + 5.
        Assert.True(watch.Observe(40.5));
        Assert.Equal(4, watch.LastMedian);

        // A small loss that jumps tenfold but by less than the margin is noise, not a divergence.
        var small = new LossSpikeWatch(window: 4, factor: 10, margin: 5);
        foreach (double v in new[] { 0.1, 0.1, 0.1, 0.1 })
        {
            small.Observe(v);
        }
        Assert.False(small.Observe(4.9));
        Assert.True(small.Observe(5.2));
    }

    [Fact]
    public void NonFiniteValuesAreLeftToTheTrainerAndNotCounted()
    {
        var watch = new LossSpikeWatch(window: 3);
        watch.Observe(1);
        watch.Observe(1);
        Assert.False(watch.Observe(double.NaN));
        Assert.False(watch.Observe(double.PositiveInfinity));
        Assert.False(watch.Observe(1)); // the third value fills the window only now
        Assert.True(watch.Observe(100));
    }

    [Fact]
    public void ASessionSaysWhereTheSpikeIsAndKeepsTheCheckpointFromBeforeIt()
    {
        string run = Path.Combine(_dir, "run");
        var lines = new List<string>();
        using var trainer = new ScriptedTrainer(spikeFrom: 730);
        using (var folder = RunFolder.Claim(run, RunFolderMode.New))
        {
            var session = new TrainingSession(trainer, folder, Options(900, lines));
            session.Run(CancellationToken.None);
            Assert.Equal(730, session.SpikeStep);
        }
        string warning = Assert.Single(lines, l => l.StartsWith("warning:", StringComparison.Ordinal));
        Assert.Contains("loss_d jumped to 80 at iteration 730", warning);
        Assert.Contains("its checkpoint of iteration 500 is kept as checkpoint-before-spike.safetensors", warning);
        Assert.Equal(500, SavedStep(Path.Combine(run, TrainingSession.SpikeCheckpointName)));
        Assert.Equal(900, SavedStep(Path.Combine(run, "checkpoint.safetensors")));
    }

    [Fact]
    public void AResumedSessionWatchesFromTheRunsOwnHistoryAndKeepsTheEarlierCopy()
    {
        string run = Path.Combine(_dir, "run");
        using var trainer = new ScriptedTrainer(spikeFrom: 250);
        using (var folder = RunFolder.Claim(run, RunFolderMode.New))
        {
            new TrainingSession(trainer, folder, Options(240, [])).Run(CancellationToken.None);
        }
        // 10 iterations after the resume: only the 200 rows of metrics.csv before it make the spike visible.
        var lines = new List<string>();
        using (var folder = RunFolder.Claim(run, RunFolderMode.Resume))
        {
            var session = new TrainingSession(trainer, folder, Options(300, lines));
            session.Run(CancellationToken.None);
            Assert.Equal(250, session.SpikeStep);
        }
        Assert.Contains(lines, l => l.Contains("its checkpoint of iteration 240 is kept"));
        Assert.Equal(240, SavedStep(Path.Combine(run, TrainingSession.SpikeCheckpointName)));

        // A later session's spike keeps the earliest copy: the state before the run first went wrong.
        trainer.Rewind(260);
        lines.Clear();
        using (var folder = RunFolder.Claim(run, RunFolderMode.Resume))
        {
            new TrainingSession(trainer, folder, Options(700, lines)).Run(CancellationToken.None);
        }
        Assert.Contains(lines, l => l.Contains("still holds the checkpoint from before an earlier spike"));
        Assert.Equal(240, SavedStep(Path.Combine(run, TrainingSession.SpikeCheckpointName)));
    }

    [Fact]
    public void AResumeFromAnotherFileDoesNotKeepTheLaterCheckpointOnDiskAsTheOneBeforeTheSpike()
    {
        string run = Path.Combine(_dir, "run");
        using var trainer = new ScriptedTrainer(spikeFrom: long.MaxValue);
        using (var folder = RunFolder.Claim(run, RunFolderMode.New))
        {
            new TrainingSession(trainer, folder, Options(400, [])).Run(CancellationToken.None);
        }
        // Resumed at 240 from a file of its own (a hand-kept copy): the folder's checkpoint is still iteration 400's.
        trainer.Rewind(240);
        trainer.SpikeFrom = 250;
        var lines = new List<string>();
        using (var folder = RunFolder.Claim(run, RunFolderMode.Resume))
        {
            var session = new TrainingSession(trainer, folder, Options(300, lines));
            session.Run(CancellationToken.None);
            Assert.Equal(250, session.SpikeStep);
        }
        Assert.Contains(lines, l => l.Contains("at iteration 250") && l.Contains("the checkpoint on disk is of iteration 400, not from before it: none is kept"));
        Assert.False(File.Exists(Path.Combine(run, TrainingSession.SpikeCheckpointName)));
    }

    [Fact]
    public void TheCrossEntropyRunsWatchDsLossWgangpAndTheLatentModelNothing()
    {
        var shapes = ShapeFamilies.CreateMixedDataset(8, 32, seed: 3);
        using var be = new CpuBackend(threads: 1);
        var tiny = new GanTrainingOptions { Architecture = new GanArchitecture(32, 1.0 / 16, LatentDim: 8), BatchSize = 4 };
        var noNorm = tiny.Architecture with { DiscriminatorNorm = DiscriminatorNorm.None };
        using (var bce = new GanTrainer(tiny, shapes, be))
        {
            Assert.Equal("loss_d", bce.WatchedLoss);
        }
        using (var hinge = new GanTrainer(tiny with { Loss = AdversarialLoss.Hinge }, shapes, be))
        {
            Assert.Equal("loss_d", hinge.WatchedLoss);
        }
        using (var wgan = new GanTrainer(tiny with { Loss = AdversarialLoss.WassersteinGp, DAccuracyThreshold = 1, Architecture = noNorm }, shapes, be))
        {
            Assert.Null(wgan.WatchedLoss);
        }
        using (var latent = new LatentModelTrainer(new LatentModelOptions(tiny) { Neighbours = 3 }, shapes, be))
        {
            Assert.Null(latent.WatchedLoss);
        }
    }

    private static TrainingSessionOptions Options(long iterations, List<string> lines) => new()
    {
        Iterations = iterations,
        SampleEvery = 0,
        CheckpointEvery = 500,
        PlotEvery = 0,
        SampleCount = 1,
        MeshCount = 0,
        Log = lines.Add,
    };

    private static long SavedStep(string path) => long.Parse(SafeTensors.ReadMetadata(path)["step"], System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>A trainer whose D loss is healthy until <see cref="SpikeFrom"/> and 80 after; its checkpoint holds only its step.</summary>
    private sealed class ScriptedTrainer(long spikeFrom) : ITrainer
    {
        public long SpikeFrom { get; set; } = spikeFrom;

        public long Step { get; private set; }

        public int Resolution => 8;

        public string? WatchedLoss => "loss_d";

        public IReadOnlyList<(string Title, string[] Columns)> PlotLayout { get; } = [("Loss", ["loss_d"])];

        public TrainingStepReport Train()
        {
            Step++;
            return new(Step, [("loss_d", Step >= SpikeFrom ? 80 : Healthy(Step)), ("loss_g", 1.0)]);
        }

        public void Rewind(long step) => Step = step;

        public void Save(string path) =>
            SafeTensors.Save(path, [], new Dictionary<string, string> { ["step"] = Step.ToString(System.Globalization.CultureInfo.InvariantCulture) });

        public float[] Decode(float[] z, int count) => new float[count * 512];

        public float[] DrawLatent(int count, Rng rng) => new float[count];

        public void Dispose()
        {
        }
    }
}
