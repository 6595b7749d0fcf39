using System.Numerics;
using System.Numerics.Tensors;

namespace Gan3D.Tensors;

public sealed partial class CpuBackend
{
    public void Unary(UnaryOp op, Tensor x, Tensor y, float alpha)
    {
        var (xa, ya) = (A(x), A(y));
        Elementwise(x.Numel, (s, n) =>
        {
            var xs = new ReadOnlySpan<float>(xa, s, n);
            var ys = new Span<float>(ya, s, n);
            switch (op)
            {
                case UnaryOp.Relu: TensorPrimitives.Max(xs, 0f, ys); break;
                case UnaryOp.LeakyRelu: LeakyRelu(xs, ys, alpha); break;
                case UnaryOp.Sigmoid: TensorPrimitives.Sigmoid(xs, ys); break;
                case UnaryOp.Tanh: TensorPrimitives.Tanh(xs, ys); break;
                case UnaryOp.Exp: TensorPrimitives.Exp(xs, ys); break;
                case UnaryOp.Scale: TensorPrimitives.Multiply(xs, alpha, ys); break;
                case UnaryOp.AddScalar: TensorPrimitives.Add(xs, alpha, ys); break;
                case UnaryOp.Square: TensorPrimitives.Multiply(xs, xs, ys); break;
                case UnaryOp.Rsqrt: TensorPrimitives.ReciprocalSqrt(xs, ys); break;
                default: throw new NotSupportedException(op.ToString());
            }
        });
    }

    public void UnaryBackward(UnaryOp op, Tensor saved, Tensor dy, Tensor dx, float alpha)
    {
        var (sa, ga, da) = (A(saved), A(dy), A(dx));
        Elementwise(dy.Numel, (s, n) =>
        {
            var v = new ReadOnlySpan<float>(sa, s, n);
            var g = new ReadOnlySpan<float>(ga, s, n);
            var d = new Span<float>(da, s, n);
            switch (op)
            {
                case UnaryOp.Relu: GateByPositive(v, g, d, 0f); break;
                case UnaryOp.LeakyRelu: GateByPositive(v, g, d, alpha); break;
                case UnaryOp.Sigmoid:
                    for (int i = 0; i < n; i++)
                    {
                        d[i] = g[i] * v[i] * (1f - v[i]);
                    }
                    break;
                case UnaryOp.Tanh:
                    for (int i = 0; i < n; i++)
                    {
                        d[i] = g[i] * (1f - v[i] * v[i]);
                    }
                    break;
                case UnaryOp.Exp: TensorPrimitives.Multiply(g, v, d); break;
                case UnaryOp.Scale: TensorPrimitives.Multiply(g, alpha, d); break;
                case UnaryOp.AddScalar: g.CopyTo(d); break;
                case UnaryOp.Square:
                    for (int i = 0; i < n; i++)
                    {
                        d[i] = 2f * v[i] * g[i];
                    }
                    break;
                case UnaryOp.Rsqrt:
                    for (int i = 0; i < n; i++)
                    {
                        d[i] = -0.5f * v[i] * v[i] * v[i] * g[i];
                    }
                    break;
                default: throw new NotSupportedException(op.ToString());
            }
        });
    }

    /// <summary>y = x where x &gt; 0, α·x elsewhere.</summary>
    private static void LeakyRelu(ReadOnlySpan<float> x, Span<float> y, float alpha)
    {
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            var va = new Vector<float>(alpha);
            for (; i <= x.Length - Vector<float>.Count; i += Vector<float>.Count)
            {
                var v = new Vector<float>(x[i..]);
                Vector.ConditionalSelect(Vector.GreaterThan(v, Vector<float>.Zero), v, v * va).CopyTo(y[i..]);
            }
        }
        for (; i < x.Length; i++)
        {
            y[i] = x[i] > 0f ? x[i] : alpha * x[i];
        }
    }

    /// <summary>d = g where v &gt; 0, α·g elsewhere (ReLU with α = 0, leaky ReLU otherwise).</summary>
    private static void GateByPositive(ReadOnlySpan<float> v, ReadOnlySpan<float> g, Span<float> d, float alpha)
    {
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            var va = new Vector<float>(alpha);
            for (; i <= v.Length - Vector<float>.Count; i += Vector<float>.Count)
            {
                var gv = new Vector<float>(g[i..]);
                Vector.ConditionalSelect(Vector.GreaterThan(new Vector<float>(v[i..]), Vector<float>.Zero), gv, gv * va).CopyTo(d[i..]);
            }
        }
        for (; i < v.Length; i++)
        {
            d[i] = v[i] > 0f ? g[i] : alpha * g[i];
        }
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
        Elementwise(x.Numel, (s, n) =>
        {
            var ys = new Span<float>(ya, s, n);
            TensorPrimitives.MultiplyAdd(new ReadOnlySpan<float>(xa, s, n), alpha, ys, ys);
        });
    }

    public void Sum(Tensor x, Tensor y, float scale)
    {
        var xa = A(x);
        long n = x.Numel;
        int chunks = (int)((n + ElementChunk - 1) / ElementChunk);
        var partial = new double[chunks];
        ForChunks(n, ElementChunk, (s, len) => partial[s / ElementChunk] = TensorPrimitives.Sum(new ReadOnlySpan<float>(xa, s, len)));
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
            TensorPrimitives.Add(row, ba[nc % c], row);
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
                acc += TensorPrimitives.Sum(new ReadOnlySpan<float>(ga, (i * c + ch) * sp, sp));
            }
            da[ch] = (float)acc;
        });
    }
}
