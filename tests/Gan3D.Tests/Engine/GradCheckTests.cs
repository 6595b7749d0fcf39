using Gan3D.Kernels;
using Gan3D.Tensors;
using static Gan3D.Tests.Engine.TestSupport;

namespace Gan3D.Tests.Engine;

/// <summary>Finite-difference checks of every differentiable op's backward pass on the CPU backend.</summary>
public sealed class GradCheckTests
{
    private static readonly IBackend Be = new CpuBackend(threads: 2);

    private static readonly Random Rng = new(2024);

    private static double[] R(int n) => Rounded(RandomArray(new Random(n * 31 + 7), n));

    [Fact]
    public void Conv3d() => GradCheck.Check("conv3d", Be,
        t => Ops.Conv3d(t[0], t[1], t[2], (2, 1, 1), (1, 0, 1)),
        [R(2 * 2 * 3 * 4 * 3), R(3 * 2 * 2 * 3 * 2), R(3)], [[2, 2, 3, 4, 3], [3, 2, 2, 3, 2], [3]]);

    [Fact]
    public void ConvTranspose3d() => GradCheck.Check("conv_transpose3d", Be,
        t => Ops.ConvTranspose3d(t[0], t[1], t[2], (2, 2, 1), (1, 0, 1), (1, 0, 0)),
        [R(2 * 2 * 2 * 3 * 2), R(2 * 3 * 3 * 2 * 3), R(3)], [[2, 2, 2, 3, 2], [2, 3, 3, 2, 3], [3]]);

    [Fact]
    public void BatchNormTraining()
    {
        var rm = Tensor.Zeros(new Shape(3), Be);
        var rv = Tensor.Ones(new Shape(3), Be);
        GradCheck.Check("batch norm", Be,
            t => Ops.BatchNorm(t[0], t[1], t[2], rm, rv, training: true),
            [R(2 * 3 * 2 * 2 * 2), RandomArray(Rng, 3, 0.5, 1.5), R(3)], [[2, 3, 2, 2, 2], [3], [3]], eps: 1e-2, tol: 3e-2);
    }

    [Fact]
    public void BatchNormEval()
    {
        var rm = Make(Be, R(3), 3);
        var rv = Make(Be, RandomArray(Rng, 3, 0.5, 2), 3);
        GradCheck.Check("batch norm eval", Be,
            t => Ops.BatchNorm(t[0], t[1], t[2], rm, rv, training: false),
            [R(2 * 3 * 4), RandomArray(Rng, 3, 0.5, 1.5), R(3)], [[2, 3, 4], [3], [3]]);
    }

    [Fact]
    public void LinearAndMatMul()
    {
        GradCheck.Check("linear", Be, t => Ops.Linear(t[0], t[1], t[2]), [R(4 * 5), R(3 * 5), R(3)], [[4, 5], [3, 5], [3]]);
        GradCheck.Check("matmul", Be, t => Ops.MatMul(t[0], t[1]), [R(3 * 4), R(4 * 2)], [[3, 4], [4, 2]]);
    }

    [Theory]
    [InlineData(UnaryOp.Relu)]
    [InlineData(UnaryOp.LeakyRelu)]
    [InlineData(UnaryOp.Sigmoid)]
    [InlineData(UnaryOp.Tanh)]
    [InlineData(UnaryOp.Exp)]
    [InlineData(UnaryOp.Scale)]
    [InlineData(UnaryOp.AddScalar)]
    [InlineData(UnaryOp.Square)]
    [InlineData(UnaryOp.Rsqrt)]
    public void Unary(UnaryOp op)
    {
        // Inputs stay 0.05 away from ReLU's kink, and positive for rsqrt.
        var x = op == UnaryOp.Rsqrt ? RandomArray(new Random(3), 37, 0.5, 3) : Rounded(AwayFromZero(new Random(3), 37, 0.05));
        GradCheck.Check(op.ToString(), Be, t => Ops.Unary(op, t[0], 0.2f), [x], [[37]], eps: 1e-2);
    }

    [Fact]
    public void BinaryReshapeConcat()
    {
        GradCheck.Check("add", Be, t => Ops.Add(t[0], t[1]), [R(6), R(6)], [[2, 3], [2, 3]]);
        GradCheck.Check("sub", Be, t => Ops.Sub(t[0], t[1]), [R(6), R(6)], [[2, 3], [2, 3]]);
        GradCheck.Check("mul", Be, t => Ops.Mul(t[0], t[1]), [R(6), R(6)], [[2, 3], [2, 3]]);
        GradCheck.Check("reshape", Be, t => Ops.Mul(Ops.Reshape(t[0], 3, 2), t[1]), [R(6), R(6)], [[2, 3], [3, 2]]);
        GradCheck.Check("flatten", Be, t => Ops.Flatten(Ops.Square(t[0])), [R(12)], [[2, 3, 2]]);
        GradCheck.Check("concat", Be, t => Ops.Square(Ops.Concat([t[0], t[1]], 1)), [R(6), R(4)], [[2, 3], [2, 2]]);
    }

    [Fact]
    public void MaxPool3d()
    {
        // Distinct values spaced well beyond eps so perturbations never change the winner.
        var x = Enumerable.Range(0, 2 * 1 * 4 * 4 * 4).Select(i => (double)((i * 37) % 128) / 8.0).ToArray();
        GradCheck.Check("max pool", Be, t => Ops.MaxPool3d(t[0], 2), [x], [[2, 1, 4, 4, 4]], eps: 1e-2);
    }

    [Fact]
    public void Reductions()
    {
        GradCheck.Check("sum", Be, t => Ops.Sum(Ops.Square(t[0])), [R(10)], [[10]]);
        GradCheck.Check("mean", Be, t => Ops.Mean(Ops.Square(t[0])), [R(10)], [[2, 5]]);
    }

    [Fact]
    public void Losses()
    {
        GradCheck.Check("bce", Be, t => Ops.BceWithLogits(t[0], t[1]), [RandomArray(Rng, 12, -4, 4), RandomArray(Rng, 12, 0, 1)],
            [[12], [12]], differentiable: [true, false]);
        GradCheck.Check("bce pos weight", Be, t => Ops.BceWithLogits(t[0], t[1], 2.5f), [RandomArray(Rng, 12, -4, 4), RandomArray(Rng, 12, 0, 1)],
            [[12], [12]], differentiable: [true, false]);
        GradCheck.Check("bce const", Be, t => Ops.BceWithLogits(t[0], 1f), [RandomArray(Rng, 12, -4, 4)], [[3, 4]]);
        GradCheck.Check("kl", Be, t => Ops.KlDivergenceStandardNormal(t[0], t[1]), [R(8), RandomArray(Rng, 8, -2, 1)], [[2, 4], [2, 4]]);
        GradCheck.Check("mse", Be, t => Ops.MseLoss(t[0], t[1], Reduction.Sum), [R(8), R(8)], [[2, 4], [2, 4]]);
    }
}
