using ILGPU;

namespace Gan3D.Kernels;

/// <summary>
/// 3D max pooling over (N, C, D, H, W) planes. The winner of a window is its FIRST maximum in window
/// order (kd, kh, kw); padded cells never win; a NaN wins at once (it propagates, as in PyTorch).
/// The backward pass finds the winners again from x, so nothing but y is saved.
/// Versions: 1 (this: one thread per output element forward; one thread per input element backward,
/// gathering from the windows that contain it, so no atomics and a fixed summation order).
/// </summary>
public static class PoolKernels
{
    /// <summary>y[n, c, o] = x[n, c, first argmax of window o].</summary>
    /// <param name="index">One thread per element of y: N·C·Do·Ho·Wo threads.</param>
    /// <param name="x">Input (N, C, Di, Hi, Wi).</param>
    /// <param name="y">Output (N, C, Do, Ho, Wo).</param>
    /// <param name="g">The geometry.</param>
    public static void MaxPool3dForwardKernel(Index1D index, ArrayView<float> x, ArrayView<float> y, Pool3dGeometry g)
    {
        int t = index;
        int ow = t % g.Wo; t /= g.Wo;
        int oh = t % g.Ho; t /= g.Ho;
        int od = t % g.Do;
        int nc = t / g.Do;
        int xb = nc * g.Di * g.Hi * g.Wi;
        y[index] = x[xb + WindowArgMax(new ViewReader(x), xb, g, od, oh, ow)];
    }

    /// <summary>
    /// dx[n, c, i] = Σ of dy over the windows (in output order) whose first maximum is element i.
    /// </summary>
    /// <param name="index">One thread per element of dx: N·C·Di·Hi·Wi threads.</param>
    /// <param name="x">Forward input (N, C, Di, Hi, Wi).</param>
    /// <param name="dy">Output gradient (N, C, Do, Ho, Wo).</param>
    /// <param name="dx">Input gradient (N, C, Di, Hi, Wi), overwritten.</param>
    /// <param name="g">The geometry.</param>
    public static void MaxPool3dBackwardKernel(Index1D index, ArrayView<float> x, ArrayView<float> dy, ArrayView<float> dx, Pool3dGeometry g)
    {
        int planeSize = g.Di * g.Hi * g.Wi;
        int nc = index / planeSize;
        int off = index - nc * planeSize;
        int iw = off % g.Wi;
        int ih = off / g.Wi % g.Hi;
        int id = off / (g.Wi * g.Hi);
        int xb = nc * planeSize;
        int yb = nc * g.Do * g.Ho * g.Wo;
        // Window o covers inputs o·s − p … o·s − p + k − 1; these are the o that reach i.
        int odLo = FirstWindow(id, g.Kd, g.Sd, g.Pd), odHi = LastWindow(id, g.Sd, g.Pd, g.Do);
        int ohLo = FirstWindow(ih, g.Kh, g.Sh, g.Ph), ohHi = LastWindow(ih, g.Sh, g.Ph, g.Ho);
        int owLo = FirstWindow(iw, g.Kw, g.Sw, g.Pw), owHi = LastWindow(iw, g.Sw, g.Pw, g.Wo);
        var xr = new ViewReader(x);
        float acc = 0f;
        for (int od = odLo; od <= odHi; od++)
        {
            for (int oh = ohLo; oh <= ohHi; oh++)
            {
                for (int ow = owLo; ow <= owHi; ow++)
                {
                    if (WindowArgMax(xr, xb, g, od, oh, ow) == off)
                    {
                        acc += dy[yb + (od * g.Ho + oh) * g.Wo + ow];
                    }
                }
            }
        }
        dx[index] = acc;
    }

    /// <summary>The first window o ≥ 0 with o·s − p + k − 1 ≥ i.</summary>
    private static int FirstWindow(int i, int k, int s, int p)
    {
        int num = i + p - k + 1;
        return num <= 0 ? 0 : (num + s - 1) / s;
    }

    /// <summary>The last window o &lt; count with o·s − p ≤ i.</summary>
    private static int LastWindow(int i, int s, int p, int count)
    {
        int o = (i + p) / s;
        return o < count - 1 ? o : count - 1;
    }

    /// <summary>
    /// Offset in the (n, c) plane starting at xb of the first maximum of window (od, oh, ow): the one
    /// definition of the winner, used by these kernels and by the CPU backend.
    /// </summary>
    public static int WindowArgMax<TReader>(TReader x, int xb, in Pool3dGeometry g, int od, int oh, int ow)
        where TReader : struct, IFloatReader
    {
        int best = -1;
        float bestValue = float.NegativeInfinity;
        for (int kd = 0; kd < g.Kd; kd++)
        {
            int id = od * g.Sd - g.Pd + kd;
            if ((uint)id >= (uint)g.Di)
            {
                continue;
            }
            for (int kh = 0; kh < g.Kh; kh++)
            {
                int ih = oh * g.Sh - g.Ph + kh;
                if ((uint)ih >= (uint)g.Hi)
                {
                    continue;
                }
                for (int kw = 0; kw < g.Kw; kw++)
                {
                    int iw = ow * g.Sw - g.Pw + kw;
                    if ((uint)iw >= (uint)g.Wi)
                    {
                        continue;
                    }
                    int off = (id * g.Hi + ih) * g.Wi + iw;
                    float v = x.Read(xb + off);
                    bool isNaN = float.IsNaN(v);
                    if (best < 0 || v > bestValue || isNaN)
                    {
                        best = off;
                        bestValue = v;
                        if (isNaN)
                        {
                            return best;
                        }
                    }
                }
            }
        }
        return best;
    }
}
