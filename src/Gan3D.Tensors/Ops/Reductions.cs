using Gan3D.Kernels;

namespace Gan3D.Tensors;

public static partial class Ops
{
    /// <summary>Sum of all elements, as a scalar (shape ()).</summary>
    public static Tensor Sum(Tensor x) => Reduce(x, 1f);

    /// <summary>
    /// How many elements lie strictly above 0 (<paramref name="above"/>) or below it, as a scalar (shape ())
    /// computed on the device, with no gradient: D's right calls, read back with the iteration's other scalars.
    /// </summary>
    public static Tensor CountSign(Tensor x, bool above)
    {
        var be = x.Backend;
        var hits = Tensor.Empty(x.Shape, be);
        be.Unary(UnaryOp.Positive, x, hits, above ? 1f : -1f);
        var count = Tensor.Empty(new Shape(), be);
        be.Sum(hits, count, 1f); // exact in float up to 2²⁴ elements
        return count;
    }

    /// <summary>Mean of all elements, as a scalar (shape ()).</summary>
    public static Tensor Mean(Tensor x)
    {
        if (x.Numel == 0)
        {
            throw new ArgumentException($"Mean: tensor {x.Shape} is empty");
        }
        return Reduce(x, (float)(1.0 / x.Numel));
    }

    private static Tensor Reduce(Tensor x, float scale)
    {
        var y = Tensor.Empty(new Shape(), x.Backend);
        x.Backend.Sum(x, y, scale);
        return Autograd.Record(y, new ReduceFunction(scale), x);
    }

    private sealed class ReduceFunction(float scale) : Function
    {
        public override string Name => "Sum";

        protected internal override void Backward(Tensor gradOutput)
        {
            var dx = Inputs[0].EmptyLike();
            dx.Backend.BroadcastScalar(gradOutput, dx, scale);
            Accumulate(0, dx);
        }
    }
}
