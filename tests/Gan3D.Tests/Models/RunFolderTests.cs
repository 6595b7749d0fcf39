using System.Globalization;
using Gan3D.Data;
using Gan3D.Models;
using Gan3D.Tensors;

namespace Gan3D.Tests.Models;

/// <summary>A run folder's lock, its cleaning on claim, metrics.csv repair on resume, and resume's data check.</summary>
public sealed class RunFolderTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("gan3d-runfolder-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string P(string name) => Path.Combine(_dir, name);

    [Fact]
    public void OneHolderAtATimeAndALeftOverLockFileDoesNotBlock()
    {
        string run = P("run");
        using (var first = RunFolder.Claim(run, RunFolderMode.New))
        {
            // flock belongs to the open file, so a second claim from this very process contends like another process would.
            var ex = Assert.Throws<RunFolderException>(() => RunFolder.Claim(run, RunFolderMode.Resume));
            Assert.True(ex.InUse);
            Assert.Contains($"in use by another gan3d process (pid {Environment.ProcessId})", ex.Message);
            Assert.Throws<RunFolderException>(() => RunFolder.ThrowIfInUse(run));
        }
        RunFolder.ThrowIfInUse(run);
        // kill -9 leaves the lock file behind, unlocked: it must not keep the folder.
        File.WriteAllText(Path.Combine(run, ".lock"), "");
        File.WriteAllText(Path.Combine(run, ".lock.pid"), "12345\n");
        using var second = RunFolder.Claim(run, RunFolderMode.New);
        Assert.Equal(RunFolderMode.New, second.Mode);
    }

    [Fact]
    public void ANewRunRefusesAFolderWithFilesAndOverwriteDeletesOnlyTheRunsOwn()
    {
        string run = P("run");
        Directory.CreateDirectory(Path.Combine(run, "samples"));
        File.WriteAllText(Path.Combine(run, "metrics.csv"), "step,loss\n1,0.5\n");
        File.WriteAllText(Path.Combine(run, "samples", "step-000001.png"), "x");
        File.WriteAllText(Path.Combine(run, "notes.txt"), "mine");
        File.WriteAllText(Path.Combine(run, TrainingSession.SpikeCheckpointName), "kept at a loss spike");
        var ex = Assert.Throws<RunFolderException>(() => RunFolder.Claim(run, RunFolderMode.New));
        Assert.False(ex.InUse);
        Assert.Equal(["checkpoint-before-spike.safetensors", "metrics.csv", "notes.txt", "samples"], ex.Entries);
        Assert.True(File.Exists(Path.Combine(run, "metrics.csv")));
        using (RunFolder.Claim(run, RunFolderMode.Overwrite))
        {
            Assert.False(File.Exists(Path.Combine(run, "metrics.csv")));
            Assert.False(Directory.Exists(Path.Combine(run, "samples")));
            Assert.False(File.Exists(Path.Combine(run, TrainingSession.SpikeCheckpointName)));
            Assert.Equal("mine", File.ReadAllText(Path.Combine(run, "notes.txt")));
        }
        File.WriteAllText(P("file"), "");
        Assert.Contains("is a file", Assert.Throws<RunFolderException>(() => RunFolder.Claim(P("file"), RunFolderMode.New)).Message);
    }

    [Fact]
    public void ClaimingRemovesTemporariesOfDeadWritersOnly()
    {
        string run = P("run");
        Directory.CreateDirectory(Path.Combine(run, "samples"));
        // A pid far above any pid_max (Linux caps it at 2^22) names a writer that is gone.
        string dead = Path.Combine(run, ".checkpoint.safetensors.99999999.0123456789abcdef0123456789abcdef.tmp");
        string deadSample = Path.Combine(run, "samples", ".step-000010.png.99999999.fedcba9876543210fedcba9876543210.tmp");
        string live = Path.Combine(run, $".metrics.csv.{Environment.ProcessId}.0123456789abcdef0123456789abcdef.tmp");
        string other = Path.Combine(run, ".notes.tmp");
        foreach (string f in new[] { dead, deadSample, live, other })
        {
            File.WriteAllText(f, "x");
        }
        var log = new List<string>();
        using (RunFolder.Claim(run, RunFolderMode.Resume, log.Add))
        {
            Assert.False(File.Exists(dead));
            Assert.False(File.Exists(deadSample));
            Assert.True(File.Exists(live), "a live writer's temporary file must stay");
            Assert.True(File.Exists(other), "only AtomicFile's naming is removed");
        }
        Assert.Equal(["removed 2 temporary files left by an interrupted write in " + Path.GetFullPath(run)], log);
    }

    [Fact]
    public void ResumeDropsATornLastRowAndRowsAfterTheCheckpoint()
    {
        string path = P("metrics.csv");
        File.WriteAllText(path, "step,loss_d,loss_g\n1,0.5,0.25\n2,0.4,0.2\n3,0.3,0.1\n4,0.2,0.0");
        var log = new List<string>();
        var metrics = new MetricsLog(path, resumeFromStep: 2, log.Add);
        Assert.Equal(2, metrics.Count);
        Assert.Equal("step,loss_d,loss_g\n1,0.5,0.25\n2,0.4,0.2\n", File.ReadAllText(path));
        Assert.Equal([$"{path}:5: dropped an incomplete last row (the run was stopped while writing it)"], log);
        metrics.Append(new TrainingStepReport(3, [("loss_d", 0.125), ("loss_g", 1)]));
        Assert.EndsWith("2,0.4,0.2\n3,0.125,1\n", File.ReadAllText(path));

        // Rows of two interleaved writers (before runs were locked): one row a step is kept, with a warning.
        File.WriteAllText(path, "step,loss_d,loss_g\n1,0.5,0.25\n1,0.6,0.3\n2,0.4,0.2\n2,0.7,0.1\n");
        log.Clear();
        Assert.Equal(2, new MetricsLog(path, 2, log.Add).Count);
        Assert.Equal("step,loss_d,loss_g\n1,0.5,0.25\n2,0.4,0.2\n", File.ReadAllText(path));
        Assert.Equal(2, log.Count);
        Assert.Contains("metrics.csv:3: dropped a row for step 1", log[0]);

        // A damaged row in the middle is not a torn append: refused with its line.
        File.WriteAllText(path, "step,loss_d,loss_g\n1,0.5,0.25\n2,zero,0.2\n");
        Assert.Contains("metrics.csv:3: 'zero' is not a number", Assert.Throws<InvalidDataException>(() => new MetricsLog(path, 5)).Message);
        // Columns that are not the run's are refused rather than written under the wrong names.
        File.WriteAllText(path, "step,loss_d,loss_g\n1,0.5,0.25\n");
        var other = new MetricsLog(path, 5);
        Assert.Contains("columns", Assert.Throws<InvalidDataException>(() => other.Append(new TrainingStepReport(2, [("loss_g", 1), ("loss_d", 2)]))).Message);
        Assert.Contains("columns", Assert.Throws<InvalidDataException>(() => other.Append(new TrainingStepReport(2, [("loss_d", 1)]))).Message);
        Assert.Contains("columns", Assert.Throws<InvalidDataException>(() => other.Append(new TrainingStepReport(2, [("loss_d", 1), ("loss_g", 2), ("loss_d", 3)]))).Message);

        // A run resumed by a build that logs a new column (loss_penalty): the earlier rows get NaN there, by name.
        log.Clear();
        var wider = new MetricsLog(path, 5, log.Add);
        wider.Append(new TrainingStepReport(2, [("loss_d", 0.5), ("loss_penalty", 0.75), ("loss_g", 2)]));
        Assert.Equal("step,loss_d,loss_penalty,loss_g\n1,0.5,NaN,0.25\n2,0.5,0.75,2\n", File.ReadAllText(path));
        Assert.Equal([$"{path}: new column loss_penalty (NaN in the 1 row before)"], log);
        Assert.Equal([double.NaN, 0.75], wider.Tail("loss_penalty", 5));
        Assert.Equal(2, new MetricsLog(path, 5).Count);
    }

    [Fact]
    public void ResumeRefusesOtherShapesOfTheSameCount()
    {
        using var be = new CpuBackend(threads: 1);
        var options = new GanTrainingOptions { Architecture = new GanArchitecture(32, 1.0 / 16, LatentDim: 8), BatchSize = 4 };
        var shapes = ShapeFamilies.CreateMixedDataset(8, 32, seed: 3);
        var others = ShapeFamilies.CreateMixedDataset(8, 32, seed: 4);
        string ck = P("c.safetensors");
        using (var t = new GanTrainer(options, shapes, be))
        {
            t.RunMetadata["data"] = "procedural";
            t.Save(ck);
        }
        Assert.Equal(shapes.ContentHash(), ShapeFamilies.CreateMixedDataset(8, 32, seed: 3).ContentHash());
        Assert.NotEqual(shapes.ContentHash(), others.ContentHash());
        Assert.Contains("other shapes", Assert.Throws<ArgumentException>(() => GanTrainer.Resume(ck, others, be)).Message);
        using var resumed = GanTrainer.Resume(ck, shapes, be);
        Assert.Equal("procedural", resumed.RunMetadata["data"]);
    }

    [Fact]
    public void CountersOutOfRangeInACheckpointAreRefused()
    {
        using var be = new CpuBackend(threads: 1);
        var options = new GanTrainingOptions { Architecture = new GanArchitecture(32, 1.0 / 16, LatentDim: 8), BatchSize = 4 };
        var shapes = ShapeFamilies.CreateMixedDataset(8, 32, seed: 3);
        string ck = P("c.safetensors");
        using (var t = new GanTrainer(options, shapes, be))
        {
            t.Save(ck);
        }
        // Same tensors, one metadata value changed at a time.
        var file = Gan3D.Nn.SafeTensors.Load(ck);
        foreach (var (key, value) in new[] { ("d_accuracy", "NaN"), ("step", "-3"), ("data.position", "999") })
        {
            var meta = new Dictionary<string, string>(file.Metadata) { [key] = value };
            var tensors = file.Tensors.ToDictionary(kv => kv.Key, kv => Tensor.FromArray(kv.Value.Data, kv.Value.Shape, be));
            string bad = P($"bad-{key}.safetensors");
            Gan3D.Nn.SafeTensors.Save(bad, tensors, meta);
            var ex = Assert.Throws<InvalidDataException>(() => GanTrainer.Resume(bad, shapes, be));
            Assert.Contains("out of range", ex.Message);
            Assert.Contains(value.ToString(CultureInfo.InvariantCulture), ex.Message);
        }
    }

    [Fact]
    public void InfiniteLearningRatesAreRefusedByTheOptions()
    {
        var ok = new GanTrainingOptions();
        Assert.Throws<ArgumentException>(() => (ok with { LearningRateG = float.PositiveInfinity }).Validate());
        Assert.Throws<ArgumentException>(() => (ok with { LearningRateD = float.NaN }).Validate());
        Assert.Throws<ArgumentException>(() => (new VaeGanTrainingOptions { LearningRateE = float.PositiveInfinity }).Validate());
        Assert.Contains("unreadable training configuration", Assert.Throws<InvalidDataException>(() => GanTrainingOptions.FromJson("{\"BatchSize\": \"x\"", "ck")).Message);
    }
}
