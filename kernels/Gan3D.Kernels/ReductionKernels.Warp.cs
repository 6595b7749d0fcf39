using ILGPU;

namespace Gan3D.Kernels;

/// <summary>
/// Version 2 of the stage-1 reductions: a group of <see cref="GroupReduction.Threads"/> threads per
/// partial instead of one thread, each thread striding over the elements (adjacent threads read
/// adjacent elements) and the group summing with warp shuffles (<see cref="GroupReduction"/>).
/// Stage 2 is unchanged (<see cref="FinalizeSumKernel"/>). Deterministic: P and the group size are fixed
/// by the backend from the size alone.
/// </summary>
public static partial class ReductionKernels
{
    /// <summary>partials[j] = Σ x[e] over e ≡ j·256 + t (mod P·256), t &lt; 256. Grid (P), groups of 256.</summary>
    /// <param name="x">Input (n).</param>
    /// <param name="partials">Output (P), float64.</param>
    /// <param name="p">n and P.</param>
    public static void PartialSumKernel2(ArrayView<float> x, ArrayView<double> partials, ReduceParams p)
    {
        int stride = p.Partials * GroupReduction.Threads;
        double acc = 0;
        for (int e = Grid.IdxX * GroupReduction.Threads + Group.IdxX; e < p.Length; e += stride)
        {
            acc += x[e];
        }
        acc = GroupReduction.Sum(acc);
        if (Group.IdxX == 0)
        {
            partials[Grid.IdxX] = acc;
        }
    }

    /// <summary>
    /// partials[c·P + j] = the part j of channel c's sum over N and S. Grid (P, C), groups of 256.
    /// </summary>
    /// <param name="x">Input (N, C, S).</param>
    /// <param name="partials">Output (C, P), float64.</param>
    /// <param name="p">N, C, S and P.</param>
    public static void ChannelPartialSumKernel2(ArrayView<float> x, ArrayView<double> partials, ChannelReduceParams p)
    {
        int c = Grid.IdxY, j = Grid.IdxX;
        int count = p.N * p.S, stride = p.Partials * GroupReduction.Threads;
        double acc = 0;
        for (int e = j * GroupReduction.Threads + Group.IdxX; e < count; e += stride)
        {
            int n = e / p.S;
            acc += x[(n * p.C + c) * p.S + e - n * p.S];
        }
        acc = GroupReduction.Sum(acc);
        if (Group.IdxX == 0)
        {
            partials[c * p.Partials + j] = acc;
        }
    }
}
