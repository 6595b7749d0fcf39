using ILGPU;

namespace Gan3D.Kernels;

/// <summary>
/// The tile loop of the TF32 convolution kernels: the version-2 contract (<see cref="ImplicitGemmTile"/>:
/// an <see cref="IImplicitGemm"/>, a 64 × 64 tile of C per group of 256 threads, 8-deep reduction slices
/// staged in shared memory, the same grids), with the products on tensor cores: each of the 8 warps owns
/// a 16 × 32 block of the tile (rows 16·(warp mod 4), columns 32·(warp / 4)) and runs four
/// m16n8k8 <see cref="MmaTf32.Mma"/> per slice, one per 8-column block.
/// Operands are rounded to TF32 (<see cref="MmaTf32.Round"/>) as they are staged, once per element, so the
/// tensor cores and the emulator multiply the same values; accumulation stays float32.
/// Shared memory holds both slices k-major with a row stride of 72 floats: a fragment load (lane (g, t)
/// reads k = t, row or column g) then touches banks 8t + g, 32 different ones.
/// </summary>
public static class ImplicitGemmTileTf32
{
    /// <summary>Rows of C per group.</summary>
    public const int TileM = 64;

    /// <summary>Columns of C per group.</summary>
    public const int TileN = 64;

    /// <summary>Depth of the reduction staged per step: one mma's k.</summary>
    public const int TileK = 8;

    /// <summary>Threads per group: 8 warps of 32.</summary>
    public const int Threads = 256;

    /// <summary>Row stride of both staged slices (≡ 8 mod 32: conflict-free fragment loads, see the class comment).</summary>
    private const int Stride = TileM + 8;

    /// <summary>C[m0.., n0..] = Σ over k in [kBegin, kEnd) of A[m, k]·B[k, n] for this group's tile, on TF32-rounded A and B.</summary>
    public static void Run<T>(T p, int m0, int n0, int kBegin, int kEnd) where T : struct, IImplicitGemm
    {
        var sa = SharedMemory.Allocate<float>(TileK * Stride);
        var sb = SharedMemory.Allocate<float>(TileK * Stride);
        int tid = Group.IdxX;

        // Staging as version 2. A: k = tid & 7, rows tid >> 3 and tid >> 3 + 32. B: column tid & 63, k rows tid >> 6 and + 4.
        int ak = tid & 7, am = tid >> 3;
        int am0 = m0 + am, am1 = am0 + 32;
        bool aIn0 = am0 < p.M, aIn1 = am1 < p.M;
        int bn = tid & 63, bk = tid >> 6;
        bool bIn = n0 + bn < p.N;
        var column = p.Column(n0 + bn);

        // Fragments (MmaTf32's layout): lane (g, t) reads A rows wm + g (+ 8) at k = t (+ 4) and
        // B columns wn + 8j + g at k = t (+ 4).
        int warp = tid >> 5, lane = tid & 31;
        int g = lane >> 2, t = lane & 3;
        int wm = (warp & 3) * 16, wn = (warp >> 2) * 32;
        int ra = t * Stride + wm + g, rb = t * Stride + wn + g;
        const int K4 = 4 * Stride;

        // Accumulators of the four 16 × 8 blocks j: cj0 = C[g, 2t], cj1 = C[g, 2t + 1], cj2 = C[g + 8, 2t], cj3 = C[g + 8, 2t + 1].
        float c00 = 0f, c01 = 0f, c02 = 0f, c03 = 0f;
        float c10 = 0f, c11 = 0f, c12 = 0f, c13 = 0f;
        float c20 = 0f, c21 = 0f, c22 = 0f, c23 = 0f;
        float c30 = 0f, c31 = 0f, c32 = 0f, c33 = 0f;

        for (int k0 = kBegin; k0 < kEnd; k0 += TileK)
        {
            int ka = k0 + ak;
            bool kaIn = ka < kEnd;
            sa[ak * Stride + am] = aIn0 && kaIn ? MmaTf32.Round(p.A(am0, ka)) : 0f;
            sa[ak * Stride + am + 32] = aIn1 && kaIn ? MmaTf32.Round(p.A(am1, ka)) : 0f;
            int kb0 = k0 + bk, kb1 = kb0 + 4;
            sb[bk * Stride + bn] = bIn && kb0 < kEnd ? MmaTf32.Round(p.B(kb0, column)) : 0f;
            sb[(bk + 4) * Stride + bn] = bIn && kb1 < kEnd ? MmaTf32.Round(p.B(kb1, column)) : 0f;
            Group.Barrier();

            float a0 = sa[ra], a1 = sa[ra + 8], a2 = sa[ra + K4], a3 = sa[ra + K4 + 8];
            MmaTf32.Mma(ref c00, ref c01, ref c02, ref c03, a0, a1, a2, a3, sb[rb], sb[rb + K4]);
            MmaTf32.Mma(ref c10, ref c11, ref c12, ref c13, a0, a1, a2, a3, sb[rb + 8], sb[rb + K4 + 8]);
            MmaTf32.Mma(ref c20, ref c21, ref c22, ref c23, a0, a1, a2, a3, sb[rb + 16], sb[rb + K4 + 16]);
            MmaTf32.Mma(ref c30, ref c31, ref c32, ref c33, a0, a1, a2, a3, sb[rb + 24], sb[rb + K4 + 24]);
            Group.Barrier();
        }

        int m = m0 + wm + g, n = n0 + wn + 2 * t;
        StoreBlock(p, m, n, c00, c01, c02, c03);
        StoreBlock(p, m, n + 8, c10, c11, c12, c13);
        StoreBlock(p, m, n + 16, c20, c21, c22, c23);
        StoreBlock(p, m, n + 24, c30, c31, c32, c33);
    }

    /// <summary>A lane's four values of one 16 × 8 block: (m, n), (m, n + 1), (m + 8, n), (m + 8, n + 1), those inside C.</summary>
    private static void StoreBlock<T>(T p, int m, int n, float v0, float v1, float v2, float v3) where T : struct, IImplicitGemm
    {
        bool n0In = n < p.N, n1In = n + 1 < p.N;
        if (m < p.M)
        {
            if (n0In)
            {
                p.Store(m, n, v0);
            }
            if (n1In)
            {
                p.Store(m, n + 1, v1);
            }
        }
        if (m + 8 < p.M)
        {
            if (n0In)
            {
                p.Store(m + 8, n, v2);
            }
            if (n1In)
            {
                p.Store(m + 8, n + 1, v3);
            }
        }
    }
}
