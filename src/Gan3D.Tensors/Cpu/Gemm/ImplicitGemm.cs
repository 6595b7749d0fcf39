using System.Runtime.Intrinsics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Gan3D.Tensors;

/// <summary>
/// C[m, j] (=, or +=) Σ_k A[m, k] · B[k, j] where A is a strided weight-like matrix
/// (A[m, k] = a[m·aRowStride + aColOff[k]]), B is gathered implicitly from a zero-padded tensor
/// (B[k, j] = src[bRowOff[k] + bColOff[j]]: an im2col that is never materialised) and C is scattered
/// (C[m, j] at c[cOff[j] + m·cRowStride]).
/// <para>Three schedules, chosen from the shape:</para>
/// <list type="bullet">
/// <item>Blocked (BLIS loop order): A is packed once into MR-row panels; each work item owns a block of
/// columns (and, when columns are few, a range of rows), packs its B block kc rows at a time into
/// NR-column panels, run by run (<see cref="GatherRuns"/>), and runs the register micro-kernel over
/// every (A panel, B panel) pair.</item>
/// <item>Split-K, when C is small and K long (a weight gradient): each work item sums a slice of K into
/// its own partial C; the partials are added in item order.</item>
/// <item>Small M (one or two output rows): no packing; gathered rows are accumulated straight into
/// per-block accumulators, which padding M to the micro-kernel's 6 rows would waste.</item>
/// </list>
/// Every C element is produced by a fixed sequence of operations that does not depend on the thread
/// count, so results are reproducible.
/// </summary>
internal sealed unsafe partial class ImplicitGemm
{
    // kc·NR floats of a B panel (32 KB at NR = 32) stay in L1 across the MR-row A panels; a kc × nc B
    // block (512 KB) stays in a 1 MB L2 while every A panel streams past it.
    public static int Kc { get; set; } = 256;

    public static int Nc { get; set; } = 512;

    /// <summary>A panels per L2-resident A block: 16 × 6 rows × kc floats = 96 KB, reused by every B panel.</summary>
    public static int McPanels { get; set; } = 16;

    /// <summary>At most this many rows take the small-M schedule.</summary>
    public const int SmallM = 2;

    private float[] _packedA = [];
    private float[] _partials = [];
    private readonly ThreadLocal<float[]> _packedB = new(() => []);

    /// <summary>This thread's packing buffer, grown to the current block size.</summary>
    private float[] Scratch()
    {
        var b = _packedB.Value!;
        if (b.Length < Kc * Nc)
        {
            b = GC.AllocateUninitializedArray<float>(Kc * Nc, pinned: true);
            _packedB.Value = b;
        }
        return b;
    }
    private readonly ThreadLocal<GatherRuns> _runs = new(() => new GatherRuns());

    public GemmIsa Isa { get; set; } = GemmIsa.Auto;

    /// <summary>Computes the product; see the class summary for the operand layouts.</summary>
    public void Run(CpuBackend backend, int m, int n, int k,
        float[] a, int aRowStride, int[] aColOff,
        float[] src, int[] bRowOff, int[] bColOff,
        float[] c, int[] cOff, int cRowStride, bool accumulate, int version = 2, bool packByRows = false)
    {
        if (m == 0 || n == 0)
        {
            return;
        }
        var isa = MicroKernels.Resolve(Isa);
        int nr = MicroKernels.Nr(isa);
        const int mr = MicroKernels.MR;
        int mPanels = (m + mr - 1) / mr;
        int nBlocks = (n + Nc - 1) / Nc;
        int threads = backend.Threads;
        var job = new Job(isa, nr, m, n, k, mPanels, 1, 1, a, aRowStride, aColOff, src, bRowOff, bColOff, c, cOff, cRowStride, accumulate)
        {
            Version = version,
            PackByRows = packByRows,
        };

        if ((m <= SmallM && (long)m * (Nc + k) <= Kc * Nc) || k == 0)
        {
            if (version >= 3 && k > 0)
            {
                backend.For(nBlocks, item => SmallMBlock3(job, item, Scratch(), _runs.Value!));
            }
            else
            {
                backend.For(nBlocks, item => SmallMBlock(job, item, Scratch(), _runs.Value!));
            }
            return;
        }
        PackA(backend, job);
        job = job with { PackedA = _packedA };
        // Split K when there are too few column blocks to share out (splitting rows instead would pack
        // the same B block once per row range) and the reduction is long enough to cut.
        bool splitK = nBlocks < 2 * threads && k >= 4 * Kc && (long)m * n <= 1 << 22;
        if (splitK)
        {
            int kSplits = Math.Min(4 * threads, k / (2 * Kc));
            long size = (long)kSplits * m * n;
            if (_partials.Length < size)
            {
                _partials = GC.AllocateUninitializedArray<float>(checked((int)size), pinned: true);
            }
            var partials = _partials;
            job = job with { KSplits = kSplits };
            backend.For(kSplits, item => SplitKItem(job, item, Scratch(), _runs.Value!, partials));
            // Partial sums added in a fixed order: deterministic whatever ran where.
            backend.For(m, row =>
            {
                for (int j = 0; j < n; j++)
                {
                    float sum = 0f;
                    for (int s = 0; s < kSplits; s++)
                    {
                        sum += partials[((long)s * m + row) * n + j];
                    }
                    int at = cOff[j] + row * cRowStride;
                    c[at] = accumulate ? c[at] + sum : sum;
                }
            });
            return;
        }
        int mSplits = Math.Clamp(2 * threads / nBlocks, 1, mPanels);
        job = job with { MSplits = mSplits };
        backend.For(nBlocks * mSplits, item => BlockItem(job, item, Scratch(), _runs.Value!));
    }

    internal sealed record Job(GemmIsa Isa, int Nr, int M, int N, int K, int MPanels, int MSplits, int KSplits,
        float[] A, int ARowStride, int[] AColOff,
        float[] Src, int[] BRowOff, int[] BColOff,
        float[] C, int[] COff, int CRowStride, bool Accumulate)
    {
        public float[] PackedA { get; init; } = [];

        /// <summary>The convolution version asking: 3 takes the faster gathers and the blocked small-M kernel.</summary>
        public int Version { get; init; } = 2;

        /// <summary>Pack B column by column along runs of rows (<see cref="PackBByRows"/>).</summary>
        public bool PackByRows { get; init; }
    }

    /// <summary>A into MR-row panels, block by block of Kc columns: [k block][panel][p][r], zero-padded rows.</summary>
    private void PackA(CpuBackend backend, Job job)
    {
        const int mr = MicroKernels.MR;
        int m = job.M, k = job.K, mPanels = job.MPanels;
        long size = (long)mPanels * mr * k;
        if (_packedA.Length < size)
        {
            _packedA = GC.AllocateUninitializedArray<float>(checked((int)Math.Max(size, _packedA.Length * 2L)), pinned: true);
        }
        var dst = _packedA;
        var a = job.A;
        var colOff = job.AColOff;
        int rowStride = job.ARowStride;
        int mPad = mPanels * mr;
        int kBlocks = (k + Kc - 1) / Kc;
        backend.For(kBlocks * mPanels, item =>
        {
            int kb = item / mPanels, panel = item % mPanels;
            int k0 = kb * Kc, kc = Math.Min(Kc, k - k0);
            int at = k0 * mPad + panel * mr * kc;
            for (int p = 0; p < kc; p++)
            {
                int col = colOff[k0 + p];
                for (int r = 0; r < mr; r++)
                {
                    int row = panel * mr + r;
                    dst[at++] = row < m ? a[row * rowStride + col] : 0f;
                }
            }
        });
    }

    private static void BlockItem(Job job, int item, float[] packedB, GatherRuns runs)
    {
        int nBlock = item / job.MSplits, mSplit = item % job.MSplits;
        int j0 = nBlock * Nc, nb = Math.Min(Nc, job.N - j0);
        int panelsPerSplit = (job.MPanels + job.MSplits - 1) / job.MSplits;
        int p0 = mSplit * panelsPerSplit, p1 = Math.Min(job.MPanels, p0 + panelsPerSplit);
        if (p0 < p1)
        {
            runs.Build(job.BColOff, j0, nb, job.Nr);
            Multiply(job, j0, nb, p0, p1, 0, job.K, packedB, runs, job.C, job.COff, job.CRowStride, job.Accumulate, cBase: 0);
        }
    }

    private static void SplitKItem(Job job, int item, float[] packedB, GatherRuns runs, float[] partials)
    {
        // K slices aligned to Kc so that each slice's packed-A blocks are whole.
        int kBlocks = (job.K + Kc - 1) / Kc;
        int b0 = item * kBlocks / job.KSplits, b1 = (item + 1) * kBlocks / job.KSplits;
        int kStart = b0 * Kc, kEnd = Math.Min(job.K, b1 * Kc);
        // The partial is a dense M × N row-major block: column j at offset j, row stride N.
        int[] identity = IdentityOffsets(job.N);
        long partialBase = (long)item * job.M * job.N;
        if (kEnd <= kStart)
        {
            Array.Clear(partials, (int)partialBase, job.M * job.N);
            return;
        }
        for (int j0 = 0; j0 < job.N; j0 += Nc)
        {
            int nb = Math.Min(Nc, job.N - j0);
            runs.Build(job.BColOff, j0, nb, job.Nr);
            Multiply(job, j0, nb, 0, job.MPanels, kStart, kEnd, packedB, runs, partials, identity, job.N, accumulate: false, cBase: partialBase);
        }
    }

    [ThreadStatic]
    private static int[]? t_identity;

    private static int[] IdentityOffsets(int n)
    {
        var id = t_identity;
        if (id is null || id.Length < n)
        {
            id = new int[Math.Max(n, 1024)];
            for (int i = 0; i < id.Length; i++)
            {
                id[i] = i;
            }
            t_identity = id;
        }
        return id;
    }

    /// <summary>
    /// C[rows of panels p0..p1, columns j0..j0+nb) over K range [kStart, kEnd), with C element (m, j) at
    /// c[cBase + cOff[j] + m·cRowStride] (cOff indexed by absolute column j). BLIS order: each packed B
    /// panel (kc × NR) stays in L1 while the A panels (MR × kc) stream past it from L2.
    /// </summary>
    private static void Multiply(Job job, int j0, int nb, int p0, int p1, int kStart, int kEnd, float[] packedB, GatherRuns runs,
        float[] c, int[] cOff, int cRowStride, bool accumulate, long cBase)
    {
        const int mr = MicroKernels.MR;
        int nr = job.Nr;
        int mPad = job.MPanels * mr;
        float* tile = stackalloc float[mr * 32];
        fixed (float* pa = job.PackedA, pb = packedB, psrc = job.Src, pc = c)
        fixed (int* po = cOff)
        {
            for (int k0 = kStart; k0 < kEnd; k0 += Kc)
            {
                int kc = Math.Min(Kc, kEnd - k0);
                if (job.PackByRows)
                {
                    PackBByRows(job, runs, psrc, j0, k0, kc, nb, nr, pb);
                }
                else if (job.Version < 3 || !PackBVectors(job, runs, psrc, k0, kc, nb, nr, pb))
                {
                    PackB(job, runs, psrc, k0, kc, nb, nr, pb);
                }
                bool add = accumulate || k0 > kStart;
                float* aBlock = pa + (long)k0 * mPad;
                for (int ic = p0; ic < p1; ic += McPanels)
                for (int jp = 0; jp < nb; jp += nr)
                {
                    float* bp = pb + jp * kc;
                    int nValid = Math.Min(nr, nb - jp);
                    int* offs = po + j0 + jp;
                    // Columns that are consecutive in C take vector stores.
                    bool contiguous = nValid == nr && offs[nr - 1] - offs[0] == nr - 1;
                    for (int panel = ic, icEnd = Math.Min(p1, ic + McPanels); panel < icEnd; panel++)
                    {
                        MicroKernels.Run(job.Isa, kc, aBlock + panel * mr * kc, bp, tile);
                        int m0 = panel * mr, mValid = Math.Min(mr, job.M - m0);
                        float* cBlock = pc + cBase + (long)m0 * cRowStride;
                        if (contiguous)
                        {
                            StoreContiguous(tile, nr, mValid, cBlock + offs[0], cRowStride, add);
                        }
                        else
                        {
                            Store(tile, nr, mValid, nValid, cBlock, offs, cRowStride, add);
                        }
                    }
                }
            }
        }
    }

    /// <summary>B rows [k0, k0 + kc) of the block's columns into NR-column panels [panel][p][c], zero-padded.</summary>
    private static void PackB(Job job, GatherRuns runs, float* src, int k0, int kc, int nb, int nr, float* dst)
    {
        var rowOff = job.BRowOff;
        int tail = nb % nr;
        int lastPanel = nb - tail;
        var items = runs.Items;
        bool fast = job.Version >= 3;
        for (int p = 0; p < kc; p++)
        {
            int ro = rowOff[k0 + p];
            for (int i = 0; i < runs.Count; i++)
            {
                ref readonly var run = ref items[i];
                int panel = run.Start / nr;
                float* line = dst + (long)panel * nr * kc + p * nr + (run.Start - panel * nr);
                if (fast)
                {
                    GatherRuns.CopyShort(run, src, ro, line);
                }
                else
                {
                    GatherRuns.Copy(run, src, ro, line);
                }
            }
            if (tail != 0)
            {
                float* pad = dst + (long)(lastPanel / nr) * nr * kc + p * nr + tail;
                for (int q = tail; q < nr; q++)
                {
                    *pad++ = 0f;
                }
            }
        }
    }

    private static void Store(float* tile, int nr, int mValid, int nValid, float* c, int* offs, int cRowStride, bool add)
    {
        for (int r = 0; r < mValid; r++)
        {
            float* row = c + (long)r * cRowStride;
            float* t = tile + r * nr;
            if (add)
            {
                for (int q = 0; q < nValid; q++)
                {
                    row[offs[q]] += t[q];
                }
            }
            else
            {
                for (int q = 0; q < nValid; q++)
                {
                    row[offs[q]] = t[q];
                }
            }
        }
    }

    private static void StoreContiguous(float* tile, int nr, int mValid, float* c, int cRowStride, bool add)
    {
        for (int r = 0; r < mValid; r++)
        {
            float* row = c + (long)r * cRowStride;
            float* t = tile + r * nr;
            for (int q = 0; q < nr; q += 8)
            {
                var v = Vector256.Load(t + q);
                if (add)
                {
                    v += Vector256.Load(row + q);
                }
                v.Store(row + q);
            }
        }
    }

    /// <summary>
    /// Small M: for each run of columns, the dot products with every A row are accumulated in registers
    /// over all of K (one or two vectors a row), reading the gathered source directly: B is never packed,
    /// which for one or two rows would cost as much as the multiplications.
    /// </summary>
    private static void SmallMBlock(Job job, int block, float[] scratch, GatherRuns runs)
    {
        int j0 = block * Nc, nb = Math.Min(Nc, job.N - j0);
        int m = job.M;
        // scratch: m accumulator rows of Nc floats, then the A rows (m × K) gathered once per block.
        fixed (float* acc = scratch, psrc = job.Src)
        {
            float* arows = acc + m * Nc;
            for (int row = 0; row < m; row++)
            {
                for (int kk = 0; kk < job.K; kk++)
                {
                    arows[row * job.K + kk] = job.A[row * job.ARowStride + job.AColOff[kk]];
                }
            }
            runs.Build(job.BColOff, j0, nb, 0);
            fixed (int* ro = job.BRowOff)
            {
                for (int i = 0; i < runs.Count; i++)
                {
                    ref readonly var run = ref runs.Items[i];
                    for (int row = 0; row < m; row++)
                    {
                        DotRun(run, psrc, ro, arows + row * job.K, job.K, acc + row * Nc + run.Start);
                    }
                }
            }
            for (int row = 0; row < m; row++)
            {
                float* a = acc + row * Nc;
                for (int q = 0; q < nb; q++)
                {
                    int at = job.COff[j0 + q] + row * job.CRowStride;
                    job.C[at] = job.Accumulate ? job.C[at] + a[q] : a[q];
                }
            }
        }
    }

    /// <summary>
    /// out[q] = Σ_k a[k] · src[ro[k] + run.Off + q·run.Step] for the run's columns. Four partial sums
    /// over k keep four FMA chains in flight (one chain would wait on the FMA latency every step).
    /// </summary>
    private static void DotRun(in GatherRuns.Run run, float* src, int* ro, float* a, int k, float* output)
    {
        int len = run.Length, q = 0;
        float* s = src + run.Off;
        int k4 = k & ~3;
        if (run.Step == 1)
        {
            if (Vector512.IsHardwareAccelerated)
            {
                for (; q + 16 <= len; q += 16)
                {
                    Vector512<float> s0 = default, s1 = default, s2 = default, s3 = default;
                    float* sq = s + q;
                    int kk = 0;
                    for (; kk < k4; kk += 4)
                    {
                        s0 = Vector512.FusedMultiplyAdd(Vector512.Create(a[kk]), Vector512.Load(sq + ro[kk]), s0);
                        s1 = Vector512.FusedMultiplyAdd(Vector512.Create(a[kk + 1]), Vector512.Load(sq + ro[kk + 1]), s1);
                        s2 = Vector512.FusedMultiplyAdd(Vector512.Create(a[kk + 2]), Vector512.Load(sq + ro[kk + 2]), s2);
                        s3 = Vector512.FusedMultiplyAdd(Vector512.Create(a[kk + 3]), Vector512.Load(sq + ro[kk + 3]), s3);
                    }
                    for (; kk < k; kk++)
                    {
                        s0 = Vector512.FusedMultiplyAdd(Vector512.Create(a[kk]), Vector512.Load(sq + ro[kk]), s0);
                    }
                    ((s0 + s1) + (s2 + s3)).Store(output + q);
                }
            }
            for (; q + 8 <= len; q += 8)
            {
                Vector256<float> s0 = default, s1 = default, s2 = default, s3 = default;
                float* sq = s + q;
                int kk = 0;
                for (; kk < k4; kk += 4)
                {
                    s0 = Vector256.FusedMultiplyAdd(Vector256.Create(a[kk]), Vector256.Load(sq + ro[kk]), s0);
                    s1 = Vector256.FusedMultiplyAdd(Vector256.Create(a[kk + 1]), Vector256.Load(sq + ro[kk + 1]), s1);
                    s2 = Vector256.FusedMultiplyAdd(Vector256.Create(a[kk + 2]), Vector256.Load(sq + ro[kk + 2]), s2);
                    s3 = Vector256.FusedMultiplyAdd(Vector256.Create(a[kk + 3]), Vector256.Load(sq + ro[kk + 3]), s3);
                }
                for (; kk < k; kk++)
                {
                    s0 = Vector256.FusedMultiplyAdd(Vector256.Create(a[kk]), Vector256.Load(sq + ro[kk]), s0);
                }
                ((s0 + s1) + (s2 + s3)).Store(output + q);
            }
        }
        for (; q < len; q++)
        {
            float sum = 0f;
            long at = (long)q * run.Step;
            for (int kk = 0; kk < k; kk++)
            {
                sum = MathF.FusedMultiplyAdd(a[kk], s[ro[kk] + at], sum);
            }
            output[q] = sum;
        }
    }
}
