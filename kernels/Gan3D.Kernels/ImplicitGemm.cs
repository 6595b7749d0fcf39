using ILGPU;

namespace Gan3D.Kernels;

/// <summary>
/// Where a column of B starts in its tensor: a base offset and the first (depth, height, width)
/// coordinates its taps or positions are counted from. Decoded once per thread, since a thread loads
/// the same column of B in every step of the reduction.
/// </summary>
public struct GemmColumn
{
    public int Base, D, H, W;
}

/// <summary>
/// One implicit GEMM, C (M × N) = A (M × K) · B (K × N), whose operands are gathered from tensors on
/// the fly (no im2col buffer). The convolution kernels each supply one; the tile engine
/// <see cref="ImplicitGemmTile"/> drives it. Out-of-range indices never reach these methods.
/// </summary>
public interface IImplicitGemm
{
    int M { get; }

    int N { get; }

    /// <summary>A[m, k].</summary>
    float A(int m, int k);

    /// <summary>The index arithmetic of column n of B and C that does not depend on k.</summary>
    GemmColumn Column(int n);

    /// <summary>B[k, n] for the column <paramref name="column"/> = Column(n) (zero where the gather leaves the tensor).</summary>
    float B(int k, GemmColumn column);

    /// <summary>C[m, n] = value.</summary>
    void Store(int m, int n, float value);
}

/// <summary>
/// The shared-memory tile loop of the version-2 convolution kernels (an explicitly grouped kernel
/// calls <see cref="Run{T}"/> once per group). A group of 256 threads computes a 64 × 64 tile of C:
/// each step stages an 8-deep slice of A (64 × 8) and of B (8 × 64) in shared memory, then every
/// thread accumulates a 4 × 4 register tile (rows ty + 16i, columns tx + 16j: the strided layout reads
/// shared memory without bank conflicts and stores C coalesced).
/// Global loads: A with k fastest (weights and output gradients are contiguous along the reduction),
/// B with n fastest (positions are contiguous along the width). They are scalar: a gather has no
/// alignment a vector load could rely on.
/// </summary>
public static class ImplicitGemmTile
{
    /// <summary>Rows of C per group.</summary>
    public const int TileM = 64;

    /// <summary>Columns of C per group.</summary>
    public const int TileN = 64;

    /// <summary>Depth of the reduction staged per step.</summary>
    public const int TileK = 8;

    /// <summary>Threads per group: (TileM / 4) · (TileN / 4), one 4 × 4 register tile each.</summary>
    public const int Threads = 256;

    /// <summary>
    /// Row stride of the staged A slice: 68, not 64, so that the 32 threads of a warp storing 4 rows
    /// × 8 k land on 32 different banks (with 64 the 8 k of one row would share a bank).
    /// </summary>
    private const int AStride = TileM + 4;

    /// <summary>C[m0.., n0..] = Σ over k in [kBegin, kEnd) of A[m, k]·B[k, n] for this group's tile.</summary>
    public static void Run<T>(T p, int m0, int n0, int kBegin, int kEnd) where T : struct, IImplicitGemm
    {
        var sa = SharedMemory.Allocate<float>(TileK * AStride);
        var sb = SharedMemory.Allocate<float>(TileK * TileN);
        int tid = Group.IdxX;
        int tx = tid & 15, ty = tid >> 4;

        // Staging assignment. A: k = tid & 7, rows tid >> 3 and tid >> 3 + 32. B: column tid & 63, k rows tid >> 6 and + 4.
        int ak = tid & 7, am = tid >> 3;
        int am0 = m0 + am, am1 = am0 + 32;
        bool aIn0 = am0 < p.M, aIn1 = am1 < p.M;
        int bn = tid & 63, bk = tid >> 6;
        bool bIn = n0 + bn < p.N;
        var column = p.Column(n0 + bn);

        float c00 = 0f, c01 = 0f, c02 = 0f, c03 = 0f;
        float c10 = 0f, c11 = 0f, c12 = 0f, c13 = 0f;
        float c20 = 0f, c21 = 0f, c22 = 0f, c23 = 0f;
        float c30 = 0f, c31 = 0f, c32 = 0f, c33 = 0f;

        for (int k0 = kBegin; k0 < kEnd; k0 += TileK)
        {
            int ka = k0 + ak;
            bool kaIn = ka < kEnd;
            sa[ak * AStride + am] = aIn0 && kaIn ? p.A(am0, ka) : 0f;
            sa[ak * AStride + am + 32] = aIn1 && kaIn ? p.A(am1, ka) : 0f;
            int kb0 = k0 + bk, kb1 = kb0 + 4;
            sb[bk * TileN + bn] = bIn && kb0 < kEnd ? p.B(kb0, column) : 0f;
            sb[(bk + 4) * TileN + bn] = bIn && kb1 < kEnd ? p.B(kb1, column) : 0f;
            Group.Barrier();

            for (int kk = 0; kk < TileK; kk++)
            {
                int ra = kk * AStride + ty, rb = kk * TileN + tx;
                float a0 = sa[ra], a1 = sa[ra + 16], a2 = sa[ra + 32], a3 = sa[ra + 48];
                float b0 = sb[rb], b1 = sb[rb + 16], b2 = sb[rb + 32], b3 = sb[rb + 48];
                c00 += a0 * b0; c01 += a0 * b1; c02 += a0 * b2; c03 += a0 * b3;
                c10 += a1 * b0; c11 += a1 * b1; c12 += a1 * b2; c13 += a1 * b3;
                c20 += a2 * b0; c21 += a2 * b1; c22 += a2 * b2; c23 += a2 * b3;
                c30 += a3 * b0; c31 += a3 * b1; c32 += a3 * b2; c33 += a3 * b3;
            }
            Group.Barrier();
        }

        int m = m0 + ty, n = n0 + tx;
        StoreRow(p, m, n, c00, c01, c02, c03);
        StoreRow(p, m + 16, n, c10, c11, c12, c13);
        StoreRow(p, m + 32, n, c20, c21, c22, c23);
        StoreRow(p, m + 48, n, c30, c31, c32, c33);
    }

    private static void StoreRow<T>(T p, int m, int n, float v0, float v1, float v2, float v3) where T : struct, IImplicitGemm
    {
        if (m >= p.M)
        {
            return;
        }
        if (n < p.N)
        {
            p.Store(m, n, v0);
        }
        if (n + 16 < p.N)
        {
            p.Store(m, n + 16, v1);
        }
        if (n + 32 < p.N)
        {
            p.Store(m, n + 32, v2);
        }
        if (n + 48 < p.N)
        {
            p.Store(m, n + 48, v3);
        }
    }
}
