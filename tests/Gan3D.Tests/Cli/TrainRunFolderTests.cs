using System.Diagnostics;
using Gan3D.Data;
using Gan3D.Models;
using static Gan3D.Tests.Cli.CliRunner;

namespace Gan3D.Tests.Cli;

/// <summary>
/// gan3d train as an operator meets it: run folders that are not overwritten, one process a folder,
/// options checked before anything is written, resume that refuses what contradicts the checkpoint,
/// leftovers of a killed run, and SIGTERM/SIGINT that save before exiting.
/// </summary>
public sealed partial class TrainRunFolderTests : IDisposable
{
    private static readonly string[] Tiny =
        ["--preset", "quick", "--width", "0.125", "--batch-size", "4", "--device", "cpu", "--sample-every", "0", "--checkpoint-every", "0"];

    private readonly string _dir = Directory.CreateTempSubdirectory("gan3d-runfolder-cli-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string P(string name) => Path.Combine(_dir, name);

    /// <summary>Four 32³ shapes in a file: cheap to load, and not the default procedural data.</summary>
    private string Shapes(string name = "shapes.npy", int seed = 0)
    {
        string path = P(name);
        ShapeFamilies.CreateDataset(1, 32, seed, families: ["mug", "vase", "chair", "table"]).SaveNpy(path);
        return path;
    }

    private string Train(string output, params string[] extra)
    {
        var r = Run(["train", .. Tiny, "--out", output, .. extra]);
        Assert.True(r.Code == 0, r.Err);
        return r.Out;
    }

    private static long Step(string runDir) => Checkpoint.Open(Path.Combine(runDir, "checkpoint.safetensors")).GetInt64("step");

    [Fact]
    public void AnExistingRunIsNeitherEmptiedNorReplacedWithoutResumeOrOverwrite()
    {
        string data = Shapes(), run = P("run");
        Train(run, "--data", data, "--iterations", "2");
        byte[] metrics = File.ReadAllBytes(Path.Combine(run, "metrics.csv"));
        byte[] checkpoint = File.ReadAllBytes(Path.Combine(run, "checkpoint.safetensors"));

        AssertBadInput(Run(["train", .. Tiny, "--data", data, "--iterations", "1", "--out", run]),
            "holds a run already (checkpoint.safetensors, config.json");
        Assert.Equal(metrics, File.ReadAllBytes(Path.Combine(run, "metrics.csv")));
        Assert.Equal(checkpoint, File.ReadAllBytes(Path.Combine(run, "checkpoint.safetensors")));

        // Any non-empty folder is refused, not only a run.
        Directory.CreateDirectory(P("notes"));
        File.WriteAllText(P("notes/todo.txt"), "keep");
        AssertBadInput(Run(["train", .. Tiny, "--data", data, "--out", P("notes")]), "is not empty (todo.txt)");
        File.WriteAllText(P("afile"), "");
        AssertBadInput(Run(["train", .. Tiny, "--data", data, "--out", P("afile")]), "afile: is a file, not a run folder");
        AssertBadInput(Run(["train", .. Tiny, "--data", data, "--out", P("afile/run")]), $"cannot be created: {P("afile")} is a file");

        // --overwrite replaces the run: one step in metrics.csv, a checkpoint at step 1.
        Train(run, "--data", data, "--iterations", "1", "--overwrite");
        Assert.Equal(2, File.ReadAllLines(Path.Combine(run, "metrics.csv")).Length);
        Assert.Equal(1, Step(run));
        // ... but never the checkpoint it would resume from.
        AssertBadInput(Run(["train", "--resume", run, "--overwrite", "--device", "cpu"]), "--overwrite would delete");
    }

    [Fact]
    public void ASecondTrainingOnAFolderInUseIsRefusedAndWritesNothing()
    {
        string data = Shapes(), run = P("run");
        using (var held = RunFolder.Claim(run, RunFolderMode.New))
        {
            AssertBadInput(Run(["train", .. Tiny, "--data", data, "--out", run, "--overwrite"]),
                $"{run}: in use by another gan3d process (pid {Environment.ProcessId})");
            AssertBadInput(Run(["train", .. Tiny, "--data", data, "--out", run]), "in use by another gan3d process");
            Assert.False(File.Exists(Path.Combine(run, "config.json")));
            Assert.False(File.Exists(Path.Combine(run, "metrics.csv")));
        }
        Train(run, "--data", data, "--iterations", "1");
        Assert.Equal(1, Step(run));
    }

    [Theory]
    [InlineData("--lr-g", "1e39", "--lr-g 1e39: give a finite number in (0, 1]")]
    [InlineData("--lr-g", "Infinity", "--lr-g Infinity: give a finite number in (0, 1]")]
    [InlineData("--lr-d", "NaN", "--lr-d NaN: give a finite number in (0, 1]")]
    [InlineData("--lr-d", "0", "--lr-d 0: give a finite number in (0, 1]")]
    [InlineData("--d-threshold", "1.5", "--d-threshold 1.5: give a finite number in (0, 1]")]
    [InlineData("--g-ema", "1", "--g-ema 1: give a finite number in [0, 1)")]
    [InlineData("--width", "1e400", "--width 1e400: give a finite number in (0, 4]")]
    [InlineData("--iterations", "0", "--iterations 0: give 1 or more")]
    [InlineData("--iterations", "-5", "--iterations -5: give 1 or more")]
    [InlineData("--checkpoint-every", "-1", "--checkpoint-every -1: give 0 (never) or more")]
    [InlineData("--sample-every", "-3", "--sample-every -3: give 0 (never) or more")]
    [InlineData("--batch-size", "1", "--batch-size 1: give 2..4096")]
    public void EveryNumberIsCheckedBeforeTheRunFolderExists(string option, string value, string expected)
    {
        string run = P("run");
        AssertBadInput(Run("train", option, value, "--out", run, "--device", "cpu"), expected);
        Assert.False(Directory.Exists(run), "a refused run must not leave a run directory");
    }

    [Theory]
    [InlineData("--kl-weight", "1e39", "--kl-weight 1e39: give a finite number ≥ 0")]
    [InlineData("--recon-weight", "-1", "--recon-weight -1: give a finite number ≥ 0")]
    [InlineData("--lr-e", "Infinity", "--lr-e Infinity: give a finite number in (0, 1]")]
    public void EveryNumberOfTheVaeGanIsCheckedBeforeTheRunFolderExists(string option, string value, string expected)
    {
        string run = P("run");
        AssertBadInput(Run("train", "--model", "vae-gan", option, value, "--out", run, "--device", "cpu"), expected);
        Assert.False(Directory.Exists(run));
    }

    [Fact]
    public void ResumeRefusesWhatContradictsTheCheckpointAndAcceptsWhatAgrees()
    {
        string data = Shapes(), run = P("run");
        Train(run, "--data", data, "--iterations", "1");
        byte[] before = File.ReadAllBytes(Path.Combine(run, "checkpoint.safetensors"));
        string ck = Path.Combine(run, "checkpoint.safetensors");
        AssertBadInput(Run("train", "--resume", run, "--batch-size", "2", "--device", "cpu"), $"--batch-size 2 contradicts {ck}, trained with 4");
        AssertBadInput(Run("train", "--resume", run, "--width", "0.25", "--device", "cpu"), "--width 0.25 contradicts");
        AssertBadInput(Run("train", "--resume", run, "--resolution", "64", "--device", "cpu"), "--resolution 64 contradicts");
        AssertBadInput(Run("train", "--resume", run, "--model", "vae-gan", "--device", "cpu"), "--model vae-gan contradicts");
        AssertBadInput(Run("train", "--resume", run, "--latent", "uniform", "--device", "cpu"), "--latent uniform contradicts");
        AssertBadInput(Run("train", "--resume", run, "--seed", "5", "--device", "cpu"), "--seed 5 contradicts");
        AssertBadInput(Run("train", "--resume", run, "--iterations", "2", "--kl-weight", "1", "--device", "cpu"), "--kl-weight applies to vae-gan runs");
        // Other shapes, as many as the run's: refused by content, not only by count.
        AssertBadInput(Run("train", "--resume", run, "--data", Shapes("other.npy", seed: 9), "--device", "cpu"), "trained on other shapes");
        Assert.Equal(before, File.ReadAllBytes(Path.Combine(run, "checkpoint.safetensors")));

        // Equal values are accepted, and without --data the run reads its own data again (not 'procedural').
        // The run's own folder however it is spelt (a trailing separator here).
        string output = Train(run + Path.DirectorySeparatorChar, "--resume", Path.Combine(run, "checkpoint.safetensors"), "--iterations", "2", "--lr-g", "0.0025");
        Assert.Contains("--preset quick ignored", output);
        Assert.Contains($"from {data}", output);
        Assert.Equal(2, Step(run));
        Assert.Equal(3, File.ReadAllLines(Path.Combine(run, "metrics.csv")).Length);
    }

    [Fact]
    public void ResumeAtANewLearningRateSaysFromWhichIterationAndKeepsIt()
    {
        string data = Shapes(), run = P("run");
        Train(run, "--data", data, "--iterations", "1");
        string ck = Path.Combine(run, "checkpoint.safetensors");
        var first = TrainingCheckpoint.Open(ck).Options;
        float lrD = first.LearningRateD / 4;
        string d = lrD.ToString(System.Globalization.CultureInfo.InvariantCulture);
        string output = Train(run, "--resume", run, "--iterations", "2", "--lr-d", d);
        string from = first.LearningRateD.ToString(System.Globalization.CultureInfo.InvariantCulture);
        Assert.Contains($"learning rates from iteration 2: D {from} → {d}", output);
        Assert.Contains($"D {d}", output);
        var saved = TrainingCheckpoint.Open(ck).Options;
        Assert.Equal((first.LearningRateG, lrD), (saved.LearningRateG, saved.LearningRateD));
        Assert.Contains($"\"LearningRateD\": {d}", File.ReadAllText(Path.Combine(run, "config.json")));

        // The next resume keeps the new rate without being told, and says nothing about rates.
        string again = Train(run, "--resume", run, "--iterations", "3");
        Assert.DoesNotContain("learning rates from", again);
        Assert.Equal(lrD, TrainingCheckpoint.Open(ck).Options.LearningRateD);
        AssertBadInput(Run("train", "--resume", run, "--iterations", "4", "--lr-d", "2", "--device", "cpu"), "--lr-d 2: give a finite number in (0, 1]");
    }

    [Fact]
    public void ADamagedRunNoteIsRefusedBeforeItCostsAnything()
    {
        string run = P("run");
        Train(run, "--iterations", "1", "--per-family", "5");
        // The procedural run's shapes a family, as a hostile or damaged file might say: checked against the
        // shape count before a hundred million shapes are generated.
        string ck = Path.Combine(run, "checkpoint.safetensors");
        var file = Gan3D.Nn.SafeTensors.Load(ck);
        using var be = new Gan3D.Tensors.CpuBackend(threads: 1);
        var tensors = file.Tensors.ToDictionary(kv => kv.Key, kv => Gan3D.Tensors.Tensor.FromArray(kv.Value.Data, kv.Value.Shape, be));
        Gan3D.Nn.SafeTensors.Save(ck, tensors, new Dictionary<string, string>(file.Metadata) { ["run.procedural_per_family"] = "100000000" });
        AssertBadInput(Run("train", "--resume", run, "--iterations", "2", "--device", "cpu"), "100000000 procedural shapes a family do not make the 60 shapes");
        AssertBadInput(Run("train", "--out", "", "--device", "cpu"), "--out is empty");
    }

    [Fact]
    public void ResumeMendsWhatAKillLeft()
    {
        string data = Shapes(), run = P("run");
        Train(run, "--data", data, "--iterations", "1");
        // What kill -9 leaves: the lock file, a checkpoint temporary of a dead writer, and a torn metrics row.
        File.WriteAllText(Path.Combine(run, ".lock"), "");
        string leftover = Path.Combine(run, ".checkpoint.safetensors.99999999.0123456789abcdef0123456789abcdef.tmp");
        File.WriteAllBytes(leftover, new byte[100]);
        File.AppendAllText(Path.Combine(run, "metrics.csv"), "2,0.69");

        var r = Run(["train", "--resume", run, "--iterations", "2", "--device", "cpu"]);
        Assert.True(r.Code == 0, r.Err);
        Assert.Contains("removed 1 temporary file left by an interrupted write", r.Out);
        Assert.Contains("metrics.csv:3: dropped an incomplete last row", r.Out);
        Assert.False(File.Exists(leftover));
        var lines = File.ReadAllLines(Path.Combine(run, "metrics.csv"));
        Assert.Equal(["1", "2"], lines.Skip(1).Select(l => l.Split(',')[0]));
        Assert.Equal(2, Step(run));
    }

    /// <summary>The signals this process ignores (Linux: SigIgn of /proc/self/status, bit n − 1 for signal n), or null where unknown.</summary>
    private static ulong? IgnoredSignals()
    {
        const string status = "/proc/self/status";
        if (!File.Exists(status))
        {
            return null;
        }
        string? line = File.ReadLines(status).FirstOrDefault(l => l.StartsWith("SigIgn:", StringComparison.Ordinal));
        return line is not null && ulong.TryParse(line.AsSpan(7).Trim(), System.Globalization.NumberStyles.HexNumber, null, out ulong mask) ? mask : null;
    }

    /// <summary>kill(2): Process.Kill sends SIGKILL only, and a kill binary is not on every image.</summary>
    [System.Runtime.InteropServices.LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int SendSignal(int pid, int signal);

    [Theory]
    [InlineData(15, 143)] // SIGTERM
    [InlineData(2, 130)] // SIGINT
    public void ASignalSavesACheckpointAndExitsWith128PlusItsNumber(int signal, int exitCode)
    {
        if (OperatingSystem.IsWindows())
        {
            Assert.Skip("POSIX signals");
        }
        if (IgnoredSignals() is { } ignored && (ignored & (1UL << (signal - 1))) != 0)
        {
            // A background job of a non-interactive shell starts with SIGINT and SIGQUIT ignored, and a child
            // inherits that: the signal would never reach gan3d, whatever gan3d does.
            Assert.Skip($"signal {signal} is ignored in this test process (inherited, e.g. a background job): gan3d could not receive it");
        }
        string exe = Path.Combine(AppContext.BaseDirectory, "gan3d");
        Assert.True(File.Exists(exe), $"{exe}: the built gan3d is missing");
        string run = P("run");
        var start = new ProcessStartInfo(exe)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (string a in new[] { "train", "--data", Shapes(), "--iterations", "100000", "--threads", "1", "--out", run }.Concat(Tiny))
        {
            start.ArgumentList.Add(a);
        }
        start.Environment["CI"] = "1";
        using var process = Process.Start(start)!;
        var output = new System.Text.StringBuilder();
        process.OutputDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } };
        process.ErrorDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            // Bounded wait for the first row of metrics.csv: training is under way, the handlers are installed.
            string metrics = Path.Combine(run, "metrics.csv");
            var deadline = DateTime.UtcNow.AddMinutes(3);
            while (!(File.Exists(metrics) && File.ReadAllLines(metrics).Length >= 2) && !process.HasExited && DateTime.UtcNow < deadline)
            {
                Thread.Sleep(100);
            }
            Assert.False(process.HasExited, $"gan3d ended early: {output}");
            Assert.True(File.Exists(metrics), "no metrics.csv row within 3 minutes");
            Assert.False(File.Exists(Path.Combine(run, "checkpoint.safetensors")), "with --checkpoint-every 0 only the signal saves one");
            Assert.Equal(0, SendSignal(process.Id, signal));
            Assert.True(process.WaitForExit(TimeSpan.FromMinutes(3)), "gan3d did not stop within 3 minutes of the signal");
            process.WaitForExit();
            Assert.True(process.ExitCode == exitCode, $"exit code {process.ExitCode}: {output}");
            Assert.Contains("interrupted at iteration", output.ToString());
            Assert.True(Step(run) > 0);
            Assert.False(File.Exists(Path.Combine(run, ".lock")), "the lock goes with the process");
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill();
            }
        }
    }
}
