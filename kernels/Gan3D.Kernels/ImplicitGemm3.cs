using ILGPU;

namespace Gan3D.Kernels;

/// <summary>
/// A reduction index k of a convolution GEMM as four mixed-radix digits (D0 slowest): (ci, kd, kh, kw)
/// forward, (co, td, th, tw) backward-data, (n, od, oh, ow) backward-weight. Decoded once per thread
/// and then advanced one k at a time, so the gather costs no integer division.
/// </summary>
public struct GemmTap
{
    public int D0, D1, D2, D3;
}

/// <summary>An <see cref="IImplicitGemm"/> whose B can be gathered from a decoded <see cref="GemmTap"/>.</summary>
public interface ITapGemm : IImplicitGemm
{
    /// <summary>Radix of digit 1 (digit 0 is unbounded).</summary>
    int R1 { get; }

    /// <summary>Radix of digit 2.</summary>
    int R2 { get; }

    /// <summary>Radix of digit 3 (fastest).</summary>
    int R3 { get; }

    /// <summary>B[k, n] for k = <paramref name="tap"/> and the column <paramref name="column"/> = Column(n).</summary>
    float B(GemmTap tap, GemmColumn column);
}

/// <summary>
/// The tile loop of the version-3 convolution kernels. Same contract as <see cref="ImplicitGemmTile"/>
/// (a 64 × 64 tile of C per group, 8-deep reduction slices staged in shared memory), but with 64
/// threads that each accumulate an 8 × 8 register tile instead of 256 threads with 4 × 4: per k a
/// thread reads 16 floats from shared memory for 64 FMAs (v2: 8 for 16), so FMAs dominate the hot
/// loop instead of shared loads and loop overhead. Rows ty + 8i, columns tx + 8j: a warp's reads hit
/// 4 (A) and 8 (B) distinct words, broadcast without bank conflicts.
/// Staging: each thread gathers one k of A for 8 rows (one decode of k, shared by the rows) and 8
/// consecutive k of one column of B, walking a <see cref="GemmTap"/> forward instead of dividing.
/// </summary>
public static class ImplicitGemmTile3
{
    /// <summary>Rows of C per group.</summary>
    public const int TileM = 64;

    /// <summary>Columns of C per group.</summary>
    public const int TileN = 64;

    /// <summary>Depth of the reduction staged per step.</summary>
    public const int TileK = 8;

    /// <summary>Threads per group: (TileM / 8) · (TileN / 8), one 8 × 8 register tile each.</summary>
    public const int Threads = 64;

    /// <summary>Row stride of the staged A slice: 68, so a warp storing 8 k × 4 rows hits 32 different banks.</summary>
    private const int AStride = TileM + 4;

    /// <summary>C[m0.., n0..] = Σ over k in [kBegin, kEnd) of A[m, k]·B[k, n] for this group's tile.</summary>
    public static void Run<T>(T p, int m0, int n0, int kBegin, int kEnd) where T : struct, ITapGemm
    {
        var sa = SharedMemory.Allocate<float>(TileK * AStride);
        var sb = SharedMemory.Allocate<float>(TileK * TileN);
        int tid = Group.IdxX;
        int tx = tid & 7, ty = tid >> 3;

        // A: k = tid & 7 of the slice, rows (tid >> 3) + 8r. B: column tid, all 8 k of the slice.
        int ak = tid & 7, am = m0 + (tid >> 3);
        bool bIn = n0 + tid < p.N;
        var column = p.Column(n0 + tid);
        int r1 = p.R1, r2 = p.R2, r3 = p.R3;
        // An empty reduction (a parity class with no tap has a zero radix) still stores its zeros.
        var tap = kBegin < kEnd ? Decode(kBegin, r1, r2, r3) : default;

        // Every loop inside the k0 loop is written out: ILGPU does not unroll, and the counters, branches
        // and address arithmetic of an 8-trip loop cost as much as its 64 FMAs.
        var c = default(Accumulator8x8);
        var stageA = sa.SubView(ak * AStride + (tid >> 3));
        var stageB = sb.SubView(tid);
        var readA = sa.SubView(ty);
        var readB = sb.SubView(tx);
        for (int k0 = kBegin; k0 < kEnd; k0 += TileK)
        {
            int ka = k0 + ak;
            bool kaIn = ka < kEnd;
            stageA[0] = kaIn && am < p.M ? p.A(am, ka) : 0f;
            stageA[8] = kaIn && am + 8 < p.M ? p.A(am + 8, ka) : 0f;
            stageA[16] = kaIn && am + 16 < p.M ? p.A(am + 16, ka) : 0f;
            stageA[24] = kaIn && am + 24 < p.M ? p.A(am + 24, ka) : 0f;
            stageA[32] = kaIn && am + 32 < p.M ? p.A(am + 32, ka) : 0f;
            stageA[40] = kaIn && am + 40 < p.M ? p.A(am + 40, ka) : 0f;
            stageA[48] = kaIn && am + 48 < p.M ? p.A(am + 48, ka) : 0f;
            stageA[56] = kaIn && am + 56 < p.M ? p.A(am + 56, ka) : 0f;
            int kLeft = bIn ? kEnd - k0 : 0;
            stageB[0] = StageB(p, ref tap, column, kLeft > 0, r1, r2, r3);
            stageB[TileN] = StageB(p, ref tap, column, kLeft > 1, r1, r2, r3);
            stageB[2 * TileN] = StageB(p, ref tap, column, kLeft > 2, r1, r2, r3);
            stageB[3 * TileN] = StageB(p, ref tap, column, kLeft > 3, r1, r2, r3);
            stageB[4 * TileN] = StageB(p, ref tap, column, kLeft > 4, r1, r2, r3);
            stageB[5 * TileN] = StageB(p, ref tap, column, kLeft > 5, r1, r2, r3);
            stageB[6 * TileN] = StageB(p, ref tap, column, kLeft > 6, r1, r2, r3);
            stageB[7 * TileN] = StageB(p, ref tap, column, kLeft > 7, r1, r2, r3);
            Group.Barrier();
            c.Fma(readA, readB);
            c.Fma(readA.SubView(AStride), readB.SubView(TileN));
            c.Fma(readA.SubView(2 * AStride), readB.SubView(2 * TileN));
            c.Fma(readA.SubView(3 * AStride), readB.SubView(3 * TileN));
            c.Fma(readA.SubView(4 * AStride), readB.SubView(4 * TileN));
            c.Fma(readA.SubView(5 * AStride), readB.SubView(5 * TileN));
            c.Fma(readA.SubView(6 * AStride), readB.SubView(6 * TileN));
            c.Fma(readA.SubView(7 * AStride), readB.SubView(7 * TileN));
            Group.Barrier();
        }
        c.Store(p, m0 + ty, n0 + tx);
    }

    /// <summary>B at the tap (zero when <paramref name="inRange"/> is false), then the tap moves one k on.</summary>
    private static float StageB<T>(T p, ref GemmTap tap, GemmColumn column, bool inRange, int r1, int r2, int r3) where T : struct, ITapGemm
    {
        float v = inRange ? p.B(tap, column) : 0f;
        Advance(ref tap, r1, r2, r3);
        return v;
    }

    private static GemmTap Decode(int k, int r1, int r2, int r3)
    {
        var t = default(GemmTap);
        t.D3 = k % r3;
        k /= r3;
        t.D2 = k % r2;
        k /= r2;
        t.D1 = k % r1;
        t.D0 = k / r1;
        return t;
    }

    private static void Advance(ref GemmTap t, int r1, int r2, int r3)
    {
        if (++t.D3 < r3)
        {
            return;
        }
        t.D3 = 0;
        if (++t.D2 < r2)
        {
            return;
        }
        t.D2 = 0;
        if (++t.D1 < r1)
        {
            return;
        }
        t.D1 = 0;
        t.D0++;
    }
}
