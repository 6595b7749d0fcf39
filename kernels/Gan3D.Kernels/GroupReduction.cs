using ILGPU;

namespace Gan3D.Kernels;

/// <summary>
/// Sums across one explicitly grouped kernel's group of <see cref="Threads"/> threads: a shuffle tree
/// inside each 32-wide warp, then the 8 warp totals through shared memory, added by warp 0 in index
/// order. The order is fixed, so the result is the same in every run. Every thread of the group must
/// call it (it contains barriers and full-mask shuffles): never from divergent code.
/// </summary>
public static class GroupReduction
{
    /// <summary>Threads per group of the version-2 reduction kernels.</summary>
    public const int Threads = 256;

    /// <summary>Lanes per warp the shuffle tree assumes (every CUDA GPU; the CPU accelerator when so configured).</summary>
    public const int WarpSize = 32;

    /// <summary>The sum of <paramref name="value"/> over the group, valid in thread 0 (other threads get partial sums).</summary>
    public static double Sum(double value)
    {
        var warpTotals = SharedMemory.Allocate<double>(Threads / WarpSize);
        value = WarpSum(value);
        int tid = Group.IdxX;
        int lane = tid & (WarpSize - 1), warp = tid >> 5; // not Warp.WarpIdx: that compiles to a division
        if (lane == 0)
        {
            warpTotals[warp] = value;
        }
        Group.Barrier();
        double total = lane < Threads / WarpSize ? warpTotals[lane] : 0.0;
        if (warp == 0)
        {
            total = WarpSum(total);
        }
        // A second call may reuse the same shared cells: nobody may write them before warp 0 has read.
        Group.Barrier();
        return total;
    }

    /// <summary>The sum over one warp, valid in lane 0: five shuffle-down steps.</summary>
    public static double WarpSum(double value)
    {
        for (int offset = WarpSize / 2; offset > 0; offset >>= 1)
        {
            value += Warp.ShuffleDown(value, offset);
        }
        return value;
    }
}
