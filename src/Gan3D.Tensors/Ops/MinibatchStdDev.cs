using Gan3D.Kernels;

namespace Gan3D.Tensors;

public static partial class Ops
{
    /// <summary>
    /// The minibatch standard deviation layer of Karras et al. 2018 (ProGAN): x (N, C, D, H, W) → (N, C + 1, D, H, W),
    /// the extra channel holding, at every position of shape i, s = mean over the features f = (c, d, h, w) of
    /// sqrt(Var x[j, f] + eps), the variance over the shapes j of i's group with divisor the group's size. Groups are
    /// consecutive runs of <paramref name="group"/> shapes (0, or N and more: the whole batch is one group); N must be a
    /// multiple of the group's size. It lets a discriminator see how varied a batch is, which a generator that makes one
    /// shape cannot fake; smaller groups give each shape a statistic of its own few neighbours (StyleGAN uses 4). Built
    /// from the backend's matrix product, copies and elementwise ops, with the group averaging an (N, N) matrix
    /// (<see cref="GroupAveraging"/>): it runs once a forward on D's smallest activation.
    /// </summary>
    public static Tensor MinibatchStdDev(Tensor x, float eps = 1e-8f, int group = 0)
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
        var averaging = GroupAveraging(n, group, be, op);

        // centered (N, F) = x − its group's mean, the means (N, F) = A (N, N) · x (N, F).
        using var rows = Tensor.Empty(new Shape(n, f), be);
        be.MatMul(averaging, false, x, false, rows, n, f, n);
        var centered = Tensor.Empty(new Shape(n, f), be);
        be.Binary(BinaryOp.Sub, x, rows, centered); // x (N, C, D, H, W) read as (N, F)

        // σ[i, f] = sqrt(var + eps) of i's group as (var + eps)·rsqrt(var + eps); the backward keeps 1/σ.
        be.Unary(UnaryOp.Square, centered, rows, 0f);
        using var variance = Tensor.Empty(new Shape(n, f), be);
        be.MatMul(averaging, false, rows, false, variance, n, f, n);
        be.Unary(UnaryOp.AddScalar, variance, variance, eps);
        var invStd = Tensor.Empty(new Shape(n, f), be);
        be.Unary(UnaryOp.Rsqrt, variance, invStd, 0f);
        be.Binary(BinaryOp.Mul, variance, invStd, rows); // rows = σ
        using var perFeature = Tensor.Empty(new Shape(f, 1), be);
        be.Fill(perFeature, 1f / f);
        using var stat = Tensor.Empty(new Shape(n, 1), be);
        be.MatMul(rows, false, perFeature, false, stat, n, 1, f);

        var y = Tensor.Empty(new Shape(n, c + 1, x.Shape[2], x.Shape[3], x.Shape[4]), be);
        be.CopyRows(x, 0, f, y, 0, f + s, n, f);
        using var positions = Tensor.Ones(new Shape(1, s), be);
        using var extra = Tensor.Empty(new Shape(n, s), be);
        be.MatMul(stat, false, positions, false, extra, n, s, 1);
        be.CopyRows(extra, 0, s, y, f, f + s, n, s);
        return Autograd.Record(y, new MinibatchStdDevFunction(averaging, centered, invStd, n, f, s), x);
    }

    /// <summary>
    /// The (N, N) matrix A with A[i, j] = 1/m when shapes i and j are in the same group of m consecutive shapes, else 0:
    /// A · x gives every row its group's mean (<see cref="MinibatchStdDev"/>'s groups).
    /// </summary>
    public static Tensor GroupAveraging(int n, int group, IBackend backend, string op = "MinibatchStdDev")
    {
        if (group < 0)
        {
            throw new ArgumentException($"{op}: the group size must be 0 (the whole batch) or positive, got {group}");
        }
        int m = group == 0 || group >= n ? n : group;
        if (n % m != 0)
        {
            throw new ArgumentException($"{op}: a batch of {n} does not split into groups of {m}; use a batch size that is a multiple of the group size");
        }
        if (m == n)
        {
            // One group, every entry 1/N: filled on the device, with no copy from the host (a GPU stream would wait for it).
            var all = Tensor.Empty(new Shape(n, n), backend);
            backend.Fill(all, 1f / m);
            return all;
        }
        var a = new float[n * n];
        for (int i = 0; i < n; i++)
        {
            for (int j = i / m * m; j < (i / m + 1) * m; j++)
            {
                a[i * n + j] = 1f / m;
            }
        }
        return Tensor.FromArray(a, new Shape(n, n), backend);
    }

    private sealed class MinibatchStdDevFunction(Tensor averaging, Tensor centered, Tensor invStd, int n, int f, int s) : Function
    {
        public override string Name => "MinibatchStdDev";

        protected internal override bool BackwardReadsOutput => false;

        protected internal override void Backward(Tensor gradOutput)
        {
            var x = Inputs[0];
            var be = x.Backend;
            // dx[i, f] = dy[i, f] + G_k · (x[i, f] − μ[k, f]) / (m·F·σ[k, f]) for i in group k of m shapes, G_k the sum of
            // dy over the extra channel of the group's shapes (the mean's own term sums to zero over the group). With A
            // the group averaging, G_k / m is row i of A · (dy's extra channel summed per shape).
            var dx = x.EmptyLike();
            be.CopyRows(gradOutput, 0, f + s, dx, 0, f, n, f);
            using var dExtra = Tensor.Empty(new Shape(n, s), be);
            be.CopyRows(gradOutput, f, f + s, dExtra, 0, s, n, s);
            using var positions = Tensor.Ones(new Shape(s, 1), be);
            using var perShape = Tensor.Empty(new Shape(n, 1), be);
            be.MatMul(dExtra, false, positions, false, perShape, n, 1, s);
            using var perGroup = Tensor.Empty(new Shape(n, 1), be);
            be.MatMul(averaging, false, perShape, false, perGroup, n, 1, n);
            using var perFeature = Tensor.Empty(new Shape(1, f), be);
            be.Fill(perFeature, 1f / f);
            using var scale = Tensor.Empty(new Shape(n, f), be);
            be.MatMul(perGroup, false, perFeature, false, scale, n, f, 1);
            be.Binary(BinaryOp.Mul, scale, invStd, scale);
            be.Binary(BinaryOp.Mul, scale, centered, scale);
            be.Axpy(1f, scale, dx);
            Accumulate(0, dx);
        }
    }
}
