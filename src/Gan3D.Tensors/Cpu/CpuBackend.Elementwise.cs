using System.Numerics.Tensors;
using Gan3D.Kernels;

namespace Gan3D.Tensors;

public sealed partial class CpuBackend
{
    public void Unary(UnaryOp op, Tensor x, Tensor y, float alpha)
    {
        var (xa, ya) = (A(x), A(y));
        Elementwise(x.Numel, (s, n) => UnaryLoops.Forward(op, new ReadOnlySpan<float>(xa, s, n), new Span<float>(ya, s, n), alpha));
    }

    public void UnaryBackward(UnaryOp op, Tensor saved, Tensor dy, Tensor dx, float alpha)
    {
        var (sa, ga, da) = (A(saved), A(dy), A(dx));
        Elementwise(dy.Numel, (s, n) => UnaryLoops.Backward(op, new ReadOnlySpan<float>(sa, s, n),
            new ReadOnlySpan<float>(ga, s, n), new Span<float>(da, s, n), alpha));
    }

    public void Binary(BinaryOp op, Tensor a, Tensor b, Tensor y)
    {
        var (aa, ba, ya) = (A(a), A(b), A(y));
        Elementwise(a.Numel, (s, n) =>
        {
            var x1 = new ReadOnlySpan<float>(aa, s, n);
            var x2 = new ReadOnlySpan<float>(ba, s, n);
            var o = new Span<float>(ya, s, n);
            switch (op)
            {
                case BinaryOp.Add: TensorPrimitives.Add(x1, x2, o); break;
                case BinaryOp.Sub: TensorPrimitives.Subtract(x1, x2, o); break;
                case BinaryOp.Mul: TensorPrimitives.Multiply(x1, x2, o); break;
                default: throw new NotSupportedException(op.ToString());
            }
        });
    }

    public void Axpy(float alpha, Tensor x, Tensor y)
    {
        var (xa, ya) = (A(x), A(y));
        Elementwise(x.Numel, (s, n) => UnaryLoops.Axpy(alpha, new ReadOnlySpan<float>(xa, s, n), new Span<float>(ya, s, n)));
    }

    public void Sum(Tensor x, Tensor y, float scale)
    {
        var xa = A(x);
        long n = x.Numel;
        int chunks = (int)((n + ElementChunk - 1) / ElementChunk);
        var partial = new double[chunks];
        ForChunks(n, ElementChunk, (s, len) => partial[s / ElementChunk] = ReductionLoops.Sum(new ReadOnlySpan<float>(xa, s, len)));
        double total = 0;
        foreach (double p in partial)
        {
            total += p;
        }
        S(y)[0] = (float)(total * scale);
    }

    public void BroadcastScalar(Tensor s, Tensor y, float scale) => Fill(y, S(s)[0] * scale);

    /// <summary>(N, C, S) view of a tensor whose axis 1 is channels.</summary>
    private static (int N, int C, int S) ChannelLayout(Tensor t)
    {
        int n = t.Shape[0], c = t.Shape[1];
        return (n, c, checked((int)t.Shape.SizeFrom(2)));
    }

    public void AddChannelBias(Tensor y, Tensor bias)
    {
        var (n, c, sp) = ChannelLayout(y);
        var (ya, ba) = (A(y), A(bias));
        For(n * c, nc =>
        {
            var row = new Span<float>(ya, nc * sp, sp);
            UnaryLoops.Forward<AddScalarFunction>(row, row, ba[nc % c]);
        });
    }

    public void ChannelSum(Tensor dy, Tensor db)
    {
        var (n, c, sp) = ChannelLayout(dy);
        var (ga, da) = (A(dy), A(db));
        For(c, ch =>
        {
            double acc = 0;
            for (int i = 0; i < n; i++)
            {
                acc += ReductionLoops.Sum(new ReadOnlySpan<float>(ga, (i * c + ch) * sp, sp));
            }
            da[ch] = (float)acc;
        });
    }
}
