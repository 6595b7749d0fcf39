using Gan3D.Cli;
using Gan3D.Tensors;

namespace Gan3D.Tests.Engine;

/// <summary><c>gan3d devices</c> lists the CPU and the CUDA devices, or says plainly that there are none.</summary>
public sealed class IlgpuDevicesCommandTests
{
    [Fact]
    public void DevicesListsTheCpuAndEveryCudaDeviceOrWhyThereIsNone()
    {
        var (output, error) = (new StringWriter(), new StringWriter());
        int rc = CliApp.Run(["devices"], output, error);
        string text = output.ToString();
        Assert.Equal(ExitCodes.Success, rc);
        Assert.Equal("", error.ToString());
        Assert.Contains($"CPU: {Environment.ProcessorCount} logical cores, {CpuBackend.SimdDescription}", text, StringComparison.Ordinal);
        var devices = IlgpuBackend.ListCudaDevices();
        if (devices.Count == 0)
        {
            Assert.Contains("CUDA: no CUDA device found (", text, StringComparison.Ordinal);
        }
        foreach (var d in devices)
        {
            Assert.Contains($"cuda:{d.Index} {d.Name}: compute capability {d.ComputeCapability}", text, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void SmokeWithoutAGpuFailsWithThePlainReason()
    {
        if (IlgpuBackend.ListCudaDevices().Count > 0)
        {
            Assert.Skip("a CUDA device is present: the smoke test would run for real");
        }
        var (output, error) = (new StringWriter(), new StringWriter());
        int rc = CliApp.Run(["devices", "--smoke"], output, error);
        Assert.Equal(ExitCodes.Failure, rc);
        Assert.Contains("no CUDA device found: ", output.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void SmokeOnTheCpuAcceleratorRunsTheSelfCheck()
    {
        // What bench/gpu/dry-run.sh relies on: the GPU script's first step, rehearsed without a GPU.
        var (output, error) = (new StringWriter(), new StringWriter());
        int rc = CliApp.Run(["devices", "--smoke", "--device", "ilgpu-cpu"], output, error);
        string text = output.ToString();
        Assert.True(rc == ExitCodes.Success, text + error);
        Assert.Contains("Smoke test:\nilgpu-cpu (emulator): created\n", text.ReplaceLineEndings("\n"), StringComparison.Ordinal);
        Assert.Contains("  ok   conv3d k4 s2 p1:", text, StringComparison.Ordinal);
        Assert.Contains("all checks passed", text, StringComparison.Ordinal);
        Assert.DoesNotContain("FAIL", text, StringComparison.Ordinal);
    }

    [Fact]
    public void SmokeOnTheManagedCpuIsBadUsage()
    {
        var (output, error) = (new StringWriter(), new StringWriter());
        Assert.Equal(ExitCodes.BadInput, CliApp.Run(["devices", "--smoke", "--device", "cpu"], output, error));
        Assert.Contains("--device cpu", error.ToString(), StringComparison.Ordinal);
    }
}
