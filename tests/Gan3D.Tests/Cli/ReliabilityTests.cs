using System.Text.Json.Nodes;
using Gan3D.Data;
using Gan3D.Nn;
using Gan3D.Tensors;
using Gan3D.Tests.Data;
using static Gan3D.Tests.Cli.CliRunner;

namespace Gan3D.Tests.Cli;

/// <summary>
/// Hostile options and files on the commands that read checkpoints, latent codes and grids: each is
/// one "gan3d: error: ..." line with exit code 2 (or works), and no command writes over its inputs.
/// </summary>
public sealed class ReliabilityTests(TinyGanFixture gan) : IClassFixture<TinyGanFixture>, IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    /// <summary>A copy of the tiny checkpoint with its tensors and its configuration changed.</summary>
    private string Forged(string name, Func<string, float[], float[]>? tensor = null, Action<JsonNode>? config = null)
    {
        var file = SafeTensors.Load(gan.Checkpoint);
        var metadata = new Dictionary<string, string>(file.Metadata);
        if (config is not null)
        {
            var json = JsonNode.Parse(metadata["config"])!;
            config(json);
            metadata["config"] = json.ToJsonString();
        }
        var tensors = file.Tensors.Select(kv => new KeyValuePair<string, Tensor>(kv.Key,
            Tensor.FromArray(tensor is null ? kv.Value.Data : tensor(kv.Key, kv.Value.Data), kv.Value.Shape, CpuBackend.Default)));
        string path = _dir.File(name);
        SafeTensors.Save(path, tensors, metadata);
        return path;
    }

    private string Codes(string name, float value, int latentDim = 200)
    {
        string path = _dir.File(name);
        NpyFile.WriteFloat32(path, [latentDim], Enumerable.Repeat(value, latentDim).ToArray());
        return path;
    }

    [Fact]
    public void AConfigurationFarLargerThanItsTensorsIsRefusedBeforeTheModelIsBuilt()
    {
        // Width 4 at 64³ would build a G of about 1.5 GB before the first shape mismatch.
        string forged = Forged("forged.safetensors", config: c =>
        {
            c["Architecture"]!["Resolution"] = 64;
            c["Architecture"]!["Width"] = 4.0;
        });
        var r = Run("sample", "-c", forged, "--count", "1", "--out", _dir.File("out"), "--device", "cpu");
        AssertBadInput(r, forged);
        Assert.Contains("stages.0.conv.weight", r.Err);
        Assert.Contains("does not match the weights", r.Err);
        Assert.False(Directory.Exists(_dir.File("out")));
    }

    [Fact]
    public void SampleRefusesACountWhoseProbabilitiesWouldNotFitInTwoGigabytes()
    {
        // A narrow 64³ G and D (the tiny run's kind of D) under the tiny run's metadata: 10000 shapes of 64³ are 10 GiB of float32.
        var metadata = new Dictionary<string, string>(SafeTensors.ReadMetadata(gan.Checkpoint));
        var config = JsonNode.Parse(metadata["config"])!;
        var norm = Enum.Parse<Gan3D.Models.DiscriminatorNorm>(config["Architecture"]!["DiscriminatorNorm"]!.GetValue<string>());
        bool minibatchStd = config["Architecture"]!["MinibatchStd"]?.GetValue<bool>() ?? false;
        var arch = new Gan3D.Models.GanArchitecture(64, 1.0 / 64, 200) { DiscriminatorNorm = norm, MinibatchStd = minibatchStd };
        using var g = new Gan3D.Models.Generator3D(arch, CpuBackend.Default, new Rng(1));
        using var d = new Gan3D.Models.Discriminator3D(arch, CpuBackend.Default, new Rng(1));
        config["Architecture"]!["Resolution"] = 64;
        config["Architecture"]!["Width"] = 1.0 / 64;
        metadata["config"] = config.ToJsonString();
        string path = _dir.File("g64.safetensors");
        Gan3D.Models.Checkpoint.Save(path, [("G", g), ("D", d)], [], metadata);
        var r = Run("sample", "-c", path, "--count", "10000", "--format", "npy", "--out", _dir.File("s"), "--device", "cpu");
        AssertBadInput(r, "--count 10000 at 64³ needs 9.8 GiB of probabilities at once; at most 2048 shapes");
        Assert.False(Directory.Exists(_dir.File("s")));
    }

    [Fact]
    public void NaNWeightsAreRefusedNamingTheTensor()
    {
        string poisoned = Forged("nan.safetensors", tensor: (name, data) =>
        {
            if (name.EndsWith("stages.1.conv.weight", StringComparison.Ordinal))
            {
                data = (float[])data.Clone();
                data[3] = float.NaN;
            }
            return data;
        });
        var r = Run("sample", "-c", poisoned, "--count", "2", "--format", "npy", "--out", _dir.File("out"), "--device", "cpu");
        AssertBadInput(r, poisoned);
        Assert.Contains("stages.1.conv.weight", r.Err);
        Assert.Contains("NaN", r.Err);
        Assert.False(File.Exists(_dir.File("out/sample.npy")));
    }

    [Fact]
    public void NaNLatentCodesAreRefusedNamingTheFile()
    {
        string nan = Codes("nan.npy", float.NaN), ok = Codes("ok.npy", 0.1f);
        var r = Run("interpolate", "-c", gan.Checkpoint, "--from", nan, "--steps", "2", "--out", _dir.File("i"), "--device", "cpu");
        AssertBadInput(r, nan);
        Assert.Contains("finite", r.Err);
        r = Run("arithmetic", "-c", gan.Checkpoint, "--from", ok, "--minus", ok, "--plus", Codes("inf.npy", float.PositiveInfinity),
            "--out", _dir.File("a"), "--device", "cpu");
        AssertBadInput(r, "inf.npy");
    }

    [Theory]
    [InlineData("100000000")]
    [InlineData("40000")]
    public void EvalRefusesSampleCountsBeyondItsLimit(string samples)
    {
        var r = Run("eval", "-c", gan.Checkpoint, "--reference", "procedural", "--per-family", "1", "--samples", samples, "--device", "cpu");
        AssertBadInput(r, $"--samples {samples} must be between 1 and 10000");
    }

    [Fact]
    public void ProfileRefusesATensorAboveTwoGigabytes()
    {
        AssertBadInput(Run("profile", "--layer", "batchnorm3d", "--input", "64,64,64,64,64", "--device", "cpu"), "the input 64x64x64x64x64 would take more than 2 GiB");
        AssertBadInput(Run("profile", "--layer", "convtranspose3d", "--input", "1,1,2000,2000,1", "--out-channels", "200", "--stride", "2", "--device", "cpu"),
            "the output");
        AssertBadInput(Run("profile", "--model", "g64", "--batch-size", "100000", "--device", "cpu"), "batch size 100000");
    }

    [Theory]
    [InlineData("NaN")]
    [InlineData("2")]
    [InlineData("0")]
    [InlineData("-1")]
    public void RenderAndConvertRefuseAThresholdOutsideZeroToOne(string threshold)
    {
        string grid = _dir.File("g.npy");
        ShapeFamilies.CreateDataset(1, 32, 0, ["mug"]).SaveNpy(grid);
        AssertBadInput(Run("render", grid, "--threshold", threshold, "--out", _dir.File("g.png")), $"--threshold {threshold} must be a number between 0 and 1");
        AssertBadInput(Run("convert", grid, _dir.File("g.obj"), "--index", "0", "--threshold", threshold), $"--threshold {threshold} must be a number between 0 and 1");
        Assert.False(File.Exists(_dir.File("g.png")));
    }

    [Fact]
    public void NumberOptionsMustBeFiniteAndWithinWhatTheyAllocate()
    {
        string grid = _dir.File("g.npy");
        ShapeFamilies.CreateDataset(1, 32, 0, ["mug"]).SaveNpy(grid);
        AssertBadInput(Run("render", grid, "--azimuth", "NaN", "--out", _dir.File("a.png")), "--azimuth NaN must be a finite number");
        AssertBadInput(Run("render", grid, "--elevation", "Infinity", "--out", _dir.File("a.png")), "--elevation Infinity must be a finite number");
        AssertBadInput(Run("eval", "--shapes", grid, "--reference", grid, "--training", grid, "--near-copy", "NaN"), "--near-copy NaN");
        AssertBadInput(Run("features", "-c", gan.Checkpoint, "--data", grid, "--out", _dir.File("f.npy"), "--batch-size", "100000000", "--device", "cpu"),
            "--batch-size 100000000 must be between 1 and 1024");
        AssertBadInput(Run("profile", "--layer", "batchnorm3d", "--input", "2,2,2,2,2", "--threads", "1000000", "--device", "cpu"), "--threads 1000000");
        AssertBadInput(Run("classify", "-c", gan.Checkpoint, "--data", "procedural", "--folds", "1000000"), "--folds 1000000");
        Assert.False(File.Exists(_dir.File("a.png")));
    }

    [Fact]
    public void CommandsRefuseToWriteOverTheirInputs()
    {
        string grid = _dir.File("g.npy");
        ShapeFamilies.CreateDataset(2, 32, 0, ["mug"]).SaveNpy(grid);
        byte[] before = File.ReadAllBytes(grid);
        AssertBadInput(Run("convert", grid, grid), "would overwrite the input");
        AssertBadInput(Run("features", "-c", gan.Checkpoint, "--data", grid, "--out", grid, "--device", "cpu"), "would overwrite the input");
        AssertBadInput(Run("split", "--data", grid, "--out-train", grid, "--out-test", _dir.File("t.npy")), "would overwrite the input");
        Assert.Equal(before, File.ReadAllBytes(grid));
        string ck = _dir.File("out/z.npy");
        Directory.CreateDirectory(_dir.File("out"));
        File.Copy(gan.Checkpoint, ck);
        AssertBadInput(Run("sample", "-c", ck, "--count", "1", "--out", _dir.File("out"), "--device", "cpu"), "would overwrite the input");
    }

    [Fact]
    public void SplitRefusesOneFileForBothParts()
    {
        string grid = _dir.File("g.npy");
        ShapeFamilies.CreateDataset(5, 32, 0, ["mug"]).SaveNpy(grid);
        string same = _dir.File("both.npy");
        AssertBadInput(Run("split", "--data", grid, "--out-train", same, "--out-test", _dir.File("sub/../both.npy")), "are the same file");
        Assert.False(File.Exists(same));
    }

    [Fact]
    public void SplitHoldsOutTheNearestWholeNumberOfShapes()
    {
        string grid = _dir.File("ten.npy");
        ShapeFamilies.CreateDataset(10, 32, 0, ["mug"]).SaveNpy(grid);
        var r = Run("split", "--data", grid, "--test-fraction", "0.11", "--out-train", _dir.File("a.npy"), "--out-test", _dir.File("b.npy"));
        Assert.True(r.Code == 0, r.Err);
        Assert.Equal(9, NpyFile.ReadHeader(_dir.File("a.npy")).Shape[0]);
        Assert.Equal(1, NpyFile.ReadHeader(_dir.File("b.npy")).Shape[0]);
    }

    [Fact]
    public void AWriteThatFailsNamesTheTargetAndExitsWithTwo()
    {
        string grid = _dir.File("g.npy");
        ShapeFamilies.CreateDataset(1, 32, 0, ["mug"]).SaveNpy(grid);
        // A folder that is a regular file: the write fails for root as well (permissions would not).
        string blocked = Path.Combine(_dir.File("g.npy"), "x.png");
        var r = Run("render", grid, "--out", blocked);
        AssertBadInput(r, blocked);
        Assert.DoesNotContain(".tmp", r.Err);
        if (OperatingSystem.IsLinux())
        {
            // procfs refuses new files to everyone: the error comes from creating the temporary file.
            string proc = "/proc/gan3d-reliability-test.png";
            r = Run("render", grid, "--out", proc);
            AssertBadInput(r, proc);
            Assert.DoesNotContain(".tmp", r.Err);
        }
    }

    [Fact]
    public void HelpNamesTheFilesTheCommandsWrite()
    {
        var sample = Run("sample", "--help");
        Assert.Contains("sample-montage.png", sample.Out);
        Assert.DoesNotContain(" montage.png", sample.Out);
        var interpolate = Run("interpolate", "--help");
        Assert.Contains("interpolation-linear-montage.png", interpolate.Out);
        Assert.DoesNotContain("interpolation-linear.png", interpolate.Out);
        Assert.Contains("Example", Run("devices", "--help").Out);
    }

    [Theory]
    [InlineData("sample")]
    [InlineData("interpolate")]
    [InlineData("arithmetic")]
    [InlineData("features")]
    [InlineData("classify")]
    [InlineData("eval")]
    [InlineData("reconstruct")]
    [InlineData("eval-reconstruction")]
    [InlineData("profile")]
    public void DeviceHelpListsEveryDevice(string command)
    {
        var r = Run(command, "--help");
        Assert.Contains("ilgpu-cpu", r.Out);
    }

    [Theory]
    [InlineData("eval", "--count-per-family")]
    [InlineData("classify", "--count-per-family")]
    [InlineData("eval-reconstruction", "--per-family")]
    [InlineData("train", "--count-per-family")]
    public void PerFamilyHasOneNameAndTheOtherAsAnAlias(string command, string option)
    {
        string[] args = command switch
        {
            "eval" => ["eval", "-c", gan.Checkpoint, "--reference", "procedural", option, "0"],
            "classify" => ["classify", "-c", gan.Checkpoint, "--data", "procedural", option, "0"],
            "train" => ["train", "--data", "procedural", option, "0", "--out", Path.Combine(Path.GetTempPath(), "gan3d-never-made")],
            _ => ["eval-reconstruction", "-c", gan.Checkpoint, "--data", "procedural", option, "0"],
        };
        AssertBadInput(Run(args), "--per-family 0 must be between");
    }
}
