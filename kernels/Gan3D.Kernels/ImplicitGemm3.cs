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

    /// <summary>The index arithmetic of row m of A that does not depend on k (only Base is used).</summary>
    GemmColumn Row(int m);

    /// <summary>A[m, k] for the row <paramref name="row"/> = Row(m) and k = <paramref name="k"/> = <paramref name="tap"/> (whichever form is cheaper).</summary>
    float A(GemmColumn row, int k, GemmTap tap);

    /// <summary>B[k, n] for k = <paramref name="tap"/> and the column <paramref name="column"/> = Column(n).</summary>
    float B(GemmTap tap, GemmColumn column);
}

/// <summary>
/// The radix of the reduction index's fastest digit, when a kernel fixes it at compile time (the GAN's
/// k4 layers): the tile loop then knows that digit in each of a slice's 8 k (slices start at multiples
/// of 8, and a fixed radix divides 8) and only carries into the slower digits. Fixed = 0: known at run time.
/// </summary>
public interface IRadix
{
    int Fixed { get; }
}

/// <summary>The fastest digit's radix is read from the GEMM at run time.</summary>
public struct RadixAny : IRadix
{
    public readonly int Fixed => 0;
}

/// <summary>Fastest digit of radix 1 (1³ kernels, the dense backward-data GEMM).</summary>
public struct Radix1 : IRadix
{
    public readonly int Fixed => 1;
}

/// <summary>Fastest digit of radix 4 (forward of k4 layers: kw = 0..3).</summary>
public struct Radix4 : IRadix
{
    public readonly int Fixed => 4;
}

/// <summary>
/// The tile loop of the version-3 convolution kernels. Same contract as <see cref="ImplicitGemmTile"/>
/// (a 64 × 64 tile of C per group, 8-deep reduction slices staged in shared memory), but with 64
/// threads that each accumulate an 8 × 8 register tile instead of 256 threads with 4 × 4: per k a
/// thread reads 16 floats from shared memory (as four 128-bit loads: its rows 8ty..8ty+7 and columns
/// 8tx..8tx+7 are contiguous) for 64 FMAs (v2: 8 scalar loads for 16), so FMAs dominate the hot loop.
/// Unverified on a GPU: the B reads of a quarter warp span 256 bytes (a 2-way bank conflict).
/// Staging: each thread gathers 8 consecutive k of one row of A and one column of B, walking one
/// <see cref="GemmTap"/> forward for both instead of dividing k into digits.
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

    /// <summary>Row stride of the staged A slice (a warp stores 32 consecutive rows of one k: no bank conflict).</summary>
    private const int AStride = TileM;

    /// <summary>
    /// C[m0.., n0..] = Σ over k in [kBegin, kEnd) of A[m, k]·B[k, n] for this group's tile. With a fixed
    /// <typeparamref name="TR"/>, p.R3 must equal it and kBegin must be a multiple of <see cref="TileK"/>.
    /// </summary>
    public static void Run<T, TR>(T p, int m0, int n0, int kBegin, int kEnd) where T : struct, ITapGemm where TR : struct, IRadix
    {
        var sa = SharedMemory.Allocate<float>(TileK * AStride);
        var sb = SharedMemory.Allocate<float>(TileK * TileN);
        int tid = Group.IdxX;
        int tx = tid & 7, ty = tid >> 3;

        // Staging: thread tid gathers row m0 + tid of A and column n0 + tid of B for the slice's 8 k.
        // A and B share the reduction index, so one tap, walked one k at a time, serves both.
        bool aIn = m0 + tid < p.M, bIn = n0 + tid < p.N;
        var row = p.Row(m0 + tid);
        var column = p.Column(n0 + tid);
        int r1 = p.R1, r2 = p.R2, r3 = p.R3;
        // An empty reduction (a parity class with no tap has a zero radix) still stores its zeros.
        var tap = kBegin < kEnd ? Decode(kBegin, r1, r2, r3) : default;

        // Every loop inside the k0 loop is written out: ILGPU does not unroll, and the counters, branches
        // and address arithmetic of an 8-trip loop cost as much as its 64 FMAs.
        var c = default(Accumulator8x8);
        var stageA = sa.SubView(tid);
        var stageB = sb.SubView(tid);
        var readA = sa.SubView(ty * 8);
        var readB = sb.SubView(tx * 8);
        for (int k0 = kBegin; k0 < kEnd; k0 += TileK)
        {
            // The barrier before the staging, not after the FMAs: ILGPU places values next to their uses,
            // and the FMAs' results are used only by the next trip, so it emits their shared loads after
            // the step's last instruction. With a barrier there, a warp could stage the next slice while
            // another still reads this one (sm_90 SASS showed the two barriers back to back); here the
            // loads land after the second barrier and before the next trip's first, where they belong.
            Group.Barrier();
            int kLeft = kEnd - k0;
            Stage<T, TR>(p, ref tap, 0, k0, kLeft > 0, row, aIn, column, bIn, stageA, stageB, r1, r2, r3);
            Stage<T, TR>(p, ref tap, 1, k0 + 1, kLeft > 1, row, aIn, column, bIn, stageA.SubView(AStride), stageB.SubView(TileN), r1, r2, r3);
            Stage<T, TR>(p, ref tap, 2, k0 + 2, kLeft > 2, row, aIn, column, bIn, stageA.SubView(2 * AStride), stageB.SubView(2 * TileN), r1, r2, r3);
            Stage<T, TR>(p, ref tap, 3, k0 + 3, kLeft > 3, row, aIn, column, bIn, stageA.SubView(3 * AStride), stageB.SubView(3 * TileN), r1, r2, r3);
            Stage<T, TR>(p, ref tap, 4, k0 + 4, kLeft > 4, row, aIn, column, bIn, stageA.SubView(4 * AStride), stageB.SubView(4 * TileN), r1, r2, r3);
            Stage<T, TR>(p, ref tap, 5, k0 + 5, kLeft > 5, row, aIn, column, bIn, stageA.SubView(5 * AStride), stageB.SubView(5 * TileN), r1, r2, r3);
            Stage<T, TR>(p, ref tap, 6, k0 + 6, kLeft > 6, row, aIn, column, bIn, stageA.SubView(6 * AStride), stageB.SubView(6 * TileN), r1, r2, r3);
            Stage<T, TR>(p, ref tap, 7, k0 + 7, kLeft > 7, row, aIn, column, bIn, stageA.SubView(7 * AStride), stageB.SubView(7 * TileN), r1, r2, r3);
            Group.Barrier();
            c.Fma(readA, readB);
            c.Fma(readA.SubView(AStride), readB.SubView(TileN));
            c.Fma(readA.SubView(2 * AStride), readB.SubView(2 * TileN));
            c.Fma(readA.SubView(3 * AStride), readB.SubView(3 * TileN));
            c.Fma(readA.SubView(4 * AStride), readB.SubView(4 * TileN));
            c.Fma(readA.SubView(5 * AStride), readB.SubView(5 * TileN));
            c.Fma(readA.SubView(6 * AStride), readB.SubView(6 * TileN));
            c.Fma(readA.SubView(7 * AStride), readB.SubView(7 * TileN));
        }
        c.Store(p, m0 + ty * 8, n0 + tx * 8);
    }

    /// <summary>
    /// A[row, k] and B[k, column] into shared memory (zeros outside), then the tap moves one k on. Slot j
    /// (a constant) is k's place in the slice: with a fixed radix R the fastest digit is j mod R, and
    /// the slower digits carry after every R-th slot.
    /// </summary>
    private static void Stage<T, TR>(T p, ref GemmTap tap, int j, int k, bool kIn, GemmColumn row, bool aIn, GemmColumn column, bool bIn,
        ArrayView<float> a, ArrayView<float> b, int r1, int r2, int r3) where T : struct, ITapGemm where TR : struct, IRadix
    {
        int fixedRadix = default(TR).Fixed;
        int radix = fixedRadix > 0 ? fixedRadix : 1; // never a modulo by the constant 0, even in a dead branch
        if (fixedRadix > 0)
        {
            tap.D3 = j % radix;
        }
        a[0] = kIn && aIn ? p.A(row, k, tap) : 0f;
        b[0] = kIn && bIn ? p.B(tap, column) : 0f;
        if (fixedRadix == 0)
        {
            Advance(ref tap, r1, r2, r3);
        }
        else if ((j + 1) % radix == 0)
        {
            tap.D3 = 0;
            Advance(ref tap, r1, r2, 1);
        }
    }

    internal static GemmTap Decode(int k, int r1, int r2, int r3)
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

    /// <summary>One k on, without branches: each digit that reaches its radix wraps and carries.</summary>
    internal static void Advance(ref GemmTap t, int r1, int r2, int r3)
    {
        int d3 = t.D3 + 1;
        int c3 = d3 == r3 ? 1 : 0;
        int d2 = t.D2 + c3;
        int c2 = d2 == r2 ? 1 : 0;
        int d1 = t.D1 + c2;
        int c1 = d1 == r1 ? 1 : 0;
        t.D3 = d3 - c3 * r3;
        t.D2 = d2 - c2 * r2;
        t.D1 = d1 - c1 * r1;
        t.D0 += c1;
    }
}
