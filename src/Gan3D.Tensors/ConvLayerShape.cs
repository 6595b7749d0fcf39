using Gan3D.Kernels;

namespace Gan3D.Tensors;

/// <summary>
/// A conv3d or conv_transpose3d layer on one input, by its PyTorch arguments: what code above Tensors
/// (profilers, launch plans of a model) describes a convolution by, so that the kernels' parameter
/// block (<see cref="Conv3dGeometry"/>) stays inside Tensors.
/// </summary>
/// <param name="Input">(N, Cin, D, H, W).</param>
/// <param name="OutChannels">Cout.</param>
/// <param name="Kernel">Kernel extent.</param>
/// <param name="Stride">Stride.</param>
/// <param name="Padding">Zero padding.</param>
/// <param name="OutputPadding">conv_transpose3d's output padding (zero for a convolution).</param>
/// <param name="Transposed">conv_transpose3d rather than conv3d.</param>
public readonly record struct ConvLayerShape(Shape Input, int OutChannels, Dim3 Kernel, Dim3 Stride, Dim3 Padding,
    Dim3 OutputPadding = default, bool Transposed = false)
{
    /// <summary>The geometry the kernels run: for a transposed layer, the convolution it is the adjoint of.</summary>
    internal Conv3dGeometry Geometry => Transposed
        ? Conv3dGeometry.ForTransposed(Input[0], Input[1], Input[2], Input[3], Input[4], OutChannels,
            Kernel.D, Kernel.H, Kernel.W, Stride.D, Stride.H, Stride.W, Padding.D, Padding.H, Padding.W,
            OutputPadding.D, OutputPadding.H, OutputPadding.W)
        : Conv3dGeometry.Create(Input[0], Input[1], Input[2], Input[3], Input[4], OutChannels,
            Kernel.D, Kernel.H, Kernel.W, Stride.D, Stride.H, Stride.W, Padding.D, Padding.H, Padding.W);

    /// <summary>The layer's output shape (N, Cout, D', H', W').</summary>
    public Shape Output
    {
        get
        {
            var g = Geometry;
            return Transposed ? new Shape(g.N, g.Cin, g.Di, g.Hi, g.Wi) : new Shape(g.N, g.Cout, g.Do, g.Ho, g.Wo);
        }
    }
}
