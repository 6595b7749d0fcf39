using Gan3D.Bench;
using Gan3D.Tensors;
using static Gan3D.Tests.Engine.TestSupport;

namespace Gan3D.Tests.Models;

/// <summary>
/// The l-GAN study's perceptron (bench/Gan3D.Bench/CodeMlp.cs): its input gradient, written forward, against the
/// tape's backward, and the derivative of a penalty on it in the weights against float64 finite differences of a
/// naive reference of the same network.
/// </summary>
public sealed class CodeMlpTests
{
    private static readonly int[] Sizes = [5, 7, 6, 1];

    private static (CodeMlp Mlp, Tensor X) Build(CpuBackend be)
    {
        var mlp = new CodeMlp(Sizes, be, new Rng(4));
        var rng = new Random(9);
        var x = Tensor.FromArray(Enumerable.Range(0, 3 * Sizes[0]).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray(), new Shape(3, Sizes[0]), be);
        return (mlp, x);
    }

    [Fact]
    public void TheInputGradientIsTheTapesBackwardOfTheLogits()
    {
        using var be = new CpuBackend(threads: 1);
        var (mlp, x) = Build(be);
        using var _ = mlp;
        x.RequiresGrad = true;
        var (logits, gradient) = mlp.ForwardWithInputGradient(x);
        AssertClose("logits", ToDouble(mlp.Forward(x).ToArray()), logits.ToArray(), 1e-6, 1e-6);
        Ops.Sum(logits).Backward();
        var expected = ToDouble(x.Grad!.ToArray());
        Assert.True(expected.Max(Math.Abs) > 0);
        AssertClose("∇ₓ Σ D(x)", expected, gradient.ToArray(), 1e-6, 1e-5);
    }

    [Fact]
    public void APenaltyOnTheInputGradientDifferentiatesToTheWeightsAsFiniteDifferencesSay()
    {
        using var be = new CpuBackend(threads: 1);
        var (mlp, x) = Build(be);
        using var _ = mlp;
        var parameters = mlp.NamedParameters().ToList();
        var weights = parameters.Select(p => ToDouble(p.Value.ToArray())).ToArray();
        var input = ToDouble(x.ToArray());
        // Σ‖∇ₓD‖² + Σ D: the penalty R1 and WGAN-GP are built from, with the logits' own term.
        var (logits, gradient) = mlp.ForwardWithInputGradient(x);
        Ops.Add(Ops.Sum(Ops.Square(gradient)), Ops.Sum(logits)).Backward();
        AssertClose("penalty", Penalty(weights, input), Ops.Add(Ops.Sum(Ops.Square(gradient)), Ops.Sum(logits)).Item(), 1e-5, 1e-5);
        for (int p = 0; p < parameters.Count; p++)
        {
            var expected = new double[weights[p].Length];
            for (int i = 0; i < expected.Length; i++)
            {
                const double h = 1e-6;
                double keep = weights[p][i];
                weights[p][i] = keep + h;
                double up = Penalty(weights, input);
                weights[p][i] = keep - h;
                double down = Penalty(weights, input);
                weights[p][i] = keep;
                expected[i] = (up - down) / (2 * h);
            }
            AssertClose($"d penalty / d {parameters[p].Name}", expected, parameters[p].Value.Grad!.ToArray(), 1e-4, 1e-4);
        }
        Assert.Throws<InvalidOperationException>(() => new CodeMlp([5, 4, 2], be, new Rng(1)).ForwardWithInputGradient(x));
    }

    /// <summary>Σ over the batch of ‖∇ₓD(x)‖² + D(x), in float64 for weights (W1, b1, W2, b2, ...), W (out, in).</summary>
    private static double Penalty(double[][] w, double[] x)
    {
        int n = x.Length / Sizes[0], layers = Sizes.Length - 1;
        double total = 0;
        for (int b = 0; b < n; b++)
        {
            var act = x.AsSpan(b * Sizes[0], Sizes[0]).ToArray();
            var slopes = new List<double[]>();
            for (int l = 0; l < layers; l++)
            {
                var y = new double[Sizes[l + 1]];
                for (int o = 0; o < y.Length; o++)
                {
                    double s = w[(2 * l) + 1][o];
                    for (int i = 0; i < act.Length; i++)
                    {
                        s += w[2 * l][(o * act.Length) + i] * act[i];
                    }
                    y[o] = s;
                }
                if (l + 1 < layers)
                {
                    slopes.Add(y.Select(v => v > 0 ? 1 : (double)CodeMlp.Slope).ToArray());
                    y = y.Select(v => v > 0 ? v : CodeMlp.Slope * v).ToArray();
                }
                act = y;
            }
            total += act[0];
            // Back from dD/dy = 1 through the layers: g ← (g ⊙ slope)·W.
            var g = new double[] { 1 };
            for (int l = layers - 1; l >= 0; l--)
            {
                if (l < layers - 1)
                {
                    g = g.Select((v, i) => v * slopes[l][i]).ToArray();
                }
                var next = new double[Sizes[l]];
                for (int i = 0; i < next.Length; i++)
                {
                    for (int o = 0; o < g.Length; o++)
                    {
                        next[i] += g[o] * w[2 * l][(o * next.Length) + i];
                    }
                }
                g = next;
            }
            total += g.Sum(v => v * v);
        }
        return total;
    }
}
