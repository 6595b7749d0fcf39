namespace Gan3D.Kernels;

/// <summary>
/// Shape of one 3D convolution y = conv(x, w): input x (N, Cin, Di, Hi, Wi), weight
/// w (Cout, Cin, Kd, Kh, Kw), output y (N, Cout, Do, Ho, Wo), per-axis stride and zero padding.
/// A transposed convolution is described by the convolution it is the adjoint of: its input is this
/// geometry's output and its output is this geometry's input (see <see cref="ForTransposed"/>).
/// A plain unmanaged struct so that it can be passed to kernels as one parameter.
/// </summary>
public struct Conv3dGeometry : IEquatable<Conv3dGeometry>
{
    public int N, Cin, Di, Hi, Wi;
    public int Cout, Do, Ho, Wo;
    public int Kd, Kh, Kw;
    public int Sd, Sh, Sw;
    public int Pd, Ph, Pw;

    /// <summary>The convolution with these sizes; the output extent follows from the others.</summary>
    public static Conv3dGeometry Create(
        int n, int cin, int di, int hi, int wi, int cout,
        int kd, int kh, int kw, int sd, int sh, int sw, int pd, int ph, int pw)
    {
        var g = new Conv3dGeometry
        {
            N = n, Cin = cin, Di = di, Hi = hi, Wi = wi, Cout = cout,
            Kd = kd, Kh = kh, Kw = kw, Sd = sd, Sh = sh, Sw = sw, Pd = pd, Ph = ph, Pw = pw,
        };
        g.Do = OutputExtent(di, kd, sd, pd);
        g.Ho = OutputExtent(hi, kh, sh, ph);
        g.Wo = OutputExtent(wi, kw, sw, pw);
        return g;
    }

    /// <summary>
    /// The convolution whose adjoint is conv_transpose3d of an input (n, cin, di, hi, wi) with
    /// weight (cin, cout, kd, kh, kw) as PyTorch lays it out. The transposed layer's output extent is
    /// (d − 1)·s − 2p + k + outputPadding; that is this geometry's input, and the transposed layer's
    /// input is this geometry's output.
    /// </summary>
    public static Conv3dGeometry ForTransposed(
        int n, int cin, int di, int hi, int wi, int cout,
        int kd, int kh, int kw, int sd, int sh, int sw, int pd, int ph, int pw,
        int opd, int oph, int opw)
    {
        int od = (di - 1) * sd - 2 * pd + kd + opd;
        int oh = (hi - 1) * sh - 2 * ph + kh + oph;
        int ow = (wi - 1) * sw - 2 * pw + kw + opw;
        var g = new Conv3dGeometry
        {
            N = n, Cin = cout, Di = od, Hi = oh, Wi = ow, Cout = cin, Do = di, Ho = hi, Wo = wi,
            Kd = kd, Kh = kh, Kw = kw, Sd = sd, Sh = sh, Sw = sw, Pd = pd, Ph = ph, Pw = pw,
        };
        return g;
    }

    /// <summary>floor((d + 2p − k) / s) + 1, or a value below 1 when the kernel does not fit.</summary>
    public static int OutputExtent(int d, int k, int s, int p)
    {
        int span = d + 2 * p - k;
        return span < 0 ? 0 : span / s + 1;
    }

    public readonly long InputSize => (long)N * Cin * Di * Hi * Wi;
    public readonly long OutputSize => (long)N * Cout * Do * Ho * Wo;
    public readonly long WeightSize => (long)Cout * Cin * Kd * Kh * Kw;
    public readonly int InputVolume => Di * Hi * Wi;
    public readonly int OutputVolume => Do * Ho * Wo;
    public readonly int KernelVolume => Kd * Kh * Kw;

    /// <summary>Multiply-adds of the forward pass (every tap, padding included, as cuDNN and PyTorch count).</summary>
    public readonly long Macs => OutputSize * Cin * KernelVolume;

    public readonly bool Equals(Conv3dGeometry o) =>
        N == o.N && Cin == o.Cin && Di == o.Di && Hi == o.Hi && Wi == o.Wi &&
        Cout == o.Cout && Do == o.Do && Ho == o.Ho && Wo == o.Wo &&
        Kd == o.Kd && Kh == o.Kh && Kw == o.Kw && Sd == o.Sd && Sh == o.Sh && Sw == o.Sw &&
        Pd == o.Pd && Ph == o.Ph && Pw == o.Pw;

    public override readonly bool Equals(object? obj) => obj is Conv3dGeometry g && Equals(g);

    public override readonly int GetHashCode() =>
        HashCode.Combine(HashCode.Combine(N, Cin, Di, Hi, Wi, Cout), HashCode.Combine(Kd, Kh, Kw, Sd, Sh, Sw), HashCode.Combine(Pd, Ph, Pw));

    public override readonly string ToString() =>
        $"x({N},{Cin},{Di},{Hi},{Wi}) w({Cout},{Cin},{Kd},{Kh},{Kw}) -> y({N},{Cout},{Do},{Ho},{Wo}) stride({Sd},{Sh},{Sw}) pad({Pd},{Ph},{Pw})";
}
