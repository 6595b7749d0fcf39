using Gan3D.Nn;
using Gan3D.Tensors;

namespace Gan3D.Models;

/// <summary>One kernel launch of a layer's training step: what it computes for the layer, and the plan.</summary>
/// <param name="Role">"forward", "grad input" or "grad weight".</param>
/// <param name="Plan">The CUDA launch of <see cref="IlgpuBackend"/> for it.</param>
public sealed record LayerLaunch(string Role, ConvLaunchPlan Plan);

/// <summary>
/// The implicit-GEMM launches a convolution layer costs on the GPU, from its geometry alone (no
/// device, no data): a layer's forward, its input gradient (unless the input needs none) and its
/// weight gradient. A transposed convolution runs the kernels of the convolution it is the adjoint of,
/// so its forward is backward-data and its input gradient is the forward kernel.
/// </summary>
public static class ConvLaunches
{
    /// <summary>The launches of <paramref name="layer"/> on an input of <paramref name="input"/>; empty for a non-convolution.</summary>
    public static IReadOnlyList<LayerLaunch> ForLayer(Module layer, Shape input, bool inputGradient, int kernelVersion)
    {
        if (layer is not (Conv3d or ConvTranspose3d))
        {
            return [];
        }
        var g = LayerShape(layer, input);
        bool transposed = layer is ConvTranspose3d;
        var launches = new List<LayerLaunch>
        {
            new("forward", ConvLaunchPlan.Create(transposed ? ConvKernelPass.BackwardData : ConvKernelPass.Forward, g, kernelVersion)),
        };
        if (inputGradient)
        {
            launches.Add(new("grad input", ConvLaunchPlan.Create(transposed ? ConvKernelPass.Forward : ConvKernelPass.BackwardData, g, kernelVersion)));
        }
        launches.Add(new("grad weight", ConvLaunchPlan.Create(ConvKernelPass.BackwardWeight, g, kernelVersion)));
        return launches;
    }

    /// <summary>The output shape of a convolution layer on <paramref name="input"/> (other layers keep the shape).</summary>
    public static Shape OutputShape(Module layer, Shape input)
    {
        if (layer is not (Conv3d or ConvTranspose3d))
        {
            return input;
        }
        return LayerShape(layer, input).Output;
    }

    private static ConvLayerShape LayerShape(Module layer, Shape input) => layer switch
    {
        Conv3d c => new(input, c.Weight.Shape[0], c.KernelSize, c.Stride, c.Padding),
        ConvTranspose3d t => new(input, t.Weight.Shape[1], t.KernelSize, t.Stride, t.Padding, t.OutputPadding, Transposed: true),
        _ => throw new ArgumentException($"{layer.GetType().Name} is not a convolution"),
    };
}
