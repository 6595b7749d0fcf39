using Gan3D.Kernels;

namespace Gan3D.Testing;

/// <summary>
/// Naive float64 implementations written straight from the definitions: the oracle every backend
/// is checked against. Loops are plain and slow on purpose; shapes in the tests are tiny.
/// </summary>
public static class Reference
{
    /// <summary>y[n,co,o] = Σ_ci Σ_k w[co,ci,k] · x[n,ci,o·s − p + k].</summary>
    public static double[] Conv3d(double[] x, double[] w, double[]? bias, Conv3dGeometry g)
    {
        var y = new double[g.OutputSize];
        for (int i = 0; i < y.Length; i++)
        {
            y[i] = bias?[i / g.OutputVolume % g.Cout] ?? 0;
        }
        ForEachTap(g, (n, co, ci, od, oh, ow, kd, kh, kw, id, ih, iw) =>
            y[Y(g, n, co, od, oh, ow)] += w[W(g, co, ci, kd, kh, kw)] * x[X(g, n, ci, id, ih, iw)]);
        return y;
    }

    /// <summary>The adjoint of <see cref="Conv3d"/> (no bias): dx[n,ci,i] = Σ over (co, o, k) with o·s − p + k = i of w · dy.</summary>
    public static double[] Conv3dBackwardData(double[] dy, double[] w, Conv3dGeometry g)
    {
        var dx = new double[g.InputSize];
        ForEachTap(g, (n, co, ci, od, oh, ow, kd, kh, kw, id, ih, iw) =>
            dx[X(g, n, ci, id, ih, iw)] += w[W(g, co, ci, kd, kh, kw)] * dy[Y(g, n, co, od, oh, ow)]);
        return dx;
    }

    /// <summary>dw[co,ci,k] = Σ_n Σ_o dy[n,co,o] · x[n,ci,o·s − p + k].</summary>
    public static double[] Conv3dBackwardWeight(double[] x, double[] dy, Conv3dGeometry g)
    {
        var dw = new double[g.WeightSize];
        ForEachTap(g, (n, co, ci, od, oh, ow, kd, kh, kw, id, ih, iw) =>
            dw[W(g, co, ci, kd, kh, kw)] += dy[Y(g, n, co, od, oh, ow)] * x[X(g, n, ci, id, ih, iw)]);
        return dw;
    }

    /// <summary>
    /// conv_transpose3d written from its own definition (scatter every input value through the kernel),
    /// not through the adjoint, so the two formulations check each other.
    /// x (N, Cin, D, H, W), w (Cin, Cout, k...), output extent (d − 1)·s − 2p + k + op.
    /// </summary>
    public static double[] ConvTranspose3d(double[] x, int[] xs, double[] w, int[] ws, double[]? bias,
        int[] stride, int[] pad, int[] outPad, out int[] ys)
    {
        int n = xs[0], cin = xs[1], cout = ws[1];
        int[] o = new int[3];
        for (int a = 0; a < 3; a++)
        {
            o[a] = (xs[2 + a] - 1) * stride[a] - 2 * pad[a] + ws[2 + a] + outPad[a];
        }
        ys = [n, cout, o[0], o[1], o[2]];
        var y = new double[n * cout * o[0] * o[1] * o[2]];
        for (int b = 0; b < n; b++)
        for (int co = 0; co < cout; co++)
        for (int i = 0; i < o[0] * o[1] * o[2]; i++)
        {
            y[(b * cout + co) * o[0] * o[1] * o[2] + i] = bias?[co] ?? 0;
        }
        for (int b = 0; b < n; b++)
        for (int ci = 0; ci < cin; ci++)
        for (int d = 0; d < xs[2]; d++)
        for (int h = 0; h < xs[3]; h++)
        for (int wi = 0; wi < xs[4]; wi++)
        {
            double xv = x[(((b * cin + ci) * xs[2] + d) * xs[3] + h) * xs[4] + wi];
            for (int co = 0; co < cout; co++)
            for (int kd = 0; kd < ws[2]; kd++)
            for (int kh = 0; kh < ws[3]; kh++)
            for (int kw = 0; kw < ws[4]; kw++)
            {
                int od = d * stride[0] - pad[0] + kd, oh = h * stride[1] - pad[1] + kh, ow = wi * stride[2] - pad[2] + kw;
                if (od < 0 || od >= o[0] || oh < 0 || oh >= o[1] || ow < 0 || ow >= o[2])
                {
                    continue;
                }
                double wv = w[(((ci * cout + co) * ws[2] + kd) * ws[3] + kh) * ws[4] + kw];
                y[(((b * cout + co) * o[0] + od) * o[1] + oh) * o[2] + ow] += xv * wv;
            }
        }
        return y;
    }

    private delegate void TapAction(int n, int co, int ci, int od, int oh, int ow, int kd, int kh, int kw, int id, int ih, int iw);

    private static void ForEachTap(Conv3dGeometry g, TapAction action)
    {
        for (int n = 0; n < g.N; n++)
        for (int co = 0; co < g.Cout; co++)
        for (int ci = 0; ci < g.Cin; ci++)
        for (int od = 0; od < g.Do; od++)
        for (int oh = 0; oh < g.Ho; oh++)
        for (int ow = 0; ow < g.Wo; ow++)
        for (int kd = 0; kd < g.Kd; kd++)
        for (int kh = 0; kh < g.Kh; kh++)
        for (int kw = 0; kw < g.Kw; kw++)
        {
            int id = od * g.Sd - g.Pd + kd, ih = oh * g.Sh - g.Ph + kh, iw = ow * g.Sw - g.Pw + kw;
            if (id >= 0 && id < g.Di && ih >= 0 && ih < g.Hi && iw >= 0 && iw < g.Wi)
            {
                action(n, co, ci, od, oh, ow, kd, kh, kw, id, ih, iw);
            }
        }
    }

    private static int X(Conv3dGeometry g, int n, int c, int d, int h, int w) => (((n * g.Cin + c) * g.Di + d) * g.Hi + h) * g.Wi + w;

    private static int Y(Conv3dGeometry g, int n, int c, int d, int h, int w) => (((n * g.Cout + c) * g.Do + d) * g.Ho + h) * g.Wo + w;

    private static int W(Conv3dGeometry g, int co, int ci, int d, int h, int w) => (((co * g.Cin + ci) * g.Kd + d) * g.Kh + h) * g.Kw + w;

    /// <summary>Sum over the batch and spatial axes of a (N, C, S) array, per channel.</summary>
    public static double[] ChannelSum(double[] t, int n, int c, int s)
    {
        var r = new double[c];
        for (int b = 0; b < n; b++)
        for (int ch = 0; ch < c; ch++)
        for (int i = 0; i < s; i++)
        {
            r[ch] += t[(b * c + ch) * s + i];
        }
        return r;
    }

    /// <summary>Training-mode batch norm over (N, C, S) with biased batch variance; also the new running statistics.</summary>
    public static double[] BatchNormTrain(double[] x, int n, int c, int s, double[] gamma, double[] beta, double eps,
        double momentum, double[] runMean, double[] runVar, out double[] newRunMean, out double[] newRunVar)
    {
        var y = new double[x.Length];
        newRunMean = new double[c];
        newRunVar = new double[c];
        int m = n * s;
        for (int ch = 0; ch < c; ch++)
        {
            var (mean, v) = MeanAndSquares(x, n, c, s, ch);
            double biased = v / m, unbiased = v / (m - 1);
            for (int b = 0; b < n; b++)
            for (int i = 0; i < s; i++)
            {
                int k = (b * c + ch) * s + i;
                y[k] = (x[k] - mean) / Math.Sqrt(biased + eps) * gamma[ch] + beta[ch];
            }
            newRunMean[ch] = (1 - momentum) * runMean[ch] + momentum * mean;
            newRunVar[ch] = (1 - momentum) * runVar[ch] + momentum * unbiased;
        }
        return y;
    }

    /// <summary>Mean of channel <paramref name="ch"/> of a (N, C, S) array over N and S, and the sum of squared deviations from it.</summary>
    private static (double Mean, double Squares) MeanAndSquares(double[] x, int n, int c, int s, int ch)
    {
        double mean = 0, squares = 0;
        for (int b = 0; b < n; b++)
        for (int i = 0; i < s; i++)
        {
            mean += x[(b * c + ch) * s + i];
        }
        mean /= n * s;
        for (int b = 0; b < n; b++)
        for (int i = 0; i < s; i++)
        {
            double d = x[(b * c + ch) * s + i] - mean;
            squares += d * d;
        }
        return (mean, squares);
    }

    /// <summary>Analytic backward of training-mode batch norm (checked against finite differences in the tests).</summary>
    public static (double[] Dx, double[] Dgamma, double[] Dbeta) BatchNormTrainBackward(
        double[] x, double[] dy, int n, int c, int s, double[] gamma, double eps)
    {
        var dx = new double[x.Length];
        var dg = new double[c];
        var db = new double[c];
        int m = n * s;
        for (int ch = 0; ch < c; ch++)
        {
            var (mean, v) = MeanAndSquares(x, n, c, s, ch);
            double inv = 1 / Math.Sqrt(v / m + eps);
            double sdy = 0, sdyx = 0;
            for (int b = 0; b < n; b++)
            for (int i = 0; i < s; i++)
            {
                int k = (b * c + ch) * s + i;
                sdy += dy[k];
                sdyx += dy[k] * (x[k] - mean) * inv;
            }
            db[ch] = sdy;
            dg[ch] = sdyx;
            for (int b = 0; b < n; b++)
            for (int i = 0; i < s; i++)
            {
                int k = (b * c + ch) * s + i;
                double xhat = (x[k] - mean) * inv;
                dx[k] = gamma[ch] * inv * (dy[k] - sdy / m - xhat * sdyx / m);
            }
        }
        return (dx, dg, db);
    }

    /// <summary>Max pooling with the first maximum of each window winning; also the routing of dy.</summary>
    public static double[] MaxPool3d(double[] x, Pool3dGeometry g, double[]? dy, out double[]? dx)
    {
        var y = new double[g.OutputSize];
        dx = dy is null ? null : new double[g.InputSize];
        for (int nc = 0; nc < g.N * g.C; nc++)
        for (int od = 0; od < g.Do; od++)
        for (int oh = 0; oh < g.Ho; oh++)
        for (int ow = 0; ow < g.Wo; ow++)
        {
            double best = double.NegativeInfinity;
            int arg = -1;
            for (int kd = 0; kd < g.Kd; kd++)
            for (int kh = 0; kh < g.Kh; kh++)
            for (int kw = 0; kw < g.Kw; kw++)
            {
                int id = od * g.Sd - g.Pd + kd, ih = oh * g.Sh - g.Ph + kh, iw = ow * g.Sw - g.Pw + kw;
                if (id < 0 || id >= g.Di || ih < 0 || ih >= g.Hi || iw < 0 || iw >= g.Wi)
                {
                    continue;
                }
                int k = ((nc * g.Di + id) * g.Hi + ih) * g.Wi + iw;
                if (arg < 0 || x[k] > best)
                {
                    best = x[k];
                    arg = k;
                }
            }
            int o = ((nc * g.Do + od) * g.Ho + oh) * g.Wo + ow;
            y[o] = best;
            if (dx is not null)
            {
                dx[arg] += dy![o];
            }
        }
        return y;
    }

    /// <summary>C (m×n) = A (m×k) · B (k×n).</summary>
    public static double[] MatMul(double[] a, double[] b, int m, int n, int k)
    {
        var c = new double[m * n];
        for (int i = 0; i < m; i++)
        for (int j = 0; j < n; j++)
        {
            double acc = 0;
            for (int p = 0; p < k; p++)
            {
                acc += a[i * k + p] * b[p * n + j];
            }
            c[i * n + j] = acc;
        }
        return c;
    }

    /// <summary>Transpose of an r×c row-major matrix.</summary>
    public static double[] Transpose(double[] a, int r, int c)
    {
        var t = new double[a.Length];
        for (int i = 0; i < r; i++)
        for (int j = 0; j < c; j++)
        {
            t[j * r + i] = a[i * c + j];
        }
        return t;
    }

    /// <summary>Mean of −[t·log σ(x) + (1 − t)·log(1 − σ(x))], computed the naive way in float64.</summary>
    public static double BceWithLogits(double[] x, double[] t)
    {
        double acc = 0;
        for (int i = 0; i < x.Length; i++)
        {
            double p = 1 / (1 + Math.Exp(-x[i]));
            acc += -(t[i] * Math.Log(p) + (1 - t[i]) * Math.Log(1 - p));
        }
        return acc / x.Length;
    }

    /// <summary>KL(N(μ, e^logvar) ‖ N(0, 1)) summed over latents, averaged over the batch, from the Gaussian KL formula.</summary>
    public static double Kl(double[] mu, double[] logvar, int batch)
    {
        double acc = 0;
        for (int i = 0; i < mu.Length; i++)
        {
            double var = Math.Exp(logvar[i]);
            // KL of N(μ, σ²) from N(0, 1) = log(1/σ) + (σ² + μ²)/2 − 1/2.
            acc += -0.5 * logvar[i] + 0.5 * (var + mu[i] * mu[i]) - 0.5;
        }
        return acc / batch;
    }
}
