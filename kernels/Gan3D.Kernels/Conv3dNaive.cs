namespace Gan3D.Kernels;

/// <summary>
/// The naive 3D convolution, one output element at a time, written once: ILGPU kernel version 1
/// (<see cref="Conv3dKernels"/>) runs it one thread per element on views, the CPU backend's version 1
/// one plane per task on arrays. Taps in order (ci, kd, kh, kw) with float32 accumulation (the
/// backward-weight sum is float64 across rows of ow), so both give the same bits.
/// Layouts: x (N, Cin, Di, Hi, Wi), w (Cout, Cin, Kd, Kh, Kw), y (N, Cout, Do, Ho, Wo), all contiguous.
/// </summary>
public static class Conv3dNaive
{
    /// <summary>y[index] for index = ((((n·Cout + co)·Do + od)·Ho + oh)·Wo + ow): Σ over ci and taps k of w[co, ci, k] · x[n, ci, o·s − p + k] (zero outside x).</summary>
    public static float Forward<TX, TW>(TX x, TW w, Conv3dGeometry g, int index)
        where TX : struct, IFloatReader
        where TW : struct, IFloatReader
    {
        int t = index;
        int ow = t % g.Wo; t /= g.Wo;
        int oh = t % g.Ho; t /= g.Ho;
        int od = t % g.Do; t /= g.Do;
        int co = t % g.Cout;
        int n = t / g.Cout;
        int inputVolume = g.Di * g.Hi * g.Wi;
        int kernelVolume = g.Kd * g.Kh * g.Kw;
        float acc = 0f;
        for (int ci = 0; ci < g.Cin; ci++)
        {
            int xBase = (n * g.Cin + ci) * inputVolume;
            int wBase = (co * g.Cin + ci) * kernelVolume;
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
                    int xRow = xBase + (id * g.Hi + ih) * g.Wi;
                    int wRow = wBase + (kd * g.Kh + kh) * g.Kw;
                    for (int kw = 0; kw < g.Kw; kw++)
                    {
                        int iw = ow * g.Sw - g.Pw + kw;
                        if ((uint)iw < (uint)g.Wi)
                        {
                            acc += w.Read(wRow + kw) * x.Read(xRow + iw);
                        }
                    }
                }
            }
        }
        return acc;
    }

    /// <summary>
    /// dx[index] for index = ((((n·Cin + ci)·Di + id)·Hi + ih)·Wi + iw): Σ over co and the taps k with
    /// i = o·s − p + k for an output position o in range of w[co, ci, k] · dy[n, co, o] (the gather form of the scatter).
    /// </summary>
    public static float BackwardData<TDy, TW>(TDy dy, TW w, Conv3dGeometry g, int index)
        where TDy : struct, IFloatReader
        where TW : struct, IFloatReader
    {
        int t = index;
        int iw = t % g.Wi; t /= g.Wi;
        int ih = t % g.Hi; t /= g.Hi;
        int id = t % g.Di; t /= g.Di;
        int ci = t % g.Cin;
        int n = t / g.Cin;
        int outputVolume = g.Do * g.Ho * g.Wo;
        int kernelVolume = g.Kd * g.Kh * g.Kw;
        float acc = 0f;
        for (int co = 0; co < g.Cout; co++)
        {
            int yBase = (n * g.Cout + co) * outputVolume;
            int wBase = (co * g.Cin + ci) * kernelVolume;
            for (int kd = 0; kd < g.Kd; kd++)
            {
                // o·s = i + p − k must be a multiple of the stride and o must be in range.
                int td = id + g.Pd - kd;
                int od = td / g.Sd;
                if (td < 0 || od * g.Sd != td || od >= g.Do)
                {
                    continue;
                }
                for (int kh = 0; kh < g.Kh; kh++)
                {
                    int th = ih + g.Ph - kh;
                    int oh = th / g.Sh;
                    if (th < 0 || oh * g.Sh != th || oh >= g.Ho)
                    {
                        continue;
                    }
                    int yRow = yBase + (od * g.Ho + oh) * g.Wo;
                    int wRow = wBase + (kd * g.Kh + kh) * g.Kw;
                    for (int kw = 0; kw < g.Kw; kw++)
                    {
                        int tw = iw + g.Pw - kw;
                        int ow = tw / g.Sw;
                        if (tw >= 0 && ow * g.Sw == tw && ow < g.Wo)
                        {
                            acc += w.Read(wRow + kw) * dy.Read(yRow + ow);
                        }
                    }
                }
            }
        }
        return acc;
    }

    /// <summary>
    /// dw[index] for index = ((((co·Cin + ci)·Kd + kd)·Kh + kh)·Kw + kw): Σ over n and output positions o
    /// of dy[n, co, o] · x[n, ci, o·s − p + k]; each row of ow is summed in float32 and the rows in float64.
    /// </summary>
    public static float BackwardWeight<TX, TDy>(TX x, TDy dy, Conv3dGeometry g, int index)
        where TX : struct, IFloatReader
        where TDy : struct, IFloatReader
    {
        int t = index;
        int kw = t % g.Kw; t /= g.Kw;
        int kh = t % g.Kh; t /= g.Kh;
        int kd = t % g.Kd; t /= g.Kd;
        int ci = t % g.Cin;
        int co = t / g.Cin;
        int inputVolume = g.Di * g.Hi * g.Wi;
        int outputVolume = g.Do * g.Ho * g.Wo;
        double acc = 0;
        for (int n = 0; n < g.N; n++)
        {
            int xBase = (n * g.Cin + ci) * inputVolume;
            int yBase = (n * g.Cout + co) * outputVolume;
            for (int od = 0; od < g.Do; od++)
            {
                int id = od * g.Sd - g.Pd + kd;
                if ((uint)id >= (uint)g.Di)
                {
                    continue;
                }
                for (int oh = 0; oh < g.Ho; oh++)
                {
                    int ih = oh * g.Sh - g.Ph + kh;
                    if ((uint)ih >= (uint)g.Hi)
                    {
                        continue;
                    }
                    int yRow = yBase + (od * g.Ho + oh) * g.Wo;
                    int xRow = xBase + (id * g.Hi + ih) * g.Wi;
                    float rowAcc = 0f;
                    for (int ow = 0; ow < g.Wo; ow++)
                    {
                        int iw = ow * g.Sw - g.Pw + kw;
                        if ((uint)iw < (uint)g.Wi)
                        {
                            rowAcc += dy.Read(yRow + ow) * x.Read(xRow + iw);
                        }
                    }
                    acc += rowAcc;
                }
            }
        }
        return (float)acc;
    }
}
