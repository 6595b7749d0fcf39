namespace Gan3D.Tensors;

public static partial class Ops
{
    /// <summary>Matrix product of a (m, k) and b (k, n).</summary>
    public static Tensor MatMul(Tensor a, Tensor b)
    {
        const string op = "MatMul";
        Check.Rank(op, a, 2, "(m, k) matrix");
        Check.Rank(op, b, 2, "(k, n) matrix");
        Check.SameBackend(op, a, b);
        if (a.Shape[1] != b.Shape[0])
        {
            throw new ArgumentException($"{op}: inner dimensions of {a.Shape} and {b.Shape} differ");
        }
        int m = a.Shape[0], k = a.Shape[1], n = b.Shape[1];
        var c = Tensor.Empty(new Shape(m, n), a.Backend);
        a.Backend.MatMul(a, false, b, false, c, m, n, k);
        return Autograd.Record(c, new MatMulFunction(), a, b);
    }

    /// <summary>y = x·Wᵀ + b with x (N, in), weight (out, in), bias (out), as torch.nn.Linear.</summary>
    public static Tensor Linear(Tensor x, Tensor weight, Tensor? bias)
    {
        const string op = "Linear";
        Check.Rank(op, x, 2, "(N, in) input");
        Check.Rank(op, weight, 2, "(out, in) weight");
        Check.SameBackend(op, x, weight);
        if (x.Shape[1] != weight.Shape[1])
        {
            throw new ArgumentException($"{op}: input {x.Shape} has {x.Shape[1]} features but weight {weight.Shape} expects {weight.Shape[1]}");
        }
        int n = x.Shape[0], fin = x.Shape[1], fout = weight.Shape[0];
        CheckBias(op, bias, weight, fout);
        var y = Tensor.Empty(new Shape(n, fout), x.Backend);
        x.Backend.MatMul(x, false, weight, true, y, n, fout, fin);
        if (bias is not null)
        {
            x.Backend.AddChannelBias(y, bias);
        }
        var fn = new LinearFunction();
        return bias is null ? Autograd.Record(y, fn, x, weight) : Autograd.Record(y, fn, x, weight, bias);
    }

    private sealed class MatMulFunction : Function
    {
        protected internal override void Backward(Tensor gradOutput)
        {
            var (a, b) = (Inputs[0], Inputs[1]);
            int m = a.Shape[0], k = a.Shape[1], n = b.Shape[1];
            if (NeedsGrad(0))
            {
                var da = a.EmptyLike();
                a.Backend.MatMul(gradOutput, false, b, true, da, m, k, n); // dA = dC·Bᵀ
                Accumulate(0, da);
            }
            if (NeedsGrad(1))
            {
                var db = b.EmptyLike();
                a.Backend.MatMul(a, true, gradOutput, false, db, k, n, m); // dB = Aᵀ·dC
                Accumulate(1, db);
            }
        }
    }

    private sealed class LinearFunction : Function
    {
        protected internal override void Backward(Tensor gradOutput)
        {
            var (x, w) = (Inputs[0], Inputs[1]);
            int n = x.Shape[0], fin = x.Shape[1], fout = w.Shape[0];
            var be = x.Backend;
            if (NeedsGrad(0))
            {
                var dx = x.EmptyLike();
                be.MatMul(gradOutput, false, w, false, dx, n, fin, fout); // dX = dY·W
                Accumulate(0, dx);
            }
            if (NeedsGrad(1))
            {
                var dw = w.EmptyLike();
                be.MatMul(gradOutput, true, x, false, dw, fout, fin, n); // dW = dYᵀ·X
                Accumulate(1, dw);
            }
            if (Inputs.Length > 2 && NeedsGrad(2))
            {
                var db = Inputs[2].EmptyLike();
                be.ChannelSum(gradOutput, db);
                Accumulate(2, db);
            }
        }
    }
}
