using Gan3D.Data;
using Gan3D.Kernels;
using Gan3D.Tests.Engine;
using static Gan3D.Tests.Cli.CliRunner;

namespace Gan3D.Tests.Cli;

public sealed class ProfileCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("gan3d-profile-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private double[] Load(string name) => TestSupport.ToDouble(NpyFile.ReadFloat32(Path.Combine(_dir, name + ".npy")).Data);

    [Fact]
    public void DumpedTensorsAgreeWithTheReference()
    {
        var r = Run("profile", "--layer", "conv3d", "--input", "2,3,5,6,7", "--out-channels", "4", "--kernel", "3,2,3",
            "--stride", "2,1,2", "--padding", "1,0,1", "--bias", "--device", "cpu", "--repeat", "1", "--warm-up", "0", "--dump", _dir);
        Assert.True(r.Code == 0, r.Err);
        Assert.Contains("GFLOP/s", r.Out);
        var g = Conv3dGeometry.Create(2, 3, 5, 6, 7, 4, 3, 2, 3, 2, 1, 2, 1, 0, 1);
        var x = Load("input");
        var w = Load("weight");
        var dy = Load("grad_output");
        TestSupport.AssertClose("dumped output", Reference.Conv3d(x, w, Load("bias"), g), TestSupport.ToFloat(Load("output")));
        TestSupport.AssertClose("dumped grad input", Reference.Conv3dBackwardData(dy, w, g), TestSupport.ToFloat(Load("grad_input")));
        TestSupport.AssertClose("dumped grad weight", Reference.Conv3dBackwardWeight(x, dy, g), TestSupport.ToFloat(Load("grad_weight")));
        Assert.Equal(Reference.ChannelSum(dy, 2, 4, g.OutputVolume).Sum(), Load("grad_bias").Sum(), 3);
    }

    [Fact]
    public void BatchNormDumpHasRunningStatistics()
    {
        var r = Run("profile", "--layer", "batchnorm3d", "--input", "3,2,4,3,5", "--device", "cpu", "--repeat", "1", "--warm-up", "0", "--dump", _dir, "--json");
        Assert.True(r.Code == 0, r.Err);
        Assert.Contains("\"forward_ms\"", r.Out);
        foreach (var f in new[] { "input", "weight", "bias", "output", "grad_input", "grad_weight", "grad_bias", "running_mean", "running_var" })
        {
            Assert.True(File.Exists(Path.Combine(_dir, f + ".npy")), f);
        }
        var x = Load("input");
        var rm = Load("running_mean");
        double mean0 = Enumerable.Range(0, 3).SelectMany(n => x.Skip((n * 2) * 60).Take(60)).Average();
        Assert.Equal(0.1 * mean0, rm[0], 5); // one training forward from running mean 0 with momentum 0.1
    }

    [Fact]
    public void PlanOnlyGivesEachConvolutionsCudaLaunches()
    {
        var r = Run("profile", "--model", "g32", "--batch-size", "2", "--plan-only", "--json", "--device", "cpu");
        Assert.True(r.Code == 0, r.Err);
        using var doc = System.Text.Json.JsonDocument.Parse(r.Out);
        Assert.Equal("CUDA plan, kernel v2", doc.RootElement.GetProperty("launch_plan").GetString());
        var layers = doc.RootElement.GetProperty("layers").EnumerateArray().ToList();
        var first = layers.First(l => l.GetProperty("name").GetString() == "G.convT1");
        // The network's input needs no gradient: forward and weight gradient only.
        Assert.Equal(["forward", "grad weight"], first.GetProperty("launches").EnumerateArray().Select(l => l.GetProperty("role").GetString()));
        var last = layers.Last(l => l.GetProperty("launches").GetArrayLength() > 0);
        Assert.Equal("G.convT4", last.GetProperty("name").GetString());
        Assert.Equal("2x1x32x32x32", last.GetProperty("output").GetString());
        var forward = last.GetProperty("launches")[0];
        // 32 → 1 channels: M = 1, so the small-M kernel with one row (64-row tiles would run 64): 8 parity
        // classes of 2·16³ positions, a thread each, in groups of 64.
        Assert.Equal("bwd-data m1", forward.GetProperty("kernel").GetString());
        Assert.Equal([128L, 1, 8], forward.GetProperty("grid").EnumerateArray().Select(e => e.GetInt64()));
        Assert.Equal(64, forward.GetProperty("group").GetInt32());
        Assert.Equal(1.0, forward.GetProperty("exec_per_nominal").GetDouble(), 9);
        Assert.InRange(forward.GetProperty("exec_per_useful").GetDouble(), 1.0, 1.25); // the padding border's zeros
        Assert.Equal(0, doc.RootElement.GetProperty("layers")[0].GetProperty("forward_ms").GetDouble()); // nothing timed
    }

    [Fact]
    public void TimedProfileShowsTheLaunchPlanUnderEachConvolution()
    {
        var r = Run("profile", "--model", "d32", "--batch-size", "2", "--repeat", "1", "--warm-up", "0", "--device", "cpu", "--plan-version", "3");
        Assert.True(r.Code == 0, r.Err);
        Assert.Contains("CUDA plan, kernel v3", r.Out);
        Assert.Contains("exec/useful", r.Out);
        // D.conv1's input needs no gradient; the other three convolutions launch all three kernels.
        var lines = r.Out.Split('\n');
        Assert.Equal(4, lines.Count(l => l.StartsWith("  forward      fwd ", StringComparison.Ordinal)));
        Assert.Equal(3, lines.Count(l => l.StartsWith("  grad input   bwd-data ", StringComparison.Ordinal)));
        Assert.Equal(4, lines.Count(l => l.StartsWith("  grad weight  bwd-weight ", StringComparison.Ordinal)));
        Assert.Contains(" × 64 ", r.Out); // version 3 groups
    }

    [Fact]
    public void IterationOnlyTimesTheTrainingIterationAlone()
    {
        var r = Run("profile", "--model", "gan32", "--batch-size", "2", "--width", "0.125", "--repeat", "3", "--warm-up", "0", "--iteration-only", "--json", "--device", "cpu");
        Assert.True(r.Code == 0, r.Err);
        using var doc = System.Text.Json.JsonDocument.Parse(r.Out);
        var root = doc.RootElement;
        Assert.Equal(0, root.GetProperty("layers").GetArrayLength());
        var samples = root.GetProperty("iteration_samples_ms").EnumerateArray().Select(e => e.GetDouble()).Order().ToList();
        Assert.Equal(3, samples.Count);
        Assert.All(samples, s => Assert.True(s > 0));
        Assert.Equal(samples[1], root.GetProperty("iteration_ms").GetDouble()); // the median of the three
        Assert.True(root.GetProperty("peak_process_bytes").GetInt64() >= root.GetProperty("peak_bytes").GetInt64());
    }

    [Theory]
    [InlineData(new[] { "profile", "--model", "g32", "--iteration-only" }, "gan32 and gan64")]
    [InlineData(new[] { "profile", "--layer", "conv3d", "--input", "1,2,3,3,3", "--out-channels", "2", "--iteration-only" }, "--iteration-only")]
    [InlineData(new[] { "profile", "--layer", "conv3d", "--input", "1,2,3", "--out-channels", "2" }, "--input 1,2,3")]
    [InlineData(new[] { "profile", "--layer", "conv3d", "--input", "1,2,3,3,3" }, "--out-channels")]
    [InlineData(new[] { "profile", "--layer", "pool", "--input", "1,2,3,3,3" }, "--layer pool")]
    [InlineData(new[] { "profile", "--model", "g48" }, "unknown model")]
    [InlineData(new[] { "profile", "--layer", "conv3d", "--model", "g32" }, "exactly one")]
    [InlineData(new[] { "profile", "--layer", "conv3d", "--input", "1,2,3,3,3", "--out-channels", "2", "--kernel", "5" }, "does not fit")]
    [InlineData(new[] { "profile", "--model", "g32", "--device", "cuda" }, "no CUDA device")]
    [InlineData(new[] { "profile", "--model", "g32", "--kernel-version", "4" }, "--kernel-version 4")]
    [InlineData(new[] { "profile", "--model", "g32", "--plan-version", "1" }, "--plan-version 1")]
    [InlineData(new[] { "profile", "--model", "g32", "--warm-up", "-1" }, "--warm-up -1")]
    [InlineData(new[] { "profile", "--layer", "batchnorm3d", "--input", "1,2,3,3,3", "--plan-only" }, "--plan-only")]
    [InlineData(new[] { "profile", "--model", "g32", "--plan-only", "--device", "cpu", "--precision", "tf32" }, "--precision tf32: cpu")]
    [InlineData(new[] { "profile", "--model", "g32", "--plan-only", "--device", "cpu", "--precision", "fp16" }, "--precision fp16: use fp32 or tf32")]
    [InlineData(new[] { "train", "--device", "cpu", "--precision", "tf32", "--iterations", "1" }, "--precision tf32: cpu")]
    public void BadArgumentsAreOneLineErrors(string[] args, string expected) => AssertBadInput(Run(args), expected);
}
