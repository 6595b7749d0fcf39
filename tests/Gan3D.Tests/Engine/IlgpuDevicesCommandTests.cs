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
}
