using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Gan3D.Kernels;

/// <summary>
/// Elementwise y = f(x): the one list of unary functions, shared by the backends, the ops and the
/// ILGPU kernels. The comment says which tensor the backward pass needs.
/// </summary>
public enum UnaryOp
{
    /// <summary>max(x, 0); backward needs y.</summary>
    Relu,

    /// <summary>x if x &gt; 0 else α·x (α &gt; 0); backward needs y.</summary>
    LeakyRelu,

    /// <summary>1 / (1 + e^−x); backward needs y.</summary>
    Sigmoid,

    /// <summary>tanh x; backward needs y.</summary>
    Tanh,

    /// <summary>e^x; backward needs y.</summary>
    Exp,

    /// <summary>α·x; backward needs nothing.</summary>
    Scale,

    /// <summary>x + α; backward needs nothing.</summary>
    AddScalar,

    /// <summary>x²; backward needs x.</summary>
    Square,

    /// <summary>1 / sqrt(x); backward needs y.</summary>
    Rsqrt,

    /// <summary>1 where α·x &gt; 0, else 0 (counts D's right calls on the device); no gradient.</summary>
    Positive,
}

/// <summary>
/// One unary function written once, TensorPrimitives-style: the scalar form (what the ILGPU kernels
/// run, one thread per element) beside the Vector256 and Vector512 forms of the same formula (what
/// the CPU loops run). <c>Backward</c> gets the saved tensor the <see cref="UnaryOp"/> names (y, or x
/// for Square) and returns dx = dy·f′.
/// </summary>
public interface IUnaryFunction
{
    static abstract float Forward(float x, float alpha);

    static abstract float Backward(float saved, float dy, float alpha);

    static abstract Vector256<float> Forward(Vector256<float> x, Vector256<float> alpha);

    static abstract Vector256<float> Backward(Vector256<float> saved, Vector256<float> dy, Vector256<float> alpha);

    static abstract Vector512<float> Forward(Vector512<float> x, Vector512<float> alpha);

    static abstract Vector512<float> Backward(Vector512<float> saved, Vector512<float> dy, Vector512<float> alpha);
}

/// <summary>The unary functions by <see cref="UnaryOp"/>, scalar (for kernels and references).</summary>
public static class UnaryMath
{
    public static float Forward(UnaryOp op, float x, float alpha) => op switch
    {
        UnaryOp.Relu => ReluFunction.Forward(x, alpha),
        UnaryOp.LeakyRelu => LeakyReluFunction.Forward(x, alpha),
        UnaryOp.Sigmoid => SigmoidFunction.Forward(x, alpha),
        UnaryOp.Tanh => TanhFunction.Forward(x, alpha),
        UnaryOp.Exp => ExpFunction.Forward(x, alpha),
        UnaryOp.Scale => ScaleFunction.Forward(x, alpha),
        UnaryOp.AddScalar => AddScalarFunction.Forward(x, alpha),
        UnaryOp.Square => SquareFunction.Forward(x, alpha),
        UnaryOp.Positive => PositiveFunction.Forward(x, alpha),
        _ => RsqrtFunction.Forward(x, alpha),
    };

    public static float Backward(UnaryOp op, float saved, float dy, float alpha) => op switch
    {
        UnaryOp.Relu => ReluFunction.Backward(saved, dy, alpha),
        UnaryOp.LeakyRelu => LeakyReluFunction.Backward(saved, dy, alpha),
        UnaryOp.Sigmoid => SigmoidFunction.Backward(saved, dy, alpha),
        UnaryOp.Tanh => TanhFunction.Backward(saved, dy, alpha),
        UnaryOp.Exp => ExpFunction.Backward(saved, dy, alpha),
        UnaryOp.Scale => ScaleFunction.Backward(saved, dy, alpha),
        UnaryOp.AddScalar => AddScalarFunction.Backward(saved, dy, alpha),
        UnaryOp.Square => SquareFunction.Backward(saved, dy, alpha),
        UnaryOp.Positive => PositiveFunction.Backward(saved, dy, alpha),
        _ => RsqrtFunction.Backward(saved, dy, alpha),
    };
}

/// <summary>
/// y = x: not a <see cref="UnaryOp"/>, but the "no activation" of a fused op that takes a function
/// struct (batch norm with <see cref="BatchNormActivation.None"/>).
/// </summary>
public readonly struct IdentityFunction : IUnaryFunction
{
    public static float Forward(float x, float alpha) => x;

    public static float Backward(float saved, float dy, float alpha) => dy;

    public static Vector256<float> Forward(Vector256<float> x, Vector256<float> alpha) => x;

    public static Vector256<float> Backward(Vector256<float> saved, Vector256<float> dy, Vector256<float> alpha) => dy;

    public static Vector512<float> Forward(Vector512<float> x, Vector512<float> alpha) => x;

    public static Vector512<float> Backward(Vector512<float> saved, Vector512<float> dy, Vector512<float> alpha) => dy;
}

/// <summary>max(x, 0); NaN passes through (x &lt; 0 is false for NaN). dx = dy where y &gt; 0, else 0·dy (NaN in dy survives).</summary>
public readonly struct ReluFunction : IUnaryFunction
{
    public static float Forward(float x, float alpha) => x < 0f ? 0f : x;

    public static float Backward(float saved, float dy, float alpha) => saved > 0f ? dy : 0f * dy;

    public static Vector256<float> Forward(Vector256<float> x, Vector256<float> alpha) =>
        Vector256.ConditionalSelect(Vector256.LessThan(x, Vector256<float>.Zero), Vector256<float>.Zero, x);

    public static Vector256<float> Backward(Vector256<float> saved, Vector256<float> dy, Vector256<float> alpha) =>
        Vector256.ConditionalSelect(Vector256.GreaterThan(saved, Vector256<float>.Zero), dy, dy * Vector256<float>.Zero);

    public static Vector512<float> Forward(Vector512<float> x, Vector512<float> alpha) =>
        Vector512.ConditionalSelect(Vector512.LessThan(x, Vector512<float>.Zero), Vector512<float>.Zero, x);

    public static Vector512<float> Backward(Vector512<float> saved, Vector512<float> dy, Vector512<float> alpha) =>
        Vector512.ConditionalSelect(Vector512.GreaterThan(saved, Vector512<float>.Zero), dy, dy * Vector512<float>.Zero);
}

/// <summary>x if x &gt; 0 else α·x; dx = dy where y &gt; 0 (α &gt; 0 keeps the sign of x in y), else α·dy.</summary>
public readonly struct LeakyReluFunction : IUnaryFunction
{
    public static float Forward(float x, float alpha) => x > 0f ? x : alpha * x;

    public static float Backward(float saved, float dy, float alpha) => saved > 0f ? dy : alpha * dy;

    public static Vector256<float> Forward(Vector256<float> x, Vector256<float> alpha) =>
        Vector256.ConditionalSelect(Vector256.GreaterThan(x, Vector256<float>.Zero), x, alpha * x);

    public static Vector256<float> Backward(Vector256<float> saved, Vector256<float> dy, Vector256<float> alpha) =>
        Vector256.ConditionalSelect(Vector256.GreaterThan(saved, Vector256<float>.Zero), dy, alpha * dy);

    public static Vector512<float> Forward(Vector512<float> x, Vector512<float> alpha) =>
        Vector512.ConditionalSelect(Vector512.GreaterThan(x, Vector512<float>.Zero), x, alpha * x);

    public static Vector512<float> Backward(Vector512<float> saved, Vector512<float> dy, Vector512<float> alpha) =>
        Vector512.ConditionalSelect(Vector512.GreaterThan(saved, Vector512<float>.Zero), dy, alpha * dy);
}

/// <summary>
/// 1 / (1 + e^−x); dx = dy·y·(1 − y). The vector forms use <see cref="VectorExp"/> (error bound
/// there); e^−x overflowing to +∞ for x &lt; −88.7 gives exactly 0, as it should.
/// </summary>
public readonly struct SigmoidFunction : IUnaryFunction
{
    public static float Forward(float x, float alpha) => 1f / (1f + MathF.Exp(-x));

    public static float Backward(float saved, float dy, float alpha) => dy * saved * (1f - saved);

    public static Vector256<float> Forward(Vector256<float> x, Vector256<float> alpha) =>
        Vector256<float>.One / (Vector256<float>.One + VectorExp.Exp(-x));

    public static Vector256<float> Backward(Vector256<float> saved, Vector256<float> dy, Vector256<float> alpha) =>
        dy * saved * (Vector256<float>.One - saved);

    public static Vector512<float> Forward(Vector512<float> x, Vector512<float> alpha) =>
        Vector512<float>.One / (Vector512<float>.One + VectorExp.Exp(-x));

    public static Vector512<float> Backward(Vector512<float> saved, Vector512<float> dy, Vector512<float> alpha) =>
        dy * saved * (Vector512<float>.One - saved);
}

/// <summary>
/// tanh x = sign(x)·(1 − t)/(1 + t) with t = e^−2|x| (no overflow, abs error about 1e-7). Not MathF.Tanh:
/// under fast math ILGPU emits PTX tanh.approx.f32, whose relative error is 2^−11. dx = dy·(1 − y²).
/// </summary>
public readonly struct TanhFunction : IUnaryFunction
{
    public static float Forward(float x, float alpha)
    {
        float t = MathF.Exp(-2f * (x < 0f ? -x : x));
        float magnitude = (1f - t) / (1f + t);
        return x < 0f ? -magnitude : magnitude;
    }

    public static float Backward(float saved, float dy, float alpha) => dy * (1f - saved * saved);

    public static Vector256<float> Forward(Vector256<float> x, Vector256<float> alpha)
    {
        var t = VectorExp.Exp(Vector256.Create(-2f) * Vector256.Abs(x));
        var magnitude = (Vector256<float>.One - t) / (Vector256<float>.One + t);
        return Vector256.CopySign(magnitude, x);
    }

    public static Vector256<float> Backward(Vector256<float> saved, Vector256<float> dy, Vector256<float> alpha) =>
        dy * (Vector256<float>.One - saved * saved);

    public static Vector512<float> Forward(Vector512<float> x, Vector512<float> alpha)
    {
        var t = VectorExp.Exp(Vector512.Create(-2f) * Vector512.Abs(x));
        var magnitude = (Vector512<float>.One - t) / (Vector512<float>.One + t);
        return Vector512.CopySign(magnitude, x);
    }

    public static Vector512<float> Backward(Vector512<float> saved, Vector512<float> dy, Vector512<float> alpha) =>
        dy * (Vector512<float>.One - saved * saved);
}

/// <summary>e^x; dx = dy·y.</summary>
public readonly struct ExpFunction : IUnaryFunction
{
    public static float Forward(float x, float alpha) => MathF.Exp(x);

    public static float Backward(float saved, float dy, float alpha) => dy * saved;

    public static Vector256<float> Forward(Vector256<float> x, Vector256<float> alpha) => VectorExp.Exp(x);

    public static Vector256<float> Backward(Vector256<float> saved, Vector256<float> dy, Vector256<float> alpha) => dy * saved;

    public static Vector512<float> Forward(Vector512<float> x, Vector512<float> alpha) => VectorExp.Exp(x);

    public static Vector512<float> Backward(Vector512<float> saved, Vector512<float> dy, Vector512<float> alpha) => dy * saved;
}

/// <summary>α·x; dx = α·dy.</summary>
public readonly struct ScaleFunction : IUnaryFunction
{
    public static float Forward(float x, float alpha) => alpha * x;

    public static float Backward(float saved, float dy, float alpha) => dy * alpha;

    public static Vector256<float> Forward(Vector256<float> x, Vector256<float> alpha) => alpha * x;

    public static Vector256<float> Backward(Vector256<float> saved, Vector256<float> dy, Vector256<float> alpha) => dy * alpha;

    public static Vector512<float> Forward(Vector512<float> x, Vector512<float> alpha) => alpha * x;

    public static Vector512<float> Backward(Vector512<float> saved, Vector512<float> dy, Vector512<float> alpha) => dy * alpha;
}

/// <summary>x + α; dx = dy.</summary>
public readonly struct AddScalarFunction : IUnaryFunction
{
    public static float Forward(float x, float alpha) => x + alpha;

    public static float Backward(float saved, float dy, float alpha) => dy;

    public static Vector256<float> Forward(Vector256<float> x, Vector256<float> alpha) => x + alpha;

    public static Vector256<float> Backward(Vector256<float> saved, Vector256<float> dy, Vector256<float> alpha) => dy;

    public static Vector512<float> Forward(Vector512<float> x, Vector512<float> alpha) => x + alpha;

    public static Vector512<float> Backward(Vector512<float> saved, Vector512<float> dy, Vector512<float> alpha) => dy;
}

/// <summary>x²; dx = 2·x·dy (saved is x).</summary>
public readonly struct SquareFunction : IUnaryFunction
{
    public static float Forward(float x, float alpha) => x * x;

    public static float Backward(float saved, float dy, float alpha) => 2f * saved * dy;

    public static Vector256<float> Forward(Vector256<float> x, Vector256<float> alpha) => x * x;

    public static Vector256<float> Backward(Vector256<float> saved, Vector256<float> dy, Vector256<float> alpha) =>
        Vector256.Create(2f) * saved * dy;

    public static Vector512<float> Forward(Vector512<float> x, Vector512<float> alpha) => x * x;

    public static Vector512<float> Backward(Vector512<float> saved, Vector512<float> dy, Vector512<float> alpha) =>
        Vector512.Create(2f) * saved * dy;
}

/// <summary>1 where α·x &gt; 0, else 0 (NaN gives 0); a step has no useful gradient: dx = 0.</summary>
public readonly struct PositiveFunction : IUnaryFunction
{
    public static float Forward(float x, float alpha) => alpha * x > 0f ? 1f : 0f;

    public static float Backward(float saved, float dy, float alpha) => 0f;

    public static Vector256<float> Forward(Vector256<float> x, Vector256<float> alpha) =>
        Vector256.GreaterThan(alpha * x, Vector256<float>.Zero) & Vector256<float>.One;

    public static Vector256<float> Backward(Vector256<float> saved, Vector256<float> dy, Vector256<float> alpha) => Vector256<float>.Zero;

    public static Vector512<float> Forward(Vector512<float> x, Vector512<float> alpha) =>
        Vector512.GreaterThan(alpha * x, Vector512<float>.Zero) & Vector512<float>.One;

    public static Vector512<float> Backward(Vector512<float> saved, Vector512<float> dy, Vector512<float> alpha) => Vector512<float>.Zero;
}

/// <summary>1 / sqrt(x); d(x^−½) = −½·y³, so dx = −½·y³·dy.</summary>
public readonly struct RsqrtFunction : IUnaryFunction
{
    public static float Forward(float x, float alpha) => 1f / MathF.Sqrt(x);

    public static float Backward(float saved, float dy, float alpha) => -0.5f * saved * saved * saved * dy;

    public static Vector256<float> Forward(Vector256<float> x, Vector256<float> alpha) => Vector256<float>.One / Vector256.Sqrt(x);

    public static Vector256<float> Backward(Vector256<float> saved, Vector256<float> dy, Vector256<float> alpha) =>
        Vector256.Create(-0.5f) * saved * saved * saved * dy;

    public static Vector512<float> Forward(Vector512<float> x, Vector512<float> alpha) => Vector512<float>.One / Vector512.Sqrt(x);

    public static Vector512<float> Backward(Vector512<float> saved, Vector512<float> dy, Vector512<float> alpha) =>
        Vector512.Create(-0.5f) * saved * saved * saved * dy;
}

/// <summary>
/// e^x on vectors for the CPU loops (the ILGPU kernels use MathF.Exp, which is the GPU's ex2).
/// Cody–Waite reduction x = n·ln2 + r with |r| ≤ ln2/2 (ln2 split in a high part exact in float and a
/// low part), a degree-6 polynomial for e^r (Cephes expf's coefficients), and 2^n built from exponent
/// bits in two halves so that n = 128 (x up to 88.72) and n = −126 both stay normal. Measured against
/// float64 over [−87.3, 88.7]: relative error below 2.5e-7 (about 2 ulp; the test holds it to 3e-7).
/// x &gt; 88.72 gives +∞, x below −87.33 (results under float's smallest normal) gives 0, NaN stays NaN.
/// </summary>
public static class VectorExp
{
    private const float Log2E = 1.44269504088896341f;

    // ln 2 = LnHi + LnLo: LnHi has few significant bits, so n·LnHi is exact for |n| ≤ 128.
    private const float LnHi = 0.693359375f;
    private const float LnLo = -2.12194440e-4f;

    /// <summary>Above this e^x overflows float.</summary>
    private const float MaxInput = 88.72283f;

    /// <summary>Below this e^x is under float's smallest normal (1.18e-38): flushed to 0.</summary>
    private const float MinInput = -87.33654f;

    // Cephes expf: e^r ≈ 1 + r + r²·(P0·r⁵ + … + P5), |r| ≤ ln2/2.
    private const float P0 = 1.9875691500e-4f;
    private const float P1 = 1.3981999507e-3f;
    private const float P2 = 8.3334519073e-3f;
    private const float P3 = 4.1665795894e-2f;
    private const float P4 = 1.6666665459e-1f;
    private const float P5 = 5.0000001201e-1f;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Exp(Vector256<float> x)
    {
        // MaxNative/MinNative return the second operand for NaN; the NaN is restored at the end.
        var c = Vector256.MinNative(Vector256.MaxNative(x, Vector256.Create(MinInput)), Vector256.Create(MaxInput));
        var n = Vector256.Round(c * Vector256.Create(Log2E));
        var r = Vector256.FusedMultiplyAdd(n, Vector256.Create(-LnHi), c);
        r = Vector256.FusedMultiplyAdd(n, Vector256.Create(-LnLo), r);
        var p = Vector256.Create(P0);
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(P1));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(P2));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(P3));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(P4));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(P5));
        p = Vector256.FusedMultiplyAdd(p, r * r, r + Vector256<float>.One);
        var ni = Vector256.ConvertToInt32(n);
        var half = Vector256.ShiftRightArithmetic(ni, 1);
        var bias = Vector256.Create(127);
        var s1 = Vector256.ShiftLeft(half + bias, 23).AsSingle();
        var s2 = Vector256.ShiftLeft(ni - half + bias, 23).AsSingle();
        var e = p * s1 * s2;
        e = Vector256.ConditionalSelect(Vector256.GreaterThan(x, Vector256.Create(MaxInput)), Vector256.Create(float.PositiveInfinity), e);
        e = Vector256.ConditionalSelect(Vector256.LessThan(x, Vector256.Create(MinInput)), Vector256<float>.Zero, e);
        return Vector256.ConditionalSelect(Vector256.Equals(x, x), e, x);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Exp(Vector512<float> x)
    {
        var c = Vector512.MinNative(Vector512.MaxNative(x, Vector512.Create(MinInput)), Vector512.Create(MaxInput));
        var n = Vector512.Round(c * Vector512.Create(Log2E));
        var r = Vector512.FusedMultiplyAdd(n, Vector512.Create(-LnHi), c);
        r = Vector512.FusedMultiplyAdd(n, Vector512.Create(-LnLo), r);
        var p = Vector512.Create(P0);
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(P1));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(P2));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(P3));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(P4));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(P5));
        p = Vector512.FusedMultiplyAdd(p, r * r, r + Vector512<float>.One);
        var ni = Vector512.ConvertToInt32(n);
        var half = Vector512.ShiftRightArithmetic(ni, 1);
        var bias = Vector512.Create(127);
        var s1 = Vector512.ShiftLeft(half + bias, 23).AsSingle();
        var s2 = Vector512.ShiftLeft(ni - half + bias, 23).AsSingle();
        var e = p * s1 * s2;
        e = Vector512.ConditionalSelect(Vector512.GreaterThan(x, Vector512.Create(MaxInput)), Vector512.Create(float.PositiveInfinity), e);
        e = Vector512.ConditionalSelect(Vector512.LessThan(x, Vector512.Create(MinInput)), Vector512<float>.Zero, e);
        return Vector512.ConditionalSelect(Vector512.Equals(x, x), e, x);
    }
}
