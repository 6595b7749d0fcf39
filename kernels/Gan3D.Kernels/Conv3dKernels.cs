using ILGPU;

namespace Gan3D.Kernels;

/// <summary>
/// 3D convolution (cross-correlation, as PyTorch) and its two adjoints; a transposed convolution is
/// served by the same three kernels with roles swapped (see <see cref="Conv3dGeometry"/>).
/// Layouts: x (N, Cin, Di, Hi, Wi), w (Cout, Cin, Kd, Kh, Kw), y (N, Cout, Do, Ho, Wo), all contiguous.
/// Versions:
/// 1. naive gather, one thread per output element, taps in order (ci, kd, kh, kw), float32
///    accumulation (the backward-weight sum is float64 across rows); no atomics, deterministic.
///    The reference the faster versions are validated against.
/// 2. implicit GEMM with shared-memory tiles and 4 × 4 register tiles (Conv3dKernels.Gemm.cs);
///    backward-data by output parity, backward-weight split along the reduction; no atomics, deterministic.
/// </summary>
public static partial class Conv3dKernels
{
    /// <summary>y[n, co, o] = Σ over ci and taps k of w[co, ci, k] · x[n, ci, o·s − p + k] (zero outside x).</summary>
    /// <param name="index">One thread per element of y: N·Cout·Do·Ho·Wo threads.</param>
    /// <param name="x">Input (N, Cin, Di, Hi, Wi).</param>
    /// <param name="w">Weight (Cout, Cin, Kd, Kh, Kw).</param>
    /// <param name="y">Output (N, Cout, Do, Ho, Wo), overwritten.</param>
    /// <param name="g">The geometry.</param>
    public static void Conv3dForwardKernel1(Index1D index, ArrayView<float> x, ArrayView<float> w, ArrayView<float> y, Conv3dGeometry g)
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
                            acc += w[wRow + kw] * x[xRow + iw];
                        }
                    }
                }
            }
        }
        y[index] = acc;
    }

    /// <summary>
    /// dx[n, ci, i] = Σ over co and the taps k with i = o·s − p + k for an output position o in range
    /// of w[co, ci, k] · dy[n, co, o]: the gather form of the scatter, one thread per input element.
    /// </summary>
    /// <param name="index">One thread per element of dx: N·Cin·Di·Hi·Wi threads.</param>
    /// <param name="dy">Output gradient (N, Cout, Do, Ho, Wo).</param>
    /// <param name="w">Weight (Cout, Cin, Kd, Kh, Kw).</param>
    /// <param name="dx">Input gradient (N, Cin, Di, Hi, Wi), overwritten.</param>
    /// <param name="g">The geometry.</param>
    public static void Conv3dBackwardDataKernel1(Index1D index, ArrayView<float> dy, ArrayView<float> w, ArrayView<float> dx, Conv3dGeometry g)
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
                            acc += w[wRow + kw] * dy[yRow + ow];
                        }
                    }
                }
            }
        }
        dx[index] = acc;
    }

    /// <summary>
    /// dw[co, ci, k] = Σ over n and output positions o of dy[n, co, o] · x[n, ci, o·s − p + k]:
    /// one thread per weight element; each row of ow is summed in float32 and the rows in float64.
    /// </summary>
    /// <param name="index">One thread per element of dw: Cout·Cin·Kd·Kh·Kw threads.</param>
    /// <param name="x">Input (N, Cin, Di, Hi, Wi).</param>
    /// <param name="dy">Output gradient (N, Cout, Do, Ho, Wo).</param>
    /// <param name="dw">Weight gradient (Cout, Cin, Kd, Kh, Kw), overwritten.</param>
    /// <param name="g">The geometry.</param>
    public static void Conv3dBackwardWeightKernel1(Index1D index, ArrayView<float> x, ArrayView<float> dy, ArrayView<float> dw, Conv3dGeometry g)
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
                            rowAcc += dy[yRow + ow] * x[xRow + iw];
                        }
                    }
                    acc += rowAcc;
                }
            }
        }
        dw[index] = (float)acc;
    }
}
