using Gan3D.Kernels;

namespace Gan3D.Tensors;

/// <summary>Differentiable tensor operations (the functional API, like torch.nn.functional).</summary>
public static partial class Ops
{
    public static Tensor Relu(Tensor x) => Unary(UnaryOp.Relu, x, 0f);

    public static Tensor LeakyRelu(Tensor x, float negativeSlope = 0.01f)
    {
        Check.NegativeSlope("LeakyRelu", negativeSlope);
        return Unary(UnaryOp.LeakyRelu, x, negativeSlope);
    }

    /// <summary>
    /// LeakyReLU written over <paramref name="x"/>'s own memory (PyTorch's <c>inplace=True</c>): no second
    /// tensor of x's size lives until backward, which works from the output (its sign is the input's).
    /// <paramref name="x"/> must be an intermediate nothing else reads afterwards: its values are gone.
    /// Refused when x's producer needs its output for its own backward (a sigmoid's, say); a
    /// convolution's output is fine. Returns the result, a new tensor sharing x's memory.
    /// </summary>
    public static Tensor LeakyReluInPlace(Tensor x, float negativeSlope)
    {
        Check.NegativeSlope("LeakyReluInPlace", negativeSlope);
        if (x.RequiresGrad && (x.GradFn is null || x.GradFn.BackwardReadsOutput))
        {
            throw new InvalidOperationException(
                $"LeakyReluInPlace: {(x.GradFn is null ? "a leaf that requires grad" : $"the output of {x.GradFn.Name}, which its backward reads,")} cannot be overwritten");
        }
        var y = x.View(x.Shape);
        x.Backend.Unary(UnaryOp.LeakyRelu, x, y, negativeSlope);
        return Autograd.Record(y, new UnaryFunction(UnaryOp.LeakyRelu, negativeSlope, y), x);
    }

    /// <summary>
    /// LeakyReLU's backward as an op of its own: <paramref name="gradient"/> times the slope at each element
    /// (1 where <paramref name="output"/> &gt; 0, <paramref name="negativeSlope"/> elsewhere; the output's sign is the
    /// input's). Differentiable in <paramref name="gradient"/> only: the slope is piecewise constant, so its
    /// derivative in the activation is 0 almost everywhere. A network's input gradient written with it (and
    /// the transposed convolutions) is a graph of its own, so a penalty on that gradient can be
    /// back-propagated to the weights (R1) without a second-order autograd.
    /// </summary>
    public static Tensor LeakyReluBackward(Tensor gradient, Tensor output, float negativeSlope)
    {
        const string op = "LeakyReluBackward";
        Check.NegativeSlope(op, negativeSlope);
        Check.SameBackend(op, gradient, output);
        Check.SameShape(op, gradient, output);
        var y = gradient.EmptyLike();
        gradient.Backend.UnaryBackward(UnaryOp.LeakyRelu, output, gradient, y, negativeSlope);
        return Autograd.Record(y, new LeakyReluBackwardFunction(output, negativeSlope), gradient);
    }

    /// <summary>The op is linear in its gradient input: its own backward is the op again with the same slopes.</summary>
    private sealed class LeakyReluBackwardFunction(Tensor output, float negativeSlope) : Function
    {
        public override string Name => "LeakyReluBackward";

        protected internal override bool BackwardReadsOutput => false;

        protected internal override void Backward(Tensor gradOutput)
        {
            var dx = gradOutput.EmptyLike();
            dx.Backend.UnaryBackward(UnaryOp.LeakyRelu, output, gradOutput, dx, negativeSlope);
            Accumulate(0, dx);
        }
    }

    public static Tensor Sigmoid(Tensor x) => Unary(UnaryOp.Sigmoid, x, 0f);

    public static Tensor Tanh(Tensor x) => Unary(UnaryOp.Tanh, x, 0f);

    public static Tensor Exp(Tensor x) => Unary(UnaryOp.Exp, x, 0f);

    public static Tensor Square(Tensor x) => Unary(UnaryOp.Square, x, 0f);

    /// <summary>1/√x elementwise (x &gt; 0).</summary>
    public static Tensor Rsqrt(Tensor x) => Unary(UnaryOp.Rsqrt, x, 0f);

    public static Tensor MulScalar(Tensor x, float alpha) => Unary(UnaryOp.Scale, x, alpha);

    public static Tensor AddScalar(Tensor x, float alpha) => Unary(UnaryOp.AddScalar, x, alpha);

    public static Tensor Add(Tensor a, Tensor b) => Binary(BinaryOp.Add, a, b);

    public static Tensor Sub(Tensor a, Tensor b) => Binary(BinaryOp.Sub, a, b);

    public static Tensor Mul(Tensor a, Tensor b) => Binary(BinaryOp.Mul, a, b);

    public static Tensor Unary(UnaryOp op, Tensor x, float alpha)
    {
        var y = x.EmptyLike();
        x.Backend.Unary(op, x, y, alpha);
        return Autograd.Record(y, new UnaryFunction(op, alpha, NeedsOutput(op) ? y : x), x);
    }

    public static Tensor Binary(BinaryOp op, Tensor a, Tensor b)
    {
        Check.SameShape(op.ToString(), a, b);
        var y = a.EmptyLike();
        a.Backend.Binary(op, a, b, y);
        return Autograd.Record(y, new BinaryFunction(op), a, b);
    }

    private static bool NeedsOutput(UnaryOp op) => op is not UnaryOp.Square;

    private sealed class UnaryFunction(UnaryOp op, float alpha, Tensor saved) : Function
    {
        public override string Name => op.ToString();

        protected internal override void Backward(Tensor gradOutput)
        {
            var dx = gradOutput.EmptyLike();
            dx.Backend.UnaryBackward(op, saved, gradOutput, dx, alpha);
            Accumulate(0, dx);
        }
    }

    private sealed class BinaryFunction(BinaryOp op) : Function
    {
        public override string Name => op.ToString();

        protected internal override void Backward(Tensor gradOutput)
        {
            var be = gradOutput.Backend;
            for (int i = 0; i < 2; i++)
            {
                if (!NeedsGrad(i))
                {
                    continue;
                }
                var d = gradOutput.EmptyLike();
                switch (op)
                {
                    case BinaryOp.Add:
                        be.Copy(gradOutput, d);
                        break;
                    case BinaryOp.Sub:
                        be.Unary(UnaryOp.Scale, gradOutput, d, i == 0 ? 1f : -1f);
                        break;
                    case BinaryOp.Mul:
                        be.Binary(BinaryOp.Mul, gradOutput, Inputs[1 - i], d);
                        break;
                }
                Accumulate(i, d);
            }
        }
    }
}
