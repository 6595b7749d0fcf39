using ILGPU;

namespace Gan3D.Kernels;

/// <summary>
/// The small-M convolution kernels: the same implicit GEMMs as versions 2 and 3, for GEMMs with few
/// rows (one channel on a side: D's last conv forward and weight gradient with Cout = 1, G's last
/// transposed conv forward with Cin = 1) or, for the dense backward-data, with the batch as the rows.
/// A 64-row tile there multiplies 63 rows of padding; here each thread computes one column of C for a
/// block of up to <see cref="ImplicitGemmSmallM.Rows"/> rows (one row when M = 1), no shared memory.
/// Threads are flattened over (reduction chunk, column), so a batch of 32 columns split into chunks
/// still fills whole warps. With more than one chunk each chunk writes its own copy of the output
/// (a slice of a partials buffer) and <see cref="Conv3dBackwardWeightReduceKernel2"/> sums them in chunk
/// order, as backward-weight's split-K does. Grids: x = ⌈columns · chunks / 64⌉, y = ⌈M / 8⌉ (1 when
/// M = 1), z = parity classes (backward-data) or 1; groups of <see cref="ImplicitGemmSmallM.Threads"/>.
/// </summary>
public static partial class Conv3dKernels
{
    /// <summary>Small-M forward (rows = Cout).</summary>
    /// <param name="x">Input (N, Cin, Di, Hi, Wi).</param>
    /// <param name="w">Weight (Cout, Cin, Kd, Kh, Kw).</param>
    /// <param name="y">Output (N, Cout, Do, Ho, Wo), or chunks copies of it; overwritten.</param>
    /// <param name="g">The geometry.</param>
    /// <param name="kChunk">Reduction indices per chunk.</param>
    /// <param name="chunks">Number of chunks (1: y is the output).</param>
    public static void Conv3dForwardSmallMKernel(ArrayView<float> x, ArrayView<float> w, ArrayView<float> y, Conv3dGeometry g, int kChunk, int chunks)
    {
        int columns = g.N * g.OutputVolume;
        if (!ImplicitGemmSmallM.Locate(columns, chunks, out int n, out int z))
        {
            return;
        }
        int size = g.N * g.Cout * g.OutputVolume;
        var p = new ForwardGemm { X = x, W = w, Y = y.SubView((long)z * size, size), G = g };
        ImplicitGemmSmallM.Chunk(p, Grid.IdxY * ImplicitGemmSmallM.Rows, n, z, kChunk, g.Cin * g.KernelVolume);
    }

    /// <summary>Small-M backward-data of parity class z (rows = Cin).</summary>
    /// <param name="dy">Output gradient (N, Cout, Do, Ho, Wo).</param>
    /// <param name="w">Weight (Cout, Cin, Kd, Kh, Kw).</param>
    /// <param name="dx">Input gradient (N, Cin, Di, Hi, Wi), or chunks copies of it; overwritten.</param>
    /// <param name="g">The geometry.</param>
    /// <param name="kChunk">Reduction indices per chunk.</param>
    /// <param name="chunks">Number of chunks (1: dx is the input gradient).</param>
    public static void Conv3dBackwardDataSmallMKernel(ArrayView<float> dy, ArrayView<float> w, ArrayView<float> dx, Conv3dGeometry g, int kChunk, int chunks)
    {
        var p = BackwardDataClass(dy, w, dx, g, Grid.IdxZ);
        if (!ImplicitGemmSmallM.Locate(p.N, chunks, out int n, out int z))
        {
            return;
        }
        int size = g.N * g.Cin * g.InputVolume;
        p.Dx = dx.SubView((long)z * size, size);
        ImplicitGemmSmallM.Chunk(p, Grid.IdxY * ImplicitGemmSmallM.Rows, n, z, kChunk, g.Cout * p.Ad.Taps * p.Ah.Taps * p.Aw.Taps);
    }

    /// <summary>
    /// Small-M backward-data with a 1³ unpadded output, transposed so the batch is the rows:
    /// dX[n, (ci, k)] = Σ_co dY[n, co] · W[co, (ci, k)] (rows = N, columns = Cin·Kd·Kh·Kw).
    /// </summary>
    /// <param name="dy">Output gradient (N, Cout, 1, 1, 1).</param>
    /// <param name="w">Weight (Cout, Cin, Kd, Kh, Kw).</param>
    /// <param name="dx">Input gradient (N, Cin, Kd, Kh, Kw), or chunks copies of it; overwritten.</param>
    /// <param name="g">The geometry.</param>
    /// <param name="kChunk">Reduction indices per chunk.</param>
    /// <param name="chunks">Number of chunks (1: dx is the input gradient).</param>
    public static void Conv3dBackwardDataDenseSmallMKernel(ArrayView<float> dy, ArrayView<float> w, ArrayView<float> dx, Conv3dGeometry g, int kChunk, int chunks)
    {
        int columns = g.Cin * g.KernelVolume;
        if (!ImplicitGemmSmallM.Locate(columns, chunks, out int n, out int z))
        {
            return;
        }
        int size = g.N * columns;
        var p = new DenseBackwardDataByBatchGemm { Dy = dy, W = w, Dx = dx.SubView((long)z * size, size), Columns = columns, Batch = g.N, Cout = g.Cout };
        ImplicitGemmSmallM.Chunk(p, Grid.IdxY * ImplicitGemmSmallM.Rows, n, z, kChunk, g.Cout);
    }

    /// <summary>Small-M backward-weight (rows = Cout); partials laid out as <see cref="Conv3dBackwardWeightKernel2"/>'s.</summary>
    /// <param name="x">Input (N, Cin, Di, Hi, Wi).</param>
    /// <param name="dy">Output gradient (N, Cout, Do, Ho, Wo).</param>
    /// <param name="partials">Output (chunks, Cout, Cin, Kd, Kh, Kw), overwritten.</param>
    /// <param name="g">The geometry.</param>
    /// <param name="kChunk">Reduction indices per chunk.</param>
    /// <param name="chunks">Number of chunks (1: partials is the weight gradient).</param>
    public static void Conv3dBackwardWeightSmallMKernel(ArrayView<float> x, ArrayView<float> dy, ArrayView<float> partials, Conv3dGeometry g, int kChunk, int chunks)
    {
        int columns = g.Cin * g.KernelVolume;
        if (!ImplicitGemmSmallM.Locate(columns, chunks, out int n, out int z))
        {
            return;
        }
        var p = new BackwardWeightGemm { X = x, Dy = dy, Out = partials, G = g, Columns = columns, Offset = z * g.Cout * columns };
        ImplicitGemmSmallM.Chunk(p, Grid.IdxY * ImplicitGemmSmallM.Rows, n, z, kChunk, g.N * g.OutputVolume);
    }

    /// <summary>Dense backward-data by batch rows: A[n, co] = dY[n, co], B[co, (ci, k)] = W[co, (ci, k)], C → dX[n, (ci, k)].</summary>
    private struct DenseBackwardDataByBatchGemm : ITapGemm
    {
        public ArrayView<float> Dy, W, Dx;
        public int Columns, Batch, Cout;

        public readonly int M => Batch;

        public readonly int N => Columns;

        public readonly int R1 => 1;

        public readonly int R2 => 1;

        public readonly int R3 => 1;

        public readonly float A(int m, int k) => Dy[m * Cout + k];

        public readonly GemmColumn Column(int n) => new() { Base = n };

        public readonly float B(int k, GemmColumn c) => W[k * Columns + c.Base];

        public readonly void Store(int m, int n, float value) => Dx[m * Columns + n] = value;

        public readonly GemmColumn Row(int m) => new() { Base = m * Cout };

        public readonly float A(GemmColumn row, int k, GemmTap t) => Dy[row.Base + k];

        public readonly float B(GemmTap t, GemmColumn c) => W[t.D0 * Columns + c.Base];
    }
}

/// <summary>
/// The loop of the small-M kernels: one thread, one column of C, a block of rows, a range of the
/// reduction walked one k at a time with a <see cref="GemmTap"/> (no division per k, no barrier).
/// A[m, k] is the same for every thread of a chunk, so a warp's A loads are broadcasts; B is the gather.
/// </summary>
public static class ImplicitGemmSmallM
{
    /// <summary>Threads per group.</summary>
    public const int Threads = 64;

    /// <summary>Rows of C per thread (a block of the grid's y).</summary>
    public const int Rows = 8;

    /// <summary>This thread's column n and chunk z (columns fastest); false past the last chunk.</summary>
    public static bool Locate(int columns, int chunks, out int n, out int z)
    {
        int t = Grid.IdxX * Threads + Group.IdxX;
        if (columns == 0)
        {
            (n, z) = (0, 0);
            return false; // a parity class with no position (the input is shorter than the stride)
        }
        z = t / columns;
        n = t - z * columns;
        return z < chunks;
    }

    /// <summary>Chunk z of the reduction [0, k): C[m0.., n] for indices [z·kChunk, (z + 1)·kChunk) ∩ [0, k) (zeros when empty).</summary>
    public static void Chunk<T>(T p, int m0, int n, int z, int kChunk, int k) where T : struct, ITapGemm
    {
        int kBegin = Math.Min(z * kChunk, k);
        Run(p, m0, n, kBegin, Math.Min(kBegin + kChunk, k));
    }

    /// <summary>C[m, n] = Σ over k in [kBegin, kEnd) of A[m, k]·B[k, n], for rows m0 .. min(m0 + 8, M) − 1.</summary>
    public static void Run<T>(T p, int m0, int n, int kBegin, int kEnd) where T : struct, ITapGemm
    {
        var column = p.Column(n);
        int r1 = p.R1, r2 = p.R2, r3 = p.R3;
        var tap = kBegin < kEnd ? ImplicitGemmTile3.Decode(kBegin, r1, r2, r3) : default;
        int rows = p.M - m0;
        var row0 = p.Row(m0);
        if (rows == 1)
        {
            // One channel on the side (the GAN's cases): one FMA per gathered B, nothing predicated.
            float s = 0f;
            for (int k = kBegin; k < kEnd; k++)
            {
                s += p.A(row0, k, tap) * p.B(tap, column);
                ImplicitGemmTile3.Advance(ref tap, r1, r2, r3);
            }
            p.Store(m0, n, s);
            return;
        }
        // Up to 8 rows: rows past M load no A (the predicate is the same for the whole group).
        bool i2 = rows > 2, i3 = rows > 3, i4 = rows > 4, i5 = rows > 5, i6 = rows > 6, i7 = rows > 7;
        GemmColumn row1 = p.Row(m0 + 1), row2 = p.Row(m0 + 2), row3 = p.Row(m0 + 3), row4 = p.Row(m0 + 4);
        GemmColumn row5 = p.Row(m0 + 5), row6 = p.Row(m0 + 6), row7 = p.Row(m0 + 7);
        float c0 = 0f, c1 = 0f, c2 = 0f, c3 = 0f, c4 = 0f, c5 = 0f, c6 = 0f, c7 = 0f;
        for (int k = kBegin; k < kEnd; k++)
        {
            float b = p.B(tap, column);
            c0 += p.A(row0, k, tap) * b;
            c1 += p.A(row1, k, tap) * b;
            c2 += (i2 ? p.A(row2, k, tap) : 0f) * b;
            c3 += (i3 ? p.A(row3, k, tap) : 0f) * b;
            c4 += (i4 ? p.A(row4, k, tap) : 0f) * b;
            c5 += (i5 ? p.A(row5, k, tap) : 0f) * b;
            c6 += (i6 ? p.A(row6, k, tap) : 0f) * b;
            c7 += (i7 ? p.A(row7, k, tap) : 0f) * b;
            ImplicitGemmTile3.Advance(ref tap, r1, r2, r3);
        }
        p.Store(m0, n, c0);
        p.Store(m0 + 1, n, c1);
        if (i2)
        {
            p.Store(m0 + 2, n, c2);
        }
        if (i3)
        {
            p.Store(m0 + 3, n, c3);
        }
        if (i4)
        {
            p.Store(m0 + 4, n, c4);
        }
        if (i5)
        {
            p.Store(m0 + 5, n, c5);
        }
        if (i6)
        {
            p.Store(m0 + 6, n, c6);
        }
        if (i7)
        {
            p.Store(m0 + 7, n, c7);
        }
    }
}
