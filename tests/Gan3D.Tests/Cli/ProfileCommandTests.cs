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
            "--stride", "2,1,2", "--padding", "1,0,1", "--bias", "--device", "cpu", "--repeat", "1", "--dump", _dir);
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
        var r = Run("profile", "--layer", "batchnorm3d", "--input", "3,2,4,3,5", "--device", "cpu", "--repeat", "1", "--dump", _dir, "--json");
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

    [Theory]
    [InlineData(new[] { "profile", "--layer", "conv3d", "--input", "1,2,3", "--out-channels", "2" }, "--input 1,2,3")]
    [InlineData(new[] { "profile", "--layer", "conv3d", "--input", "1,2,3,3,3" }, "--out-channels")]
    [InlineData(new[] { "profile", "--layer", "pool", "--input", "1,2,3,3,3" }, "--layer pool")]
    [InlineData(new[] { "profile", "--model", "g48" }, "unknown model")]
    [InlineData(new[] { "profile", "--layer", "conv3d", "--model", "g32" }, "exactly one")]
    [InlineData(new[] { "profile", "--layer", "conv3d", "--input", "1,2,3,3,3", "--out-channels", "2", "--kernel", "5" }, "does not fit")]
    [InlineData(new[] { "profile", "--model", "g32", "--device", "cuda" }, "no CUDA device")]
    [InlineData(new[] { "profile", "--model", "g32", "--kernel-version", "3" }, "--kernel-version 3")]
    public void BadArgumentsAreOneLineErrors(string[] args, string expected) => AssertBadInput(Run(args), expected);
}
