using Gan3D.Kernels;

namespace Gan3D.Tensors;

public static partial class Ops
{
    /// <summary>3D max pooling of (N, C, D, H, W); stride defaults to the kernel size.</summary>
    public static Tensor MaxPool3d(Tensor x, Dim3 kernel, Dim3? stride = null, Dim3 padding = default)
    {
        const string op = "MaxPool3d";
        Check.Rank(op, x, 5, "(N, C, D, H, W) input");
        var s = stride ?? kernel;
        Check.Positive(op, "kernel size", Math.Min(kernel.D, Math.Min(kernel.H, kernel.W)));
        CheckStridePadding(op, s, padding);
        if (2 * padding.D > kernel.D || 2 * padding.H > kernel.H || 2 * padding.W > kernel.W)
        {
            throw new ArgumentException($"{op}: padding {padding} must be at most half the kernel {kernel}");
        }
        var g = Pool3dGeometry.Create(x.Shape[0], x.Shape[1], x.Shape[2], x.Shape[3], x.Shape[4],
            kernel.D, kernel.H, kernel.W, s.D, s.H, s.W, padding.D, padding.H, padding.W);
        if (g.Do <= 0 || g.Ho <= 0 || g.Wo <= 0)
        {
            throw new ArgumentException($"{op}: kernel {kernel} does not fit input {x.Shape}");
        }
        var y = Tensor.Empty(new Shape(g.N, g.C, g.Do, g.Ho, g.Wo), x.Backend);
        x.Backend.MaxPool3dForward(x, y, g);
        return Autograd.Record(y, new MaxPoolFunction(g, y), x);
    }

    private sealed class MaxPoolFunction(Pool3dGeometry g, Tensor y) : Function
    {
        protected internal override void Backward(Tensor gradOutput)
        {
            var x = Inputs[0];
            var dx = x.EmptyLike();
            x.Backend.MaxPool3dBackward(x, y, gradOutput, dx, g);
            Accumulate(0, dx);
        }
    }
}
