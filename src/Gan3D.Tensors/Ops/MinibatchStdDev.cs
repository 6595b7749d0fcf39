using Gan3D.Kernels;

namespace Gan3D.Tensors;

public static partial class Ops
{
    /// <summary>
    /// The minibatch standard deviation layer of Karras et al. 2018 (ProGAN), with the whole batch as
    /// the group: x (N, C, D, H, W) → (N, C + 1, D, H, W), the extra channel holding, at every position
    /// of every shape, s = mean over the features f = (c, d, h, w) of sqrt(Var_n x[n, f] + eps), the
    /// variance over the batch with divisor N. It lets a discriminator see how varied a batch is, which a
    /// generator that makes one shape cannot fake. Built from the backend's matrix product, copies and
    /// elementwise ops: it runs once a forward on D's smallest activation.
    /// </summary>
    public static Tensor MinibatchStdDev(Tensor x, float eps = 1e-8f)
    {
        const string op = "MinibatchStdDev";
        Check.Rank(op, x, 5, "(N, C, D, H, W) input");
        if (x.Numel == 0)
        {
            throw new ArgumentException($"{op}: input {x.Shape} is empty");
        }
        if (!(eps > 0) || !float.IsFinite(eps))
        {
            throw new ArgumentException($"{op}: eps must be a positive finite number, got {eps}");
        }
        var be = x.Backend;
        int n = x.Shape[0], c = x.Shape[1];
        int s = checked((int)x.Shape.SizeFrom(2));
        int f = checked(c * s);
        using var averaging = Tensor.Empty(new Shape(n), be);
        be.Fill(averaging, 1f / n);

        // centered (N, F) = x − mean over the batch, the mean (1, F) = (1/N, ..., 1/N) · x (N, F).
        using var mean = Tensor.Empty(new Shape(f), be);
        be.MatMul(averaging, false, x, false, mean, 1, f, n);
        using var rows = Tensor.Empty(new Shape(n, f), be);
        be.CopyRows(mean, 0, 0, rows, 0, f, n, f); // the mean repeated on every row
        var centered = Tensor.Empty(new Shape(n, f), be);
        be.Binary(BinaryOp.Sub, x, rows, centered); // x (N, C, D, H, W) read as (N, F)

        // σ_f = sqrt(var_f + eps) as (var_f + eps)·rsqrt(var_f + eps); the backward keeps 1/σ_f.
        be.Unary(UnaryOp.Square, centered, rows, 0f);
        using var variance = Tensor.Empty(new Shape(f), be);
        be.MatMul(averaging, false, rows, false, variance, 1, f, n);
        be.Unary(UnaryOp.AddScalar, variance, variance, eps);
        var invStd = Tensor.Empty(new Shape(f), be);
        be.Unary(UnaryOp.Rsqrt, variance, invStd, 0f);
        using var std = Tensor.Empty(new Shape(f), be);
        be.Binary(BinaryOp.Mul, variance, invStd, std);
        using var meanStd = Tensor.Empty(new Shape(), be);
        be.Sum(std, meanStd, 1f / f);

        var y = Tensor.Empty(new Shape(n, c + 1, x.Shape[2], x.Shape[3], x.Shape[4]), be);
        be.CopyRows(x, 0, f, y, 0, f + s, n, f);
        using var extra = Tensor.Empty(new Shape(n, s), be);
        be.BroadcastScalar(meanStd, extra, 1f);
        be.CopyRows(extra, 0, s, y, f, f + s, n, s);
        return Autograd.Record(y, new MinibatchStdDevFunction(centered, invStd, n, f, s), x);
    }

    private sealed class MinibatchStdDevFunction(Tensor centered, Tensor invStd, int n, int f, int s) : Function
    {
        public override string Name => "MinibatchStdDev";

        protected internal override bool BackwardReadsOutput => false;

        protected internal override void Backward(Tensor gradOutput)
        {
            var x = Inputs[0];
            var be = x.Backend;
            // dx[n, f] = dy[n, f] + g · (x[n, f] − μ_f) / σ_f with g = Σ dy over the extra channel / (N·F):
            // d s / d x[n, f] = (x[n, f] − μ_f) / (N·F·σ_f) (the mean's own term sums to zero over n).
            var dx = x.EmptyLike();
            be.CopyRows(gradOutput, 0, f + s, dx, 0, f, n, f);
            using var dExtra = Tensor.Empty(new Shape(n, s), be);
            be.CopyRows(gradOutput, f, f + s, dExtra, 0, s, n, s);
            using var g = Tensor.Empty(new Shape(), be);
            be.Sum(dExtra, g, 1f / ((float)n * f));
            using var path = Tensor.Empty(new Shape(n, f), be);
            be.CopyRows(invStd, 0, 0, path, 0, f, n, f);
            be.Binary(BinaryOp.Mul, centered, path, path);
            using var scale = Tensor.Empty(new Shape(n, f), be);
            be.BroadcastScalar(g, scale, 1f);
            be.Binary(BinaryOp.Mul, path, scale, path);
            be.Axpy(1f, path, dx);
            Accumulate(0, dx);
        }
    }
}
