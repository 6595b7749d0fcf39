using Gan3D.Tensors;

namespace Gan3D.Tests.Engine;

/// <summary>Random test data, conversions and the llm.c-style tolerance check that prints the max difference.</summary>
public static class TestSupport
{
    public static double[] RandomArray(Random rng, long n, double low = -1, double high = 1)
    {
        var a = new double[n];
        for (long i = 0; i < n; i++)
        {
            a[i] = low + (high - low) * rng.NextDouble();
        }
        return a;
    }

    /// <summary>Values at least <paramref name="gap"/> away from zero (for ops with a kink at 0).</summary>
    public static double[] AwayFromZero(Random rng, long n, double gap = 0.05)
    {
        var a = RandomArray(rng, n);
        for (long i = 0; i < n; i++)
        {
            a[i] = Math.Sign(a[i] == 0 ? 1 : a[i]) * (gap + Math.Abs(a[i]));
        }
        return a;
    }

    public static float[] ToFloat(double[] a) => Array.ConvertAll(a, v => (float)v);

    public static double[] ToDouble(float[] a) => Array.ConvertAll(a, v => (double)v);

    /// <summary>The float32 rounding of the data, back in double: the exact input a float32 op sees.</summary>
    public static double[] Rounded(double[] a) => Array.ConvertAll(a, v => (double)(float)v);

    public static Tensor Make(IBackend be, double[] data, params int[] shape) =>
        Tensor.FromArray(ToFloat(data), new Shape(shape), be);

    public static Tensor Param(IBackend be, double[] data, params int[] shape)
    {
        var t = Make(be, data, shape);
        t.RequiresGrad = true;
        return t;
    }

    /// <summary>
    /// Central differences (f(w + ε) − f(w − ε)) / 2ε of <paramref name="f"/> in every <paramref name="stride"/>-th element
    /// of <paramref name="parameter"/> (restored afterwards), beside the <paramref name="analytic"/> gradient's same elements.
    /// </summary>
    public static (double[] Numeric, float[] Analytic) CentralDifferences(Tensor parameter, float[] analytic, Func<double> f, int stride, float eps)
    {
        var w = parameter.ToArray();
        var numeric = new List<double>();
        var chosen = new List<float>();
        for (int i = 0; i < w.Length; i += stride)
        {
            float saved = w[i];
            w[i] = saved + eps;
            parameter.CopyFrom(w);
            double plus = f();
            w[i] = saved - eps;
            parameter.CopyFrom(w);
            double minus = f();
            w[i] = saved;
            parameter.CopyFrom(w);
            numeric.Add((plus - minus) / (2 * eps));
            chosen.Add(analytic[i]);
        }
        return (numeric.ToArray(), chosen.ToArray());
    }

    /// <summary>
    /// Asserts |actual − expected| ≤ atol + rtol·|expected| everywhere and writes the max difference to
    /// the test output, naming the first mismatches when it fails.
    /// </summary>
    public static void AssertClose(string what, double[] expected, float[] actual, double atol = 1e-4, double rtol = 1e-4)
    {
        Assert.True(expected.Length == actual.Length, $"{what}: expected {expected.Length} values, got {actual.Length}");
        double maxDiff = 0;
        var bad = new List<string>();
        for (int i = 0; i < expected.Length; i++)
        {
            double diff = double.IsNaN(actual[i]) ? double.PositiveInfinity : Math.Abs(actual[i] - expected[i]);
            maxDiff = Math.Max(maxDiff, diff);
            if (diff > atol + rtol * Math.Abs(expected[i]) && bad.Count < 5)
            {
                bad.Add($"[{i}] ref {expected[i]:G9} got {actual[i]:G9}");
            }
        }
        TestContext.Current.TestOutputHelper?.WriteLine($"{what}: max |diff| = {maxDiff:E3} over {expected.Length} values");
        Assert.True(bad.Count == 0, $"{what}: max |diff| = {maxDiff:E3}; first mismatches: {string.Join("; ", bad)}");
    }

    public static void AssertClose(string what, double expected, float actual, double atol = 1e-4, double rtol = 1e-4) =>
        AssertClose(what, [expected], [actual], atol, rtol);
}
