using ILGPU;

namespace Gan3D.Kernels;

/// <summary>A whole-tensor reduction split into <see cref="Partials"/> interleaved slices.</summary>
public struct ReduceParams
{
    /// <summary>Elements reduced (n).</summary>
    public int Length;

    /// <summary>Partial sums P: thread j takes elements j, j + P, j + 2P, … (adjacent threads read adjacent elements).</summary>
    public int Partials;
}

/// <summary>A per-channel reduction of an (N, C, S) tensor over N and S, each channel split into <see cref="Partials"/> slices.</summary>
public struct ChannelReduceParams
{
    public int N, C, S;

    /// <summary>Partial sums P per channel: thread j of channel c takes elements j, j + P, … of that channel's N·S.</summary>
    public int Partials;
}

/// <summary>How <see cref="ReductionKernels.FinalizeSumKernel"/> turns P partials into one value: (Σ partials) · Multiplier / Divisor.</summary>
public struct FinalizeParams
{
    public int Partials;
    public double Multiplier;
    public double Divisor;
}

/// <summary>
/// Deterministic reductions in two stages, with no atomics and no shared memory, so the result is
/// the same on every device and in every run:
/// 1. P threads (per row) each sum an interleaved slice in float64 and write a partial;
/// 2. one thread per row adds its P partials in index order, in float64, and writes the float32 result.
/// P depends only on the size (the backend chooses it), never on the device.
/// Versions: 1 (this), 2 (ReductionKernels.Warp.cs: a group per partial, summed with warp shuffles).
/// </summary>
public static partial class ReductionKernels
{
    /// <summary>partials[j] = Σ x[j + k·P].</summary>
    /// <param name="index">One thread per partial: P threads.</param>
    /// <param name="x">Input (n).</param>
    /// <param name="partials">Output (P), float64.</param>
    /// <param name="p">n and P.</param>
    public static void PartialSumKernel(Index1D index, ArrayView<float> x, ArrayView<double> partials, ReduceParams p)
    {
        double acc = 0;
        for (int e = index; e < p.Length; e += p.Partials)
        {
            acc += x[e];
        }
        partials[index] = acc;
    }

    /// <summary>partials[c·P + j] = Σ over the elements j, j + P, … of channel c (over N and S) of x.</summary>
    /// <param name="index">One thread per (channel, partial): C·P threads.</param>
    /// <param name="x">Input (N, C, S).</param>
    /// <param name="partials">Output (C, P), float64.</param>
    /// <param name="p">N, C, S and P.</param>
    public static void ChannelPartialSumKernel(Index1D index, ArrayView<float> x, ArrayView<double> partials, ChannelReduceParams p)
    {
        int c = index / p.Partials;
        int j = index - c * p.Partials;
        int count = p.N * p.S;
        double acc = 0;
        for (int e = j; e < count; e += p.Partials)
        {
            int n = e / p.S;
            acc += x[(n * p.C + c) * p.S + e - n * p.S];
        }
        partials[index] = acc;
    }

    /// <summary>y[r] = (Σ_j partials[r·P + j]) · Multiplier / Divisor, summed in index order.</summary>
    /// <param name="index">One thread per row (1 for a scalar, C for channels).</param>
    /// <param name="partials">Input (rows, P), float64.</param>
    /// <param name="y">Output (rows).</param>
    /// <param name="p">P, multiplier and divisor.</param>
    public static void FinalizeSumKernel(Index1D index, ArrayView<double> partials, ArrayView<float> y, FinalizeParams p)
    {
        double acc = 0;
        int start = index * p.Partials;
        for (int j = 0; j < p.Partials; j++)
        {
            acc += partials[start + j];
        }
        y[index] = (float)(acc * p.Multiplier / p.Divisor);
    }

    /// <summary>y[i] = scale · s[0] (the backward of a sum; s stays on the device).</summary>
    /// <param name="index">One thread per element of y.</param>
    /// <param name="s">A one-element tensor (1).</param>
    /// <param name="y">Output (n).</param>
    /// <param name="scale">The factor.</param>
    public static void BroadcastScalarKernel(Index1D index, ArrayView<float> s, ArrayView<float> y, float scale)
    {
        y[index] = s[0] * scale;
    }
}
