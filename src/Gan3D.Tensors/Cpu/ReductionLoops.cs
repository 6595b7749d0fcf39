using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Gan3D.Tensors;

/// <summary>
/// Row sums for the CPU backend's reductions. A row is summed in float vector lanes in blocks of
/// <see cref="Block"/> elements and the blocks in float64, so a lane never adds more than Block/8
/// values in float. <see cref="MethodImplOptions.AggressiveOptimization"/> for the reason
/// <see cref="UnaryLoops"/> gives.
/// </summary>
internal static class ReductionLoops
{
    public const int Block = 1024;

    /// <summary>Σ x.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static double Sum(ReadOnlySpan<float> x)
    {
        ref float xr = ref MemoryMarshal.GetReference(x);
        double sum = 0;
        int i = 0;
        while (i <= x.Length - Vector256<float>.Count)
        {
            int end = Math.Min(x.Length, i + Block) - Vector256<float>.Count;
            Vector256<float> s = default;
            for (; i <= end; i += Vector256<float>.Count)
            {
                s += Vector256.LoadUnsafe(ref xr, (nuint)i);
            }
            sum += Vector256.Sum(s);
        }
        for (; i < x.Length; i++)
        {
            sum += x[i];
        }
        return sum;
    }

    /// <summary>(Σ (x − shift), Σ (x − shift)²) over a row.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static (double Sum, double Squares) ShiftedSums(ReadOnlySpan<float> x, float shift)
    {
        ref float xr = ref MemoryMarshal.GetReference(x);
        double sum = 0, squares = 0;
        var vs = Vector256.Create(shift);
        int i = 0;
        while (i <= x.Length - Vector256<float>.Count)
        {
            int end = Math.Min(x.Length, i + Block) - Vector256<float>.Count;
            Vector256<float> s1 = default, s2 = default;
            for (; i <= end; i += Vector256<float>.Count)
            {
                var d = Vector256.LoadUnsafe(ref xr, (nuint)i) - vs;
                s1 += d;
                s2 = Vector256.FusedMultiplyAdd(d, d, s2);
            }
            sum += Vector256.Sum(s1);
            squares += Vector256.Sum(s2);
        }
        for (; i < x.Length; i++)
        {
            float d = x[i] - shift;
            sum += d;
            squares += d * d;
        }
        return (sum, squares);
    }
}
