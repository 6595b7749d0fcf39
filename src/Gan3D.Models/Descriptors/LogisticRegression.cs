using System.Numerics.Tensors;

namespace Gan3D.Models;

/// <summary>
/// Multinomial logistic regression with L2 regularisation on standardised features, fitted by L-BFGS:
/// minimises (1/n) Σ_i [log Σ_c e^(w_c·x_i + b_c) − (w_y·x_i + b_y)] + (λ/2)·‖W‖² (biases not penalised).
/// Features are standardised with the training set's mean and standard deviation.
/// </summary>
public sealed class LogisticRegression
{
    private readonly float[] _mean;
    private readonly float[] _invStd;
    private readonly float[] _w; // (C, F) then C biases

    private LogisticRegression(int features, int classes, float[] mean, float[] invStd, float[] w)
    {
        Features = features;
        Classes = classes;
        _mean = mean;
        _invStd = invStd;
        _w = w;
    }

    public int Features { get; }

    public int Classes { get; }

    /// <summary>Iterations the fit took (for diagnostics).</summary>
    public int Iterations { get; private init; }

    /// <summary>Fits on rows <paramref name="x"/> (n × f, row-major) with labels in [0, classes).</summary>
    public static LogisticRegression Fit(ReadOnlySpan<float> x, int f, ReadOnlySpan<int> y, int classes, double lambda,
        int maxIterations = 300, int threads = 2)
    {
        int n = y.Length;
        if (n == 0 || x.Length != (long)n * f)
        {
            throw new ArgumentException($"{x.Length} feature values do not make {n} rows of {f}");
        }
        if (classes < 2)
        {
            throw new ArgumentException("a classifier needs at least two classes");
        }
        var (mean, invStd) = Standardisation(x, n, f);
        var xs = new float[x.Length];
        for (int i = 0; i < n; i++)
        {
            Standardise(x.Slice(i * f, f), mean, invStd, xs.AsSpan(i * f, f));
        }
        var labels = y.ToArray();
        var problem = new Objective(xs, n, f, labels, classes, lambda, threads);
        var w = new float[classes * f + classes];
        int iterations = Lbfgs.Minimise(problem.Evaluate, w, maxIterations);
        return new LogisticRegression(f, classes, mean, invStd, w) { Iterations = iterations };
    }

    /// <summary>The most probable class of each row.</summary>
    public int[] Predict(ReadOnlySpan<float> x)
    {
        int f = Features, n = x.Length / f;
        var result = new int[n];
        var row = new float[f];
        for (int i = 0; i < n; i++)
        {
            Standardise(x.Slice(i * f, f), _mean, _invStd, row);
            int best = 0;
            float bestScore = float.NegativeInfinity;
            for (int c = 0; c < Classes; c++)
            {
                float s = TensorPrimitives.Dot(row, _w.AsSpan(c * f, f)) + _w[Classes * f + c];
                if (s > bestScore)
                {
                    bestScore = s;
                    best = c;
                }
            }
            result[i] = best;
        }
        return result;
    }

    private static (float[] Mean, float[] InvStd) Standardisation(ReadOnlySpan<float> x, int n, int f)
    {
        var sum = new double[f];
        var sq = new double[f];
        for (int i = 0; i < n; i++)
        {
            var row = x.Slice(i * f, f);
            for (int j = 0; j < f; j++)
            {
                sum[j] += row[j];
                sq[j] += (double)row[j] * row[j];
            }
        }
        var mean = new float[f];
        var inv = new float[f];
        for (int j = 0; j < f; j++)
        {
            double m = sum[j] / n;
            double v = Math.Max(sq[j] / n - m * m, 0);
            mean[j] = (float)m;
            // A constant feature carries no information: leave it at zero instead of dividing by zero.
            inv[j] = v > 1e-12 ? (float)(1 / Math.Sqrt(v)) : 0f;
        }
        return (mean, inv);
    }

    private static void Standardise(ReadOnlySpan<float> row, float[] mean, float[] inv, Span<float> dst)
    {
        TensorPrimitives.Subtract(row, mean, dst);
        TensorPrimitives.Multiply(dst, inv, dst);
    }

    /// <summary>The loss and its gradient over all rows, parallel over row blocks combined in order.</summary>
    private sealed class Objective(float[] x, int n, int f, int[] y, int classes, double lambda, int threads)
    {
        public double Evaluate(float[] w, float[] grad)
        {
            int blocks = Math.Max(1, Math.Min(threads * 4, n / 16));
            var losses = new double[blocks];
            var grads = new float[blocks][];
            Parallel.For(0, blocks, new ParallelOptions { MaxDegreeOfParallelism = threads }, b =>
            {
                var g = new float[w.Length];
                var scores = new double[classes];
                double loss = 0;
                int i0 = b * n / blocks, i1 = (b + 1) * n / blocks;
                for (int i = i0; i < i1; i++)
                {
                    var row = new ReadOnlySpan<float>(x, i * f, f);
                    double max = double.NegativeInfinity;
                    for (int c = 0; c < classes; c++)
                    {
                        scores[c] = TensorPrimitives.Dot(row, new ReadOnlySpan<float>(w, c * f, f)) + w[classes * f + c];
                        max = Math.Max(max, scores[c]);
                    }
                    double z = 0;
                    for (int c = 0; c < classes; c++)
                    {
                        z += Math.Exp(scores[c] - max);
                    }
                    loss += max + Math.Log(z) - scores[y[i]];
                    for (int c = 0; c < classes; c++)
                    {
                        float d = (float)(Math.Exp(scores[c] - max) / z - (c == y[i] ? 1 : 0));
                        var gc = new Span<float>(g, c * f, f);
                        TensorPrimitives.MultiplyAdd(row, d, gc, gc);
                        g[classes * f + c] += d;
                    }
                }
                losses[b] = loss;
                grads[b] = g;
            });
            double total = 0;
            Array.Clear(grad);
            for (int b = 0; b < blocks; b++)
            {
                total += losses[b];
                TensorPrimitives.Add(grad, grads[b], grad);
            }
            float scale = 1f / n;
            TensorPrimitives.Multiply(grad, scale, grad);
            var weights = new ReadOnlySpan<float>(w, 0, classes * f);
            var gw = new Span<float>(grad, 0, classes * f);
            TensorPrimitives.MultiplyAdd(weights, (float)lambda, gw, gw);
            return total / n + 0.5 * lambda * TensorPrimitives.Dot(weights, weights);
        }
    }
}

/// <summary>Limited-memory BFGS with a backtracking (Armijo) line search.</summary>
internal static class Lbfgs
{
    public static int Minimise(Func<float[], float[], double> f, float[] x, int maxIterations, int memory = 10, double tolerance = 1e-6)
    {
        int n = x.Length;
        var g = new float[n];
        double fx = f(x, g);
        var s = new List<float[]>();
        var yv = new List<float[]>();
        var rho = new List<double>();
        var d = new float[n];
        var xNew = new float[n];
        var gNew = new float[n];
        var alpha = new double[memory];
        int it = 0;
        for (; it < maxIterations; it++)
        {
            double gnorm = Math.Sqrt(TensorPrimitives.Dot(g, g));
            if (gnorm < tolerance)
            {
                break;
            }
            // Two-loop recursion: d = −H·g.
            g.CopyTo(d, 0);
            for (int i = s.Count - 1; i >= 0; i--)
            {
                alpha[i] = rho[i] * TensorPrimitives.Dot(s[i], d);
                TensorPrimitives.MultiplyAdd(yv[i], (float)-alpha[i], d, d);
            }
            if (s.Count > 0)
            {
                int last = s.Count - 1;
                double gamma = TensorPrimitives.Dot(s[last], yv[last]) / TensorPrimitives.Dot(yv[last], yv[last]);
                TensorPrimitives.Multiply(d, (float)gamma, d);
            }
            else
            {
                TensorPrimitives.Multiply(d, (float)(1 / Math.Max(gnorm, 1e-12)), d);
            }
            for (int i = 0; i < s.Count; i++)
            {
                double beta = rho[i] * TensorPrimitives.Dot(yv[i], d);
                TensorPrimitives.MultiplyAdd(s[i], (float)(alpha[i] - beta), d, d);
            }
            TensorPrimitives.Negate(d, d);
            double slope = TensorPrimitives.Dot(g, d);
            if (slope >= 0)
            {
                // Not a descent direction (numerical trouble): restart from steepest descent.
                s.Clear();
                yv.Clear();
                rho.Clear();
                TensorPrimitives.Negate(g, d);
                TensorPrimitives.Multiply(d, (float)(1 / Math.Max(gnorm, 1e-12)), d);
                slope = TensorPrimitives.Dot(g, d);
            }
            double step = 1;
            double fNew;
            int tries = 0;
            while (true)
            {
                TensorPrimitives.MultiplyAdd(d, (float)step, x, xNew);
                fNew = f(xNew, gNew);
                if (fNew <= fx + 1e-4 * step * slope || ++tries > 30)
                {
                    break;
                }
                step *= 0.5;
            }
            var sk = new float[n];
            var yk = new float[n];
            TensorPrimitives.Subtract(xNew, x, sk);
            TensorPrimitives.Subtract(gNew, g, yk);
            double sy = TensorPrimitives.Dot(sk, yk);
            if (sy > 1e-10)
            {
                if (s.Count == memory)
                {
                    s.RemoveAt(0);
                    yv.RemoveAt(0);
                    rho.RemoveAt(0);
                }
                s.Add(sk);
                yv.Add(yk);
                rho.Add(1 / sy);
            }
            double change = fx - fNew;
            xNew.CopyTo(x, 0);
            gNew.CopyTo(g, 0);
            fx = fNew;
            if (Math.Abs(change) < 1e-9 * Math.Max(1, Math.Abs(fx)))
            {
                it++;
                break;
            }
        }
        return it;
    }
}
