using System.Runtime.Intrinsics;
using Gan3D.Kernels;
using Gan3D.Tensors;
using static Gan3D.Tests.Engine.TestSupport;

namespace Gan3D.Tests.Engine;

/// <summary>
/// The CPU's vectorised unary loops (version 2) against the scalar formulas (version 1) and float64,
/// at every length from 0 to 70 so every vector width and every tail runs; and the vector exp's error bound.
/// </summary>
public sealed class UnaryLoopTests
{
    private static Func<double, double> Reference(UnaryOp op, double alpha) => op switch
    {
        UnaryOp.Relu => v => Math.Max(v, 0),
        UnaryOp.LeakyRelu => v => v > 0 ? v : alpha * v,
        UnaryOp.Sigmoid => v => 1 / (1 + Math.Exp(-v)),
        UnaryOp.Tanh => Math.Tanh,
        UnaryOp.Exp => Math.Exp,
        UnaryOp.Scale => v => alpha * v,
        UnaryOp.AddScalar => v => v + alpha,
        UnaryOp.Square => v => v * v,
        _ => v => 1 / Math.Sqrt(v),
    };

    /// <summary>f′ at x, in float64.</summary>
    private static Func<double, double> Derivative(UnaryOp op, double alpha) => op switch
    {
        UnaryOp.Relu => v => v > 0 ? 1 : 0,
        UnaryOp.LeakyRelu => v => v > 0 ? 1 : alpha,
        UnaryOp.Sigmoid => v => Math.Exp(-v) / ((1 + Math.Exp(-v)) * (1 + Math.Exp(-v))),
        UnaryOp.Tanh => v => 1 - Math.Tanh(v) * Math.Tanh(v),
        UnaryOp.Exp => Math.Exp,
        UnaryOp.Scale => _ => alpha,
        UnaryOp.AddScalar => _ => 1,
        UnaryOp.Square => v => 2 * v,
        _ => v => -0.5 * Math.Pow(v, -1.5),
    };

    [Theory]
    [InlineData(UnaryOp.Relu, 0f)]
    [InlineData(UnaryOp.LeakyRelu, 0.2f)]
    [InlineData(UnaryOp.Sigmoid, 0f)]
    [InlineData(UnaryOp.Tanh, 0f)]
    [InlineData(UnaryOp.Exp, 0f)]
    [InlineData(UnaryOp.Scale, -1.75f)]
    [InlineData(UnaryOp.AddScalar, 0.625f)]
    [InlineData(UnaryOp.Square, 0f)]
    [InlineData(UnaryOp.Rsqrt, 0f)]
    public void EveryLengthMatchesVersionOneAndFloat64(UnaryOp op, float alpha)
    {
        var rng = new Random((int)op + 11);
        var f = Reference(op, alpha);
        var df = Derivative(op, alpha);
        for (int n = 0; n <= 70; n++)
        {
            var x = op == UnaryOp.Rsqrt ? ToFloat(RandomArray(rng, n, 0.1, 4)) : ToFloat(AwayFromZero(rng, n, 0.01)).Select(v => v * 6).ToArray();
            var dy = ToFloat(RandomArray(rng, n));
            var y1 = new float[n];
            var y2 = new float[n];
            UnaryLoops.Forward1(op, x, y1, alpha);
            UnaryLoops.Forward(op, x, y2, alpha);
            var expected = x.Select(v => f(v)).ToArray();
            AssertClose($"{op} forward, length {n}, version 2 against float64", expected, y2, 1e-6, 1e-6);
            AssertClose($"{op} forward, length {n}, version 2 against version 1", ToDouble(y1), y2, 1e-6, 1e-6);

            // Backward from the saved tensor the op names (x for Square, y otherwise).
            var saved = op == UnaryOp.Square ? x : y2;
            var dx1 = new float[n];
            var dx2 = new float[n];
            UnaryLoops.Backward1(op, saved, dy, dx1, alpha);
            UnaryLoops.Backward(op, saved, dy, dx2, alpha);
            var expectedDx = x.Select((v, i) => dy[i] * df(v)).ToArray();
            AssertClose($"{op} backward, length {n}, version 2 against float64", expectedDx, dx2, 1e-5, 1e-5);
            AssertClose($"{op} backward, length {n}, version 2 against version 1", ToDouble(dx1), dx2, 1e-6, 1e-6);

            // In place: y and x the same array.
            var inPlace = (float[])x.Clone();
            UnaryLoops.Forward(op, inPlace, inPlace, alpha);
            Assert.Equal(y2, inPlace);
        }
    }

    [Fact]
    public void AxpyAtEveryLengthMatchesFloat64()
    {
        var rng = new Random(4);
        for (int n = 0; n <= 70; n++)
        {
            var x = ToFloat(RandomArray(rng, n));
            var y = ToFloat(RandomArray(rng, n));
            var expected = y.Select((v, i) => v + -1.5 * x[i]).ToArray();
            UnaryLoops.Axpy(-1.5f, x, y);
            AssertClose($"axpy, length {n}", expected, y, 1e-6, 1e-6);
        }
    }

    [Fact]
    public void RowSumsAtEveryLengthMatchFloat64()
    {
        var rng = new Random(6);
        foreach (int n in Enumerable.Range(0, 40).Concat([1023, 1024, 1031, 3000]))
        {
            var x = ToFloat(RandomArray(rng, n, 2, 3));
            double sum = x.Sum(v => (double)v);
            double squares = x.Sum(v => (v - 2.5) * (v - 2.5));
            var (s1, s2) = ReductionLoops.ShiftedSums(x, 2.5f);
            AssertClose($"sum, length {n}", [sum], [(float)ReductionLoops.Sum(x)], 1e-6, 1e-6);
            AssertClose($"shifted sums, length {n}", [sum - 2.5 * n, squares], [(float)s1, (float)s2], 1e-4, 1e-6);
        }
    }

    [Fact]
    public void VectorExpIsWithinTwoPointFiveUlpOfFloat64()
    {
        // The bound VectorExp states: relative error below 3e-7 on every input whose e^x is a normal float.
        double worst256 = 0, worst512 = 0;
        var lanes = new float[16];
        for (double start = -87.33; start < 88.72; start += 16 * 7.3e-4)
        {
            for (int k = 0; k < 16; k++)
            {
                lanes[k] = (float)Math.Min(start + k * 7.3e-4, 88.72);
            }
            var e256 = VectorExp.Exp(Vector256.Create<float>(lanes));
            var e512 = VectorExp.Exp(Vector512.Create<float>(lanes));
            for (int k = 0; k < 16; k++)
            {
                double exact = Math.Exp(lanes[k]);
                if (k < 8)
                {
                    worst256 = Math.Max(worst256, Math.Abs(e256[k] - exact) / exact);
                }
                worst512 = Math.Max(worst512, Math.Abs(e512[k] - exact) / exact);
            }
        }
        TestContext.Current.TestOutputHelper?.WriteLine($"max relative error: Vector256 {worst256:E3}, Vector512 {worst512:E3}");
        Assert.True(worst256 < 3e-7, $"Vector256 exp: max relative error {worst256:E3}");
        Assert.True(worst512 < 3e-7, $"Vector512 exp: max relative error {worst512:E3}");
    }

    [Theory]
    [InlineData(float.NaN, float.NaN)]
    [InlineData(float.PositiveInfinity, float.PositiveInfinity)]
    [InlineData(float.NegativeInfinity, 0f)]
    [InlineData(88.75f, float.PositiveInfinity)] // e^x above float's largest value
    [InlineData(-87.5f, 0f)]                     // e^x below float's smallest normal
    [InlineData(0f, 1f)]
    public void VectorExpEdges(float x, float expected)
    {
        Assert.Equal(expected, VectorExp.Exp(Vector256.Create(x))[3]);
        Assert.Equal(expected, VectorExp.Exp(Vector512.Create(x))[11]);
    }

    [Theory]
    [InlineData(UnaryOp.Sigmoid)]
    [InlineData(UnaryOp.Tanh)]
    [InlineData(UnaryOp.Relu)]
    [InlineData(UnaryOp.LeakyRelu)]
    public void SaturatesAndPropagatesNaNAsTheScalarFormula(UnaryOp op)
    {
        float[] x = [-1000f, -90f, -88.8f, 88.8f, 90f, 1000f, float.NegativeInfinity, float.PositiveInfinity, float.NaN];
        var y1 = new float[x.Length];
        var y2 = new float[x.Length];
        UnaryLoops.Forward1(op, x, y1, 0.2f);
        UnaryLoops.Forward(op, x, y2, 0.2f);
        Assert.Equal(y1, y2);
        Assert.True(float.IsNaN(y2[^1]));
    }
}
