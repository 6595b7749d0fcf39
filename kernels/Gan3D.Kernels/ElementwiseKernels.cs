using ILGPU;

namespace Gan3D.Kernels;

/// <summary>
/// Codes of the elementwise functions of <see cref="ElementwiseKernels.UnaryKernel"/>. Kernels know
/// nothing of tensors, so the backend maps its own enum onto these explicitly.
/// </summary>
public static class UnaryCode
{
    /// <summary>max(x, 0).</summary>
    public const int Relu = 0;

    /// <summary>x if x &gt; 0 else α·x.</summary>
    public const int LeakyRelu = 1;

    /// <summary>1 / (1 + e^−x).</summary>
    public const int Sigmoid = 2;

    /// <summary>tanh x.</summary>
    public const int Tanh = 3;

    /// <summary>e^x.</summary>
    public const int Exp = 4;

    /// <summary>α·x.</summary>
    public const int Scale = 5;

    /// <summary>x + α.</summary>
    public const int AddScalar = 6;

    /// <summary>x².</summary>
    public const int Square = 7;

    /// <summary>1 / sqrt(x).</summary>
    public const int Rsqrt = 8;
}

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
    /// <summary>A <see cref="UnaryCode"/>.</summary>
    public int Op;

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
    /// <summary>y = f(x) for the function <c>p.Op</c> (the switch is uniform across threads).</summary>
    /// <param name="index">One thread per element.</param>
    /// <param name="x">Input (n).</param>
    /// <param name="y">Output (n); may be x.</param>
    /// <param name="p">Function code and α.</param>
    public static void UnaryKernel(Index1D index, ArrayView<float> x, ArrayView<float> y, UnaryParams p)
    {
        float v = x[index];
        float r;
        switch (p.Op)
        {
            case UnaryCode.Relu: r = v < 0f ? 0f : v; break; // NaN passes through, as on the CPU
            case UnaryCode.LeakyRelu: r = v > 0f ? v : p.Alpha * v; break;
            case UnaryCode.Sigmoid: r = 1f / (1f + MathF.Exp(-v)); break;
            case UnaryCode.Tanh: r = Tanh(v); break;
            case UnaryCode.Exp: r = MathF.Exp(v); break;
            case UnaryCode.Scale: r = p.Alpha * v; break;
            case UnaryCode.AddScalar: r = v + p.Alpha; break;
            case UnaryCode.Square: r = v * v; break;
            default: r = 1f / MathF.Sqrt(v); break; // UnaryCode.Rsqrt
        }
        y[index] = r;
    }

    /// <summary>dx = dy · f'(·), where <paramref name="saved"/> is y for every function but Square (x) and Scale/AddScalar (unused).</summary>
    /// <param name="index">One thread per element.</param>
    /// <param name="saved">The saved forward tensor (n): y, or x for Square.</param>
    /// <param name="dy">Gradient of the output (n).</param>
    /// <param name="dx">Gradient of the input (n); may be dy.</param>
    /// <param name="p">Function code and α.</param>
    public static void UnaryBackwardKernel(Index1D index, ArrayView<float> saved, ArrayView<float> dy, ArrayView<float> dx, UnaryParams p)
    {
        float v = saved[index];
        float g = dy[index];
        float r;
        switch (p.Op)
        {
            case UnaryCode.Relu: r = v > 0f ? g : 0f * g; break;
            case UnaryCode.LeakyRelu: r = v > 0f ? g : p.Alpha * g; break;
            case UnaryCode.Sigmoid: r = g * v * (1f - v); break;
            case UnaryCode.Tanh: r = g * (1f - v * v); break;
            case UnaryCode.Exp: r = g * v; break;
            case UnaryCode.Scale: r = g * p.Alpha; break;
            case UnaryCode.AddScalar: r = g; break;
            case UnaryCode.Square: r = 2f * v * g; break;
            default: r = -0.5f * v * v * v * g; break; // UnaryCode.Rsqrt: d(x^−½) = −½·y³
        }
        dx[index] = r;
    }

    /// <summary>
    /// tanh x = sign(x)·(1 − t)/(1 + t) with t = e^−2|x| (no overflow, abs error about 1e-7). Not MathF.Tanh:
    /// under fast math ILGPU emits PTX tanh.approx.f32, whose relative error is 2^−11.
    /// </summary>
    private static float Tanh(float x)
    {
        float t = MathF.Exp(-2f * (x < 0f ? -x : x));
        float magnitude = (1f - t) / (1f + t);
        return x < 0f ? -magnitude : magnitude;
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
