using Gan3D.Kernels;

namespace Gan3D.Tensors;

public sealed partial class IlgpuBackend
{
    public void Unary(UnaryOp op, Tensor x, Tensor y, float alpha)
    {
        if (x.Numel > 0)
        {
            _k.Unary((int)x.Numel, V(x), V(y), new UnaryParams { Op = op, Alpha = alpha });
        }
    }

    public void UnaryBackward(UnaryOp op, Tensor saved, Tensor dy, Tensor dx, float alpha)
    {
        if (dy.Numel > 0)
        {
            _k.UnaryBackward((int)dy.Numel, V(saved), V(dy), V(dx), new UnaryParams { Op = op, Alpha = alpha });
        }
    }

    public void Binary(BinaryOp op, Tensor a, Tensor b, Tensor y)
    {
        int code = op switch
        {
            BinaryOp.Add => BinaryCode.Add,
            BinaryOp.Sub => BinaryCode.Sub,
            BinaryOp.Mul => BinaryCode.Mul,
            _ => throw new NotSupportedException(op.ToString()),
        };
        if (a.Numel > 0)
        {
            _k.Binary((int)a.Numel, V(a), V(b), V(y), code);
        }
    }

    public void Axpy(float alpha, Tensor x, Tensor y)
    {
        if (x.Numel > 0)
        {
            _k.Axpy((int)x.Numel, V(x), V(y), alpha);
        }
    }

    public void AddChannelBias(Tensor y, Tensor bias)
    {
        var (n, c, s) = ChannelLayout(y);
        if ((long)n * c * s > 0)
        {
            _k.AddChannelBias((int)y.Numel, V(y), V(bias), new ChannelParams { C = c, S = s });
        }
    }

    /// <summary>(N, C, S) view of a tensor whose axis 1 is channels (S = 1 for (N, C)).</summary>
    private static (int N, int C, int S) ChannelLayout(Tensor t)
    {
        if (t.Rank < 2)
        {
            throw new ArgumentException($"expected an (N, C, ...) tensor, got {t.Shape}");
        }
        CheckSize(t.Numel);
        return (t.Shape[0], t.Shape[1], (int)t.Shape.SizeFrom(2));
    }
}
