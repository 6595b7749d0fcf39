using ILGPU;

namespace Gan3D.Kernels;

/// <summary>
/// One thread's staging of a GEMM whose reduction splits into whole slices of
/// <see cref="ImplicitGemmTile3.TileK"/> k with a fixed shape (the GAN's k4 s2 backward-data: one output
/// channel's 2 × 2 × 2 taps; backward-weight with an output width a multiple of 8: 8 positions of one
/// output row). Built once per thread for its row of A and column of B, so the gather of a slice is
/// loop-invariant offsets from two indices that move by a constant step.
/// </summary>
public interface ISliceStager
{
    /// <summary>
    /// Stores A[row, k] at a[64·j] and B[k, column] at b[64·j] for the current slice's k = 8s + j
    /// (zero where the gather leaves its tensor), then moves on to the next slice. A row past M or a
    /// column past N may stage anything that came from memory: it feeds only C entries that are never stored.
    /// </summary>
    void Stage(ArrayView<float> a, ArrayView<float> b);
}

/// <summary>
/// The tile loop of <see cref="ImplicitGemmTile3"/> (a 64 × 64 tile of C, 64 threads with an 8 × 8
/// register tile each, 8-deep slices in shared memory) for a GEMM staged slice by slice by an
/// <see cref="ISliceStager"/>: no per-k digit walk, no per-k bounds on the reduction (every slice is
/// whole), so the loop is the 512 FMAs, their 32 shared loads and the 16 gathers.
/// </summary>
public static class ImplicitGemmSlices3
{
    /// <summary>
    /// C[m0.., n0..] = Σ over <paramref name="slices"/> slices of A·B for this group's tile; <paramref name="s"/>
    /// is this thread's stager (row m0 + Group.IdxX of A, column n0 + Group.IdxX of B), at the first slice.
    /// </summary>
    public static void Run<T, TS>(T p, TS s, int m0, int n0, int slices) where T : struct, IImplicitGemm where TS : struct, ISliceStager
    {
        const int Stride = ImplicitGemmTile3.TileM; // = TileN: both staged slices are 8 rows of 64
        var sa = SharedMemory.Allocate<float>(ImplicitGemmTile3.TileK * Stride);
        var sb = SharedMemory.Allocate<float>(ImplicitGemmTile3.TileK * Stride);
        int tid = Group.IdxX;
        int tx = tid & 7, ty = tid >> 3;
        var c = default(Accumulator8x8);
        var stageA = sa.SubView(tid);
        var stageB = sb.SubView(tid);
        var readA = sa.SubView(ty * 8);
        var readB = sb.SubView(tx * 8);
        for (int i = 0; i < slices; i++)
        {
            // Barrier, stage, barrier, multiply: the shared loads of the FMAs stay between the barriers
            // (see ImplicitGemmTile3.Run for why the order matters).
            Group.Barrier();
            s.Stage(stageA, stageB);
            Group.Barrier();
            c.Fma(readA, readB);
            c.Fma(readA.SubView(Stride), readB.SubView(Stride));
            c.Fma(readA.SubView(2 * Stride), readB.SubView(2 * Stride));
            c.Fma(readA.SubView(3 * Stride), readB.SubView(3 * Stride));
            c.Fma(readA.SubView(4 * Stride), readB.SubView(4 * Stride));
            c.Fma(readA.SubView(5 * Stride), readB.SubView(5 * Stride));
            c.Fma(readA.SubView(6 * Stride), readB.SubView(6 * Stride));
            c.Fma(readA.SubView(7 * Stride), readB.SubView(7 * Stride));
        }
        c.Store(p, m0 + ty * 8, n0 + tx * 8);
    }
}
