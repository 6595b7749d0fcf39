using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using Gan3D.Kernels;

namespace Gan3D.Tensors;

/// <summary>
/// The CPU loops of the unary functions of <see cref="UnaryMath"/>.
/// Versions: 1 (<see cref="Forward1"/>, <see cref="Backward1"/>: the scalar formulas, one element at a
/// time; the reference), 2 (<see cref="Forward"/>, <see cref="Backward"/>: the Vector512 or Vector256
/// forms, generic over the function struct so the JIT inlines it; the tail runs the same vector formula
/// on a padded copy, so an element's result never depends on where it sits).
/// Every loop is <see cref="MethodImplOptions.AggressiveOptimization"/>: these are IL-only methods, and
/// without it the first few dozen calls run tier-0 code that calls every vector operator out of line
/// (measured 20–40× slower: it was most of the per-layer profile's sigmoid time). Every loop may run
/// in place (x and y the same span).
/// </summary>
internal static class UnaryLoops
{
    /// <summary>Version 1: y[i] = f(x[i]) in scalar code.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Forward1(UnaryOp op, ReadOnlySpan<float> x, Span<float> y, float alpha)
    {
        for (int i = 0; i < x.Length; i++)
        {
            y[i] = UnaryMath.Forward(op, x[i], alpha);
        }
    }

    /// <summary>Version 1: dx[i] = dy[i]·f′ in scalar code.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Backward1(UnaryOp op, ReadOnlySpan<float> saved, ReadOnlySpan<float> dy, Span<float> dx, float alpha)
    {
        for (int i = 0; i < dy.Length; i++)
        {
            dx[i] = UnaryMath.Backward(op, saved[i], dy[i], alpha);
        }
    }

    /// <summary>Version 2: y = f(x), vectorised.</summary>
    public static void Forward(UnaryOp op, ReadOnlySpan<float> x, Span<float> y, float alpha)
    {
        switch (op)
        {
            case UnaryOp.Relu: Forward<ReluFunction>(x, y, alpha); break;
            case UnaryOp.LeakyRelu: Forward<LeakyReluFunction>(x, y, alpha); break;
            case UnaryOp.Sigmoid: Forward<SigmoidFunction>(x, y, alpha); break;
            case UnaryOp.Tanh: Forward<TanhFunction>(x, y, alpha); break;
            case UnaryOp.Exp: Forward<ExpFunction>(x, y, alpha); break;
            case UnaryOp.Scale: Forward<ScaleFunction>(x, y, alpha); break;
            case UnaryOp.AddScalar: Forward<AddScalarFunction>(x, y, alpha); break;
            case UnaryOp.Square: Forward<SquareFunction>(x, y, alpha); break;
            case UnaryOp.Rsqrt: Forward<RsqrtFunction>(x, y, alpha); break;
            case UnaryOp.Positive: Forward<PositiveFunction>(x, y, alpha); break;
            default: throw new NotSupportedException(op.ToString());
        }
    }

    /// <summary>Version 2: dx = dy·f′, vectorised.</summary>
    public static void Backward(UnaryOp op, ReadOnlySpan<float> saved, ReadOnlySpan<float> dy, Span<float> dx, float alpha)
    {
        switch (op)
        {
            case UnaryOp.Relu: Backward<ReluFunction>(saved, dy, dx, alpha); break;
            case UnaryOp.LeakyRelu: Backward<LeakyReluFunction>(saved, dy, dx, alpha); break;
            case UnaryOp.Sigmoid: Backward<SigmoidFunction>(saved, dy, dx, alpha); break;
            case UnaryOp.Tanh: Backward<TanhFunction>(saved, dy, dx, alpha); break;
            case UnaryOp.Exp: Backward<ExpFunction>(saved, dy, dx, alpha); break;
            case UnaryOp.Scale: Backward<ScaleFunction>(saved, dy, dx, alpha); break;
            case UnaryOp.AddScalar: Backward<AddScalarFunction>(saved, dy, dx, alpha); break;
            case UnaryOp.Square: Backward<SquareFunction>(saved, dy, dx, alpha); break;
            case UnaryOp.Rsqrt: Backward<RsqrtFunction>(saved, dy, dx, alpha); break;
            case UnaryOp.Positive: Backward<PositiveFunction>(saved, dy, dx, alpha); break;
            default: throw new NotSupportedException(op.ToString());
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Forward<TOp>(ReadOnlySpan<float> x, Span<float> y, float alpha)
        where TOp : struct, IUnaryFunction
    {
        int n = x.Length;
        if (y.Length < n)
        {
            throw new ArgumentException("output shorter than input");
        }
        ref float xr = ref MemoryMarshal.GetReference(x);
        ref float yr = ref MemoryMarshal.GetReference(y);
        int i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            var a = Vector512.Create(alpha);
            for (; i <= n - Vector512<float>.Count; i += Vector512<float>.Count)
            {
                TOp.Forward(Vector512.LoadUnsafe(ref xr, (nuint)i), a).StoreUnsafe(ref yr, (nuint)i);
            }
        }
        var a256 = Vector256.Create(alpha);
        for (; i <= n - Vector256<float>.Count; i += Vector256<float>.Count)
        {
            TOp.Forward(Vector256.LoadUnsafe(ref xr, (nuint)i), a256).StoreUnsafe(ref yr, (nuint)i);
        }
        if (i < n)
        {
            // Fewer than 8 left: pad them (with 1, a valid input of every function) and run the vector formula.
            Span<float> pad = stackalloc float[Vector256<float>.Count];
            pad.Fill(1f);
            x[i..].CopyTo(pad);
            TOp.Forward(Vector256.Create<float>(pad), a256).CopyTo(pad);
            pad[..(n - i)].CopyTo(y[i..]);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Backward<TOp>(ReadOnlySpan<float> saved, ReadOnlySpan<float> dy, Span<float> dx, float alpha)
        where TOp : struct, IUnaryFunction
    {
        int n = dy.Length;
        if (saved.Length < n || dx.Length < n)
        {
            throw new ArgumentException("saved or output shorter than the gradient");
        }
        ref float sr = ref MemoryMarshal.GetReference(saved);
        ref float gr = ref MemoryMarshal.GetReference(dy);
        ref float dr = ref MemoryMarshal.GetReference(dx);
        int i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            var a = Vector512.Create(alpha);
            for (; i <= n - Vector512<float>.Count; i += Vector512<float>.Count)
            {
                TOp.Backward(Vector512.LoadUnsafe(ref sr, (nuint)i), Vector512.LoadUnsafe(ref gr, (nuint)i), a).StoreUnsafe(ref dr, (nuint)i);
            }
        }
        var a256 = Vector256.Create(alpha);
        for (; i <= n - Vector256<float>.Count; i += Vector256<float>.Count)
        {
            TOp.Backward(Vector256.LoadUnsafe(ref sr, (nuint)i), Vector256.LoadUnsafe(ref gr, (nuint)i), a256).StoreUnsafe(ref dr, (nuint)i);
        }
        if (i < n)
        {
            Span<float> s = stackalloc float[Vector256<float>.Count];
            Span<float> g = stackalloc float[Vector256<float>.Count];
            s.Fill(1f);
            g.Clear();
            saved[i..n].CopyTo(s);
            dy[i..n].CopyTo(g);
            TOp.Backward(Vector256.Create<float>(s), Vector256.Create<float>(g), a256).CopyTo(s);
            s[..(n - i)].CopyTo(dx[i..]);
        }
    }

    /// <summary>
    /// y += α·x: every backward pass that reaches a tensor twice, and every leaf whose gradient was
    /// zeroed rather than dropped, runs this over the whole tensor, so it gets the same treatment.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Axpy(float alpha, ReadOnlySpan<float> x, Span<float> y)
    {
        int n = x.Length;
        if (y.Length < n)
        {
            throw new ArgumentException("output shorter than input");
        }
        ref float xr = ref MemoryMarshal.GetReference(x);
        ref float yr = ref MemoryMarshal.GetReference(y);
        var a = Vector256.Create(alpha);
        int i = 0;
        for (; i <= n - Vector256<float>.Count; i += Vector256<float>.Count)
        {
            Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref xr, (nuint)i), a, Vector256.LoadUnsafe(ref yr, (nuint)i)).StoreUnsafe(ref yr, (nuint)i);
        }
        for (; i < n; i++)
        {
            y[i] = MathF.FusedMultiplyAdd(x[i], alpha, y[i]);
        }
    }
}
