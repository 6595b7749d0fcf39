using Gan3D.Kernels;

namespace Gan3D.Tensors;

public sealed partial class CpuBackend
{
    private readonly CpuConvGemm _convGemm = new();

    /// <summary>
    /// Which convolution implementation runs: 1 = <see cref="CpuConvDirect"/> (naive, the reference),
    /// 2 = <see cref="CpuConvGemm"/> (implicit GEMM), 3 = the same GEMMs with shape-specific paths for the
    /// layers where version 2 lost to PyTorch (the default; see <see cref="CpuConvGemm"/>).
    /// </summary>
    public int ConvVersion { get; set; } = 3;

    /// <summary>The micro-kernel of version 2 (tests force each one; Auto picks the widest the CPU runs).</summary>
    public GemmIsa GemmIsa
    {
        get => _convGemm.Isa;
        set => _convGemm.Isa = value;
    }

    public void Conv3dForward(Tensor x, Tensor w, Tensor y, in Conv3dGeometry g)
    {
        if (ConvVersion == 1)
        {
            CpuConvDirect.Forward(this, A(x), A(w), A(y), g);
        }
        else
        {
            _convGemm.Forward(this, A(x), A(w), A(y), g, ConvVersion);
        }
    }

    public void Conv3dBackwardData(Tensor dy, Tensor w, Tensor dx, in Conv3dGeometry g)
    {
        if (ConvVersion == 1)
        {
            CpuConvDirect.BackwardData(this, A(dy), A(w), A(dx), g);
        }
        else
        {
            _convGemm.BackwardData(this, A(dy), A(w), A(dx), g, ConvVersion);
        }
    }

    public void Conv3dBackwardWeight(Tensor x, Tensor dy, Tensor dw, in Conv3dGeometry g)
    {
        if (ConvVersion == 1)
        {
            CpuConvDirect.BackwardWeight(this, A(x), A(dy), A(dw), g);
        }
        else
        {
            _convGemm.BackwardWeight(this, A(x), A(dy), A(dw), g, ConvVersion);
        }
    }
}

/// <summary>
/// Version 1 of the CPU convolution: direct loops over taps, parallel over output planes.
/// Obviously correct and the reference the fast versions are checked against; not fast.
/// </summary>
internal static class CpuConvDirect
{
    /// <summary>y (N, Cout, Do, Ho, Wo) = Σ over ci and taps of w[co, ci, k] · x[n, ci, o·s − p + k].</summary>
    public static void Forward(CpuBackend be, float[] x, float[] w, float[] y, Conv3dGeometry g)
    {
        int ov = g.OutputVolume, iv = g.InputVolume, kv = g.KernelVolume;
        be.For(g.N * g.Cout, nco =>
        {
            int n = nco / g.Cout, co = nco % g.Cout;
            var yPlane = y.AsSpan(nco * ov, ov);
            yPlane.Clear();
            for (int ci = 0; ci < g.Cin; ci++)
            {
                int xBase = (n * g.Cin + ci) * iv;
                int wBase = (co * g.Cin + ci) * kv;
                for (int kd = 0; kd < g.Kd; kd++)
                for (int kh = 0; kh < g.Kh; kh++)
                for (int kw = 0; kw < g.Kw; kw++)
                {
                    float wv = w[wBase + (kd * g.Kh + kh) * g.Kw + kw];
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
                            int yRow = (od * g.Ho + oh) * g.Wo;
                            int xRow = xBase + (id * g.Hi + ih) * g.Wi;
                            for (int ow = 0; ow < g.Wo; ow++)
                            {
                                int iw = ow * g.Sw - g.Pw + kw;
                                if ((uint)iw < (uint)g.Wi)
                                {
                                    yPlane[yRow + ow] += wv * x[xRow + iw];
                                }
                            }
                        }
                    }
                }
            }
        });
    }

    /// <summary>dx (N, Cin, Di, Hi, Wi) = Σ over co and taps of w[co, ci, k] · dy[n, co, o] scattered to o·s − p + k.</summary>
    public static void BackwardData(CpuBackend be, float[] dy, float[] w, float[] dx, Conv3dGeometry g)
    {
        int ov = g.OutputVolume, iv = g.InputVolume, kv = g.KernelVolume;
        be.For(g.N * g.Cin, nci =>
        {
            int n = nci / g.Cin, ci = nci % g.Cin;
            var dxPlane = dx.AsSpan(nci * iv, iv);
            dxPlane.Clear();
            for (int co = 0; co < g.Cout; co++)
            {
                int yBase = (n * g.Cout + co) * ov;
                int wBase = (co * g.Cin + ci) * kv;
                for (int kd = 0; kd < g.Kd; kd++)
                for (int kh = 0; kh < g.Kh; kh++)
                for (int kw = 0; kw < g.Kw; kw++)
                {
                    float wv = w[wBase + (kd * g.Kh + kh) * g.Kw + kw];
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
                            int xRow = (id * g.Hi + ih) * g.Wi;
                            for (int ow = 0; ow < g.Wo; ow++)
                            {
                                int iw = ow * g.Sw - g.Pw + kw;
                                if ((uint)iw < (uint)g.Wi)
                                {
                                    dxPlane[xRow + iw] += wv * dy[yRow + ow];
                                }
                            }
                        }
                    }
                }
            }
        });
    }

    /// <summary>dw (Cout, Cin, Kd, Kh, Kw) = Σ over n and o of dy[n, co, o] · x[n, ci, o·s − p + k].</summary>
    public static void BackwardWeight(CpuBackend be, float[] x, float[] dy, float[] dw, Conv3dGeometry g)
    {
        int ov = g.OutputVolume, iv = g.InputVolume, kv = g.KernelVolume;
        be.For(g.Cout * g.Cin, coci =>
        {
            int co = coci / g.Cin, ci = coci % g.Cin;
            for (int kd = 0; kd < g.Kd; kd++)
            for (int kh = 0; kh < g.Kh; kh++)
            for (int kw = 0; kw < g.Kw; kw++)
            {
                double acc = 0;
                for (int n = 0; n < g.N; n++)
                {
                    int xBase = (n * g.Cin + ci) * iv;
                    int yBase = (n * g.Cout + co) * ov;
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
                            float rowAcc = 0;
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
                dw[coci * kv + (kd * g.Kh + kh) * g.Kw + kw] = (float)acc;
            }
        });
    }
}
