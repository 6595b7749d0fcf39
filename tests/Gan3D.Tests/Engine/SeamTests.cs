using System.Reflection;

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
}
