using System.Reflection;
using Gan3D.Tensors;

namespace Gan3D.Tests.Engine;

/// <summary>The layers above Tensors see no kernel parameter structs (Conv3dGeometry, AdamStepParams, ...).</summary>
public class SeamTests
{
    [Theory]
    [InlineData("Gan3D.Nn")]
    [InlineData("Gan3D.Models")]
    [InlineData("gan3d")]
    public void LayersAboveTensorsDoNotReferenceTheKernels(string assembly)
    {
        // The compiler records a reference only to an assembly whose types the code uses.
        var references = Assembly.Load(assembly).GetReferencedAssemblies().Select(a => a.Name).ToList();
        Assert.Contains("Gan3D.Tensors", references);
        Assert.DoesNotContain("Gan3D.Kernels", references);
    }

    [Fact]
    public void LayersWithoutABackendAreOnTheDefaultDeviceOfTheirScope()
    {
        Assert.Same(CpuBackend.Default, new Nn.Linear(2, 3).Backend);
        using var other = new CpuBackend(1);
        using (Devices.Use(other))
        {
            Assert.Same(other, Devices.Default);
            Assert.Same(other, new Nn.Conv3d(1, 2, 3).Backend);
            Assert.Same(other, new Nn.BatchNorm3d(2).Backend);
            Assert.Same(other, new Nn.LeakyReLU(0.2f).Backend);
            using (Devices.Use(CpuBackend.Default))
            {
                Assert.Same(CpuBackend.Default, new Nn.Linear(2, 3).Backend);
            }
            Assert.Same(other, new Nn.Linear(2, 3).Backend);
        }
        Assert.Same(CpuBackend.Default, Devices.Default);
    }
}
