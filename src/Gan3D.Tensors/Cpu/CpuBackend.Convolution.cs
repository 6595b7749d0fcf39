using Gan3D.Kernels;

namespace Gan3D.Tensors;

public sealed partial class CpuBackend
{
    private readonly CpuConvGemm _convGemm = new();

    private int _kernelVersion = 3;

    /// <summary>
    /// Which convolution implementation runs: 1 = <see cref="CpuConvDirect"/> (naive, the reference),
    /// 2 = <see cref="CpuConvGemm"/> (implicit GEMM), 3 = the same GEMMs with shape-specific paths for the
    /// layers where version 2 lost to PyTorch (the default; see <see cref="CpuConvGemm"/>). The CPU's other ops have one version.
    /// </summary>
    public int KernelVersion
    {
        get => _kernelVersion;
        set
        {
            if (value is not (1 or 2 or 3))
            {
                throw new ArgumentOutOfRangeException(nameof(value), value, "the CPU backend has kernel versions 1, 2 and 3");
            }
            _kernelVersion = value;
        }
    }

    /// <summary>1, 2 and 3 on every CPU.</summary>
    public IReadOnlyList<int> KernelVersions { get; } = [1, 2, 3];

    /// <summary>The micro-kernel of version 2 (tests force each one; Auto picks the widest the CPU runs).</summary>
    public GemmIsa GemmIsa
    {
        get => _convGemm.Isa;
        set => _convGemm.Isa = value;
    }

    public void Conv3dForward(Tensor x, Tensor w, Tensor y, in Conv3dGeometry g)
    {
        if (_kernelVersion == 1)
        {
            CpuConvDirect.Forward(this, A(x), A(w), A(y), g);
        }
        else
        {
            _convGemm.Forward(this, A(x), A(w), A(y), g, _kernelVersion);
        }
    }

    public void Conv3dBackwardData(Tensor dy, Tensor w, Tensor dx, in Conv3dGeometry g)
    {
        if (_kernelVersion == 1)
        {
            CpuConvDirect.BackwardData(this, A(dy), A(w), A(dx), g);
        }
        else
        {
            _convGemm.BackwardData(this, A(dy), A(w), A(dx), g, _kernelVersion);
        }
    }

    public void Conv3dBackwardWeight(Tensor x, Tensor dy, Tensor dw, in Conv3dGeometry g)
    {
        if (_kernelVersion == 1)
        {
            CpuConvDirect.BackwardWeight(this, A(x), A(dy), A(dw), g);
        }
        else
        {
            _convGemm.BackwardWeight(this, A(x), A(dy), A(dw), g, _kernelVersion);
        }
    }
}

/// <summary>
/// Version 1 of the CPU convolution: <see cref="Conv3dNaive"/> (the math ILGPU's version 1 runs too),
/// one element at a time, parallel over output planes. Obviously correct and the reference the fast
/// versions are checked against; not fast.
/// </summary>
internal static class CpuConvDirect
{
    /// <summary>y (N, Cout, Do, Ho, Wo) = Σ over ci and taps of w[co, ci, k] · x[n, ci, o·s − p + k].</summary>
    public static void Forward(CpuBackend be, float[] x, float[] w, float[] y, Conv3dGeometry g) =>
        ByPlane(be, y, g.N * g.Cout, g.OutputVolume, i => Conv3dNaive.Forward(new ArrayReader(x), new ArrayReader(w), g, i));

    /// <summary>dx (N, Cin, Di, Hi, Wi) = Σ over co and taps of w[co, ci, k] · dy[n, co, o] scattered to o·s − p + k.</summary>
    public static void BackwardData(CpuBackend be, float[] dy, float[] w, float[] dx, Conv3dGeometry g) =>
        ByPlane(be, dx, g.N * g.Cin, g.InputVolume, i => Conv3dNaive.BackwardData(new ArrayReader(dy), new ArrayReader(w), g, i));

    /// <summary>dw (Cout, Cin, Kd, Kh, Kw) = Σ over n and o of dy[n, co, o] · x[n, ci, o·s − p + k].</summary>
    public static void BackwardWeight(CpuBackend be, float[] x, float[] dy, float[] dw, Conv3dGeometry g) =>
        ByPlane(be, dw, g.Cout * g.Cin, g.KernelVolume, i => Conv3dNaive.BackwardWeight(new ArrayReader(x), new ArrayReader(dy), g, i));

    /// <summary>output[i] = element(i) for every i, one task per plane of <paramref name="planeSize"/> elements.</summary>
    private static void ByPlane(CpuBackend be, float[] output, int planes, int planeSize, Func<int, float> element) =>
        be.For(planes, p =>
        {
            for (int i = p * planeSize; i < (p + 1) * planeSize; i++)
            {
                output[i] = element(i);
            }
        });
}
