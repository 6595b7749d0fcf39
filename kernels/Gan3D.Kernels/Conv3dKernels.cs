using ILGPU;

namespace Gan3D.Kernels;

/// <summary>
/// 3D convolution (cross-correlation, as PyTorch) and its two adjoints; a transposed convolution is
/// served by the same three kernels with roles swapped (see <see cref="Conv3dGeometry"/>).
/// Layouts: x (N, Cin, Di, Hi, Wi), w (Cout, Cin, Kd, Kh, Kw), y (N, Cout, Do, Ho, Wo), all contiguous.
/// Versions:
/// 1. naive gather, one thread per output element, taps in order (ci, kd, kh, kw), float32
///    accumulation (the backward-weight sum is float64 across rows); no atomics, deterministic.
///    The reference the faster versions are validated against. The math is <see cref="Conv3dNaive"/>,
///    which the CPU backend's version 1 runs too.
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
    public static void Conv3dForwardKernel1(Index1D index, ArrayView<float> x, ArrayView<float> w, ArrayView<float> y, Conv3dGeometry g) =>
        y[index] = Conv3dNaive.Forward(new ViewReader(x), new ViewReader(w), g, index);

    /// <summary>dx[n, ci, i] = Σ over co and the taps k that reach i from an output position o of w[co, ci, k] · dy[n, co, o].</summary>
    /// <param name="index">One thread per element of dx: N·Cin·Di·Hi·Wi threads.</param>
    /// <param name="dy">Output gradient (N, Cout, Do, Ho, Wo).</param>
    /// <param name="w">Weight (Cout, Cin, Kd, Kh, Kw).</param>
    /// <param name="dx">Input gradient (N, Cin, Di, Hi, Wi), overwritten.</param>
    /// <param name="g">The geometry.</param>
    public static void Conv3dBackwardDataKernel1(Index1D index, ArrayView<float> dy, ArrayView<float> w, ArrayView<float> dx, Conv3dGeometry g) =>
        dx[index] = Conv3dNaive.BackwardData(new ViewReader(dy), new ViewReader(w), g, index);

    /// <summary>dw[co, ci, k] = Σ over n and output positions o of dy[n, co, o] · x[n, ci, o·s − p + k].</summary>
    /// <param name="index">One thread per element of dw: Cout·Cin·Kd·Kh·Kw threads.</param>
    /// <param name="x">Input (N, Cin, Di, Hi, Wi).</param>
    /// <param name="dy">Output gradient (N, Cout, Do, Ho, Wo).</param>
    /// <param name="dw">Weight gradient (Cout, Cin, Kd, Kh, Kw), overwritten.</param>
    /// <param name="g">The geometry.</param>
    public static void Conv3dBackwardWeightKernel1(Index1D index, ArrayView<float> x, ArrayView<float> dy, ArrayView<float> dw, Conv3dGeometry g) =>
        dw[index] = Conv3dNaive.BackwardWeight(new ViewReader(x), new ViewReader(dy), g, index);
}
