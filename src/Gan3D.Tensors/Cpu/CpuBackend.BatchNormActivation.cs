using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using Gan3D.Kernels;

namespace Gan3D.Tensors;

/// <summary>
/// Batch normalisation fused with the activation after it (version 2 of batch norm + activation;
/// version 1 is <see cref="BatchNormForwardTraining"/> then <see cref="Unary"/>). Per channel, in one
/// parallel task so the channel's rows stay in cache between the passes:
/// forward = one statistics pass (shifted sums, see <see cref="BatchNormKernels"/>' version 2) and one
/// normalise-scale-shift-activate pass; backward = one reduction pass over the gated gradient and one
/// pass for dx. Rows are summed as <see cref="ReductionLoops"/> does.
/// </summary>
public sealed partial class CpuBackend
{
    public void BatchNormActivationForwardTraining(Tensor x, Tensor gamma, Tensor beta, Tensor y,
        Tensor saveMean, Tensor saveInvStd, Tensor runningMean, Tensor runningVar, float momentum, float eps,
        BatchNormActivation activation, float alpha)
    {
        var (n, c, sp) = ChannelLayout(x);
        var (xa, ya, ga, ba) = (A(x), A(y), A(gamma), A(beta));
        var (ma, ia, rm, rv) = (A(saveMean), A(saveInvStd), A(runningMean), A(runningVar));
        long count = (long)n * sp;
        For(c, ch =>
        {
            // Sums of x − x₀ with x₀ the channel's first element: |mean − x₀| is of the order of the
            // standard deviation, so Σd² − (Σd)²/n does not cancel catastrophically.
            float x0 = xa[ch * sp];
            double sum = 0, squares = 0;
            for (int i = 0; i < n; i++)
            {
                var (s1, s2) = ReductionLoops.ShiftedSums(new ReadOnlySpan<float>(xa, (i * c + ch) * sp, sp), x0);
                sum += s1;
                squares += s2;
            }
            double meanShift = sum / count;
            double variance = Math.Max(squares / count - meanShift * meanShift, 0.0);
            float mean = (float)(x0 + meanShift);
            float invStd = (float)(1.0 / Math.Sqrt(variance + eps));
            ma[ch] = mean;
            ia[ch] = invStd;
            rm[ch] = (1f - momentum) * rm[ch] + momentum * mean;
            rv[ch] = (1f - momentum) * rv[ch] + momentum * (float)(variance * count / (count - 1));
            float scale = ga[ch] * invStd;
            float shift = ba[ch] - mean * scale;
            for (int i = 0; i < n; i++)
            {
                int off = (i * c + ch) * sp;
                AffineActivate(activation, new ReadOnlySpan<float>(xa, off, sp), scale, shift, alpha, new Span<float>(ya, off, sp));
            }
        });
    }

    public void BatchNormActivationBackward(Tensor x, Tensor y, Tensor dy, Tensor gamma, Tensor mean, Tensor invStd,
        Tensor dx, Tensor dgamma, Tensor dbeta, bool batchStatistics, BatchNormActivation activation, float alpha)
    {
        var (n, c, sp) = ChannelLayout(x);
        var (xa, ya, ga, gm, ma, ia) = (A(x), A(y), A(dy), A(gamma), A(mean), A(invStd));
        var (dxa, dga, dba) = (A(dx), A(dgamma), A(dbeta));
        long count = (long)n * sp;
        For(c, ch =>
        {
            float m = ma[ch], inv = ia[ch];
            double sumG = 0, sumGCentred = 0;
            for (int i = 0; i < n; i++)
            {
                int off = (i * c + ch) * sp;
                var (s1, s2) = GatedSums(activation, new ReadOnlySpan<float>(xa, off, sp), new ReadOnlySpan<float>(ya, off, sp),
                    new ReadOnlySpan<float>(ga, off, sp), m, alpha);
                sumG += s1;
                sumGCentred += s2;
            }
            double sumGXhat = sumGCentred * inv;
            dba[ch] = (float)sumG;
            dga[ch] = (float)sumGXhat;
            // dx = γ·invStd·(g − mean(g) − x̂·mean(g·x̂)) = k·g + (x − μ)·b + d with the per-channel
            // constants below; without batch statistics (eval mode) dx = k·g.
            float k = gm[ch] * inv;
            float b = batchStatistics ? (float)(-k * inv * sumGXhat / count) : 0f;
            float d = batchStatistics ? (float)(-k * sumG / count) : 0f;
            for (int i = 0; i < n; i++)
            {
                int off = (i * c + ch) * sp;
                GatedData(activation, new ReadOnlySpan<float>(xa, off, sp), new ReadOnlySpan<float>(ya, off, sp),
                    new ReadOnlySpan<float>(ga, off, sp), m, k, b, d, alpha, new Span<float>(dxa, off, sp));
            }
        });
    }

    private static void AffineActivate(BatchNormActivation activation, ReadOnlySpan<float> x, float scale, float shift, float alpha, Span<float> y)
    {
        switch (activation)
        {
            case BatchNormActivation.Relu: AffineActivate<ReluFunction>(x, scale, shift, alpha, y); break;
            case BatchNormActivation.LeakyRelu: AffineActivate<LeakyReluFunction>(x, scale, shift, alpha, y); break;
            default: AffineActivate<IdentityFunction>(x, scale, shift, alpha, y); break;
        }
    }

    private static (double Sum, double CentredSum) GatedSums(BatchNormActivation activation, ReadOnlySpan<float> x, ReadOnlySpan<float> y,
        ReadOnlySpan<float> dy, float mean, float alpha) => activation switch
        {
            BatchNormActivation.Relu => GatedSums<ReluFunction>(x, y, dy, mean, alpha),
            BatchNormActivation.LeakyRelu => GatedSums<LeakyReluFunction>(x, y, dy, mean, alpha),
            _ => GatedSums<IdentityFunction>(x, y, dy, mean, alpha),
        };

    private static void GatedData(BatchNormActivation activation, ReadOnlySpan<float> x, ReadOnlySpan<float> y, ReadOnlySpan<float> dy,
        float mean, float k, float b, float d, float alpha, Span<float> dx)
    {
        switch (activation)
        {
            case BatchNormActivation.Relu: GatedData<ReluFunction>(x, y, dy, mean, k, b, d, alpha, dx); break;
            case BatchNormActivation.LeakyRelu: GatedData<LeakyReluFunction>(x, y, dy, mean, k, b, d, alpha, dx); break;
            default: GatedData<IdentityFunction>(x, y, dy, mean, k, b, d, alpha, dx); break;
        }
    }

    /// <summary>y = act(x·scale + shift).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void AffineActivate<TAct>(ReadOnlySpan<float> x, float scale, float shift, float alpha, Span<float> y)
        where TAct : struct, IUnaryFunction
    {
        ref float xr = ref MemoryMarshal.GetReference(x);
        ref float yr = ref MemoryMarshal.GetReference(y);
        var (vs, vb, va) = (Vector256.Create(scale), Vector256.Create(shift), Vector256.Create(alpha));
        int i = 0;
        for (; i <= x.Length - Vector256<float>.Count; i += Vector256<float>.Count)
        {
            TAct.Forward(Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref xr, (nuint)i), vs, vb), va).StoreUnsafe(ref yr, (nuint)i);
        }
        for (; i < x.Length; i++)
        {
            y[i] = TAct.Forward(MathF.FusedMultiplyAdd(x[i], scale, shift), alpha);
        }
    }

    /// <summary>(Σ g, Σ g·(x − mean)) over a row, g = dy gated by the activation's derivative at y.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static (double Sum, double CentredSum) GatedSums<TAct>(ReadOnlySpan<float> x, ReadOnlySpan<float> y, ReadOnlySpan<float> dy,
        float mean, float alpha)
        where TAct : struct, IUnaryFunction
    {
        ref float xr = ref MemoryMarshal.GetReference(x);
        ref float yr = ref MemoryMarshal.GetReference(y);
        ref float gr = ref MemoryMarshal.GetReference(dy);
        var (vm, va) = (Vector256.Create(mean), Vector256.Create(alpha));
        double sum = 0, centred = 0;
        int i = 0;
        while (i <= x.Length - Vector256<float>.Count)
        {
            int end = Math.Min(x.Length, i + ReductionLoops.Block) - Vector256<float>.Count;
            Vector256<float> s1 = default, s2 = default;
            for (; i <= end; i += Vector256<float>.Count)
            {
                var g = TAct.Backward(Vector256.LoadUnsafe(ref yr, (nuint)i), Vector256.LoadUnsafe(ref gr, (nuint)i), va);
                s1 += g;
                s2 = Vector256.FusedMultiplyAdd(g, Vector256.LoadUnsafe(ref xr, (nuint)i) - vm, s2);
            }
            sum += Vector256.Sum(s1);
            centred += Vector256.Sum(s2);
        }
        for (; i < x.Length; i++)
        {
            float g = TAct.Backward(y[i], dy[i], alpha);
            sum += g;
            centred += g * (x[i] - mean);
        }
        return (sum, centred);
    }

    /// <summary>dx = k·g + (x − mean)·b + d, g = dy gated by the activation's derivative at y.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void GatedData<TAct>(ReadOnlySpan<float> x, ReadOnlySpan<float> y, ReadOnlySpan<float> dy,
        float mean, float k, float b, float d, float alpha, Span<float> dx)
        where TAct : struct, IUnaryFunction
    {
        ref float xr = ref MemoryMarshal.GetReference(x);
        ref float yr = ref MemoryMarshal.GetReference(y);
        ref float gr = ref MemoryMarshal.GetReference(dy);
        ref float dr = ref MemoryMarshal.GetReference(dx);
        var (vm, vk, vb, vd, va) = (Vector256.Create(mean), Vector256.Create(k), Vector256.Create(b), Vector256.Create(d), Vector256.Create(alpha));
        int i = 0;
        for (; i <= x.Length - Vector256<float>.Count; i += Vector256<float>.Count)
        {
            var g = TAct.Backward(Vector256.LoadUnsafe(ref yr, (nuint)i), Vector256.LoadUnsafe(ref gr, (nuint)i), va);
            var r = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref xr, (nuint)i) - vm, vb, vd);
            Vector256.FusedMultiplyAdd(g, vk, r).StoreUnsafe(ref dr, (nuint)i);
        }
        for (; i < x.Length; i++)
        {
            float g = TAct.Backward(y[i], dy[i], alpha);
            dx[i] = MathF.FusedMultiplyAdd(g, k, MathF.FusedMultiplyAdd(x[i] - mean, b, d));
        }
    }
}
