using ILGPU;

namespace Gan3D.Kernels;

/// <summary>Codes of <see cref="ElementwiseKernels.BinaryKernel"/>.</summary>
public static class BinaryCode
{
    public const int Add = 0;
    public const int Sub = 1;
    public const int Mul = 2;
}

/// <summary>Which function a unary kernel applies, and its scalar.</summary>
public struct UnaryParams
{
    public UnaryOp Op;

    /// <summary>The slope of leaky ReLU, the factor of Scale, the addend of AddScalar; unused otherwise.</summary>
    public float Alpha;
}

/// <summary>The (N, C, S) layout of a tensor whose axis 1 is channels: S is the product of the axes after it.</summary>
public struct ChannelParams
{
    public int C, S;
}

/// <summary>
/// Elementwise maps, their backward passes and the bias broadcast. Every kernel may run in place
/// (input view == output view): each thread reads its element before writing it.
/// Versions: 1 (one thread per element; memory-bound, so a tiled version would not be faster).
/// </summary>
public static class ElementwiseKernels
{
    /// <summary>y = f(x) for the function <c>p.Op</c> (the switch is uniform across threads; the formulas are <see cref="UnaryMath"/>'s).</summary>
    /// <param name="index">One thread per element.</param>
    /// <param name="x">Input (n).</param>
    /// <param name="y">Output (n); may be x.</param>
    /// <param name="p">Function and α.</param>
    public static void UnaryKernel(Index1D index, ArrayView<float> x, ArrayView<float> y, UnaryParams p)
    {
        y[index] = UnaryMath.Forward(p.Op, x[index], p.Alpha);
    }

    /// <summary>dx = dy · f'(·), where <paramref name="saved"/> is what <see cref="UnaryOp"/> says (y, x for Square, unused for Scale/AddScalar).</summary>
    /// <param name="index">One thread per element.</param>
    /// <param name="saved">The saved forward tensor (n).</param>
    /// <param name="dy">Gradient of the output (n).</param>
    /// <param name="dx">Gradient of the input (n); may be dy.</param>
    /// <param name="p">Function and α.</param>
    public static void UnaryBackwardKernel(Index1D index, ArrayView<float> saved, ArrayView<float> dy, ArrayView<float> dx, UnaryParams p)
    {
        dx[index] = UnaryMath.Backward(p.Op, saved[index], dy[index], p.Alpha);
    }

    /// <summary>y = a ∘ b for the operation <paramref name="op"/> (a <see cref="BinaryCode"/>).</summary>
    /// <param name="index">One thread per element.</param>
    /// <param name="a">Left operand (n).</param>
    /// <param name="b">Right operand (n).</param>
    /// <param name="y">Output (n); may be a or b.</param>
    /// <param name="op">A <see cref="BinaryCode"/>.</param>
    public static void BinaryKernel(Index1D index, ArrayView<float> a, ArrayView<float> b, ArrayView<float> y, int op)
    {
        float u = a[index], v = b[index];
        y[index] = op == BinaryCode.Add ? u + v : op == BinaryCode.Sub ? u - v : u * v;
    }

    /// <summary>y += α·x.</summary>
    /// <param name="index">One thread per element.</param>
    /// <param name="x">Input (n).</param>
    /// <param name="y">Accumulator (n).</param>
    /// <param name="alpha">The factor α.</param>
    public static void AxpyKernel(Index1D index, ArrayView<float> x, ArrayView<float> y, float alpha)
    {
        y[index] += alpha * x[index];
    }

    /// <summary>y[n, c, s] += bias[c].</summary>
    /// <param name="index">One thread per element of y.</param>
    /// <param name="y">Accumulator (N, C, S).</param>
    /// <param name="bias">Per-channel bias (C).</param>
    /// <param name="p">C and S.</param>
    public static void AddChannelBiasKernel(Index1D index, ArrayView<float> y, ArrayView<float> bias, ChannelParams p)
    {
        y[index] += bias[index / p.S % p.C];
    }
}
