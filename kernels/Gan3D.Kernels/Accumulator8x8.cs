using ILGPU;

namespace Gan3D.Kernels;

/// <summary>
/// The 8 × 8 register tile of <see cref="ImplicitGemmTile3"/>: 64 scalar fields, written out because
/// ILGPU 1.5.3 does not unroll loops and a local array would live in slow local memory. Row i of the
/// tile is C row m + i, column j is C column n + j.
/// </summary>
internal struct Accumulator8x8
{
    public float c00, c01, c02, c03, c04, c05, c06, c07, c10, c11, c12, c13, c14, c15, c16, c17, c20, c21, c22, c23, c24, c25, c26, c27, c30, c31, c32, c33, c34, c35, c36, c37;
    public float c40, c41, c42, c43, c44, c45, c46, c47, c50, c51, c52, c53, c54, c55, c56, c57, c60, c61, c62, c63, c64, c65, c66, c67, c70, c71, c72, c73, c74, c75, c76, c77;

    /// <summary>
    /// One k: c[i, j] += a[i]·b[j], a and b views into shared memory. Constant indices into a view let
    /// ptxas fold them into the loads' address offsets (a computed index is widened from 32 bits
    /// after the add, which it cannot fold) and merge each 8 consecutive floats into two 128-bit loads.
    /// </summary>
    public void Fma(ArrayView<float> a, ArrayView<float> b)
    {
        float a0 = a[0], a1 = a[1], a2 = a[2], a3 = a[3], a4 = a[4], a5 = a[5], a6 = a[6], a7 = a[7];
        float b0 = b[0], b1 = b[1], b2 = b[2], b3 = b[3], b4 = b[4], b5 = b[5], b6 = b[6], b7 = b[7];
        c00 += a0 * b0; c01 += a0 * b1; c02 += a0 * b2; c03 += a0 * b3; c04 += a0 * b4; c05 += a0 * b5; c06 += a0 * b6; c07 += a0 * b7;
        c10 += a1 * b0; c11 += a1 * b1; c12 += a1 * b2; c13 += a1 * b3; c14 += a1 * b4; c15 += a1 * b5; c16 += a1 * b6; c17 += a1 * b7;
        c20 += a2 * b0; c21 += a2 * b1; c22 += a2 * b2; c23 += a2 * b3; c24 += a2 * b4; c25 += a2 * b5; c26 += a2 * b6; c27 += a2 * b7;
        c30 += a3 * b0; c31 += a3 * b1; c32 += a3 * b2; c33 += a3 * b3; c34 += a3 * b4; c35 += a3 * b5; c36 += a3 * b6; c37 += a3 * b7;
        c40 += a4 * b0; c41 += a4 * b1; c42 += a4 * b2; c43 += a4 * b3; c44 += a4 * b4; c45 += a4 * b5; c46 += a4 * b6; c47 += a4 * b7;
        c50 += a5 * b0; c51 += a5 * b1; c52 += a5 * b2; c53 += a5 * b3; c54 += a5 * b4; c55 += a5 * b5; c56 += a5 * b6; c57 += a5 * b7;
        c60 += a6 * b0; c61 += a6 * b1; c62 += a6 * b2; c63 += a6 * b3; c64 += a6 * b4; c65 += a6 * b5; c66 += a6 * b6; c67 += a6 * b7;
        c70 += a7 * b0; c71 += a7 * b1; c72 += a7 * b2; c73 += a7 * b3; c74 += a7 * b4; c75 += a7 * b5; c76 += a7 * b6; c77 += a7 * b7;
    }

    /// <summary>Writes the tile to C[m + i, n + j], skipping rows and columns past the matrix.</summary>
    public readonly void Store<T>(T p, int m, int n) where T : struct, IImplicitGemm
    {
        Row(p, m, n, c00, c01, c02, c03, c04, c05, c06, c07);
        Row(p, m + 1, n, c10, c11, c12, c13, c14, c15, c16, c17);
        Row(p, m + 2, n, c20, c21, c22, c23, c24, c25, c26, c27);
        Row(p, m + 3, n, c30, c31, c32, c33, c34, c35, c36, c37);
        Row(p, m + 4, n, c40, c41, c42, c43, c44, c45, c46, c47);
        Row(p, m + 5, n, c50, c51, c52, c53, c54, c55, c56, c57);
        Row(p, m + 6, n, c60, c61, c62, c63, c64, c65, c66, c67);
        Row(p, m + 7, n, c70, c71, c72, c73, c74, c75, c76, c77);
    }

    private static void Row<T>(T p, int m, int n, float v0, float v1, float v2, float v3, float v4, float v5, float v6, float v7)
        where T : struct, IImplicitGemm
    {
        if (m >= p.M)
        {
            return;
        }
        if (n < p.N)
        {
            p.Store(m, n, v0);
        }
        if (n + 1 < p.N)
        {
            p.Store(m, n + 1, v1);
        }
        if (n + 2 < p.N)
        {
            p.Store(m, n + 2, v2);
        }
        if (n + 3 < p.N)
        {
            p.Store(m, n + 3, v3);
        }
        if (n + 4 < p.N)
        {
            p.Store(m, n + 4, v4);
        }
        if (n + 5 < p.N)
        {
            p.Store(m, n + 5, v5);
        }
        if (n + 6 < p.N)
        {
            p.Store(m, n + 6, v6);
        }
        if (n + 7 < p.N)
        {
            p.Store(m, n + 7, v7);
        }
    }
}
