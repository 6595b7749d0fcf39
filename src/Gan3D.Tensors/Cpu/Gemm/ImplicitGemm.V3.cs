using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Gan3D.Tensors;

/// <summary>
/// The parts of <see cref="ImplicitGemm"/> that only convolution version 3 takes.
/// <para>The small-M schedule (one or two output rows: a transposed convolution to one channel,
/// a convolution to one channel, the input gradient of a one-channel input). Like version 2 it never
/// packs B and vectorizes over the output positions, but it holds 8 output vectors at once: each
/// step of the reduction loads one row offset and one weight (per row) for 8 vector loads and 8 FMAs,
/// where version 2 loaded the offset and the weight again for every vector (three loads an FMA, so
/// the load ports, not the FMA units, set its pace).</para>
/// <para>A packing of B by columns for weight gradients (<see cref="PackBByRows"/>), and by rows with
/// the runs' places worked out once per block (<see cref="PackBVectors"/>).</para>
/// </summary>
internal sealed unsafe partial class ImplicitGemm
{
    private const int SlotGroup = 8;

    private static void SmallMBlock3(Job job, int block, float[] scratch, GatherRuns runs)
    {
        int j0 = block * Nc;
        SmallMColumns3(job, j0, Math.Min(Nc, job.N - j0), 0, 0, scratch, runs);
    }

    /// <summary>
    /// A small-M product whose columns the caller schedules (<see cref="SmallMRange"/>): see
    /// <see cref="Run"/> for the operands; k &gt; 0 and m ≤ <see cref="SmallM"/>.
    /// </summary>
    public Job SmallMJob(int m, int n, int k, float[] a, int aRowStride, int[] aColOff,
        float[] src, int[] bRowOff, int[] bColOff, float[] c, int[] cOff, int cRowStride)
    {
        return new Job(GemmIsa.Auto, 0, m, n, k, 1, 1, 1, a, aRowStride, aColOff, src, bRowOff, bColOff, c, cOff, cRowStride, false)
        {
            Version = 3,
        };
    }

    /// <summary>
    /// Columns [j0, j0 + count) of a small-M job on the calling thread, with every source offset moved by
    /// <paramref name="srcBase"/> and every C offset by <paramref name="cBase"/> (one batch sample of a
    /// job laid out for one sample).
    /// </summary>
    public void SmallMRange(Job job, int j0, int count, int srcBase, int cBase)
    {
        var scratch = Scratch();
        var runs = _runs.Value!;
        for (int j = j0; j < j0 + count; j += Nc)
        {
            SmallMColumns3(job, j, Math.Min(Nc, j0 + count - j), srcBase, cBase, scratch, runs);
        }
    }

    private static void SmallMColumns3(Job job, int j0, int nb, int srcBase, int cBase, float[] scratch, GatherRuns runs)
    {
        int m = job.M, k = job.K;
        int* slotSrc = stackalloc int[Nc / 8 + 1];
        int* slotOut = stackalloc int[Nc / 8 + 1];
        fixed (float* acc = scratch, psrcArray = job.Src)
        fixed (int* ro = job.BRowOff)
        {
            float* psrc = psrcArray + srcBase;
            // scratch: m accumulator rows of Nc floats, then the A rows (m × K) gathered once per block.
            float* arows = acc + m * Nc;
            for (int row = 0; row < m; row++)
            {
                for (int kk = 0; kk < k; kk++)
                {
                    arows[row * k + kk] = job.A[row * job.ARowStride + job.AColOff[kk]];
                }
            }
            runs.Build(job.BColOff, j0, nb, 0);
            int slots = 0;
            for (int i = 0; i < runs.Count; i++)
            {
                var run = runs.Items[i];
                if (run.Step != 1 || run.Length < 8)
                {
                    for (int row = 0; row < m; row++)
                    {
                        DotRun(run, psrc, ro, arows + row * k, k, acc + row * Nc + run.Start);
                    }
                    continue;
                }
                int q = 0;
                for (; q + 8 <= run.Length; q += 8)
                {
                    slotSrc[slots] = run.Off + q;
                    slotOut[slots] = run.Start + q;
                    slots++;
                }
                if (q < run.Length)
                {
                    var tail = new GatherRuns.Run { Start = run.Start + q, Length = run.Length - q, Off = run.Off + q, Step = 1 };
                    for (int row = 0; row < m; row++)
                    {
                        DotRun(tail, psrc, ro, arows + row * k, k, acc + row * Nc + tail.Start);
                    }
                }
            }
            int s0 = 0;
            for (; s0 + SlotGroup <= slots; s0 += SlotGroup)
            {
                if (m == 1)
                {
                    Slots8Row1(psrc, ro, arows, k, slotSrc + s0, slotOut + s0, acc);
                }
                else
                {
                    Slots4Row2(psrc, ro, arows, k, slotSrc + s0, slotOut + s0, acc);
                    Slots4Row2(psrc, ro, arows, k, slotSrc + s0 + 4, slotOut + s0 + 4, acc);
                }
            }
            for (; s0 < slots; s0++)
            {
                var one = new GatherRuns.Run { Start = slotOut[s0], Length = 8, Off = slotSrc[s0], Step = 1 };
                for (int row = 0; row < m; row++)
                {
                    DotRun(one, psrc, ro, arows + row * k, k, acc + row * Nc + one.Start);
                }
            }
            for (int row = 0; row < m; row++)
            {
                float* a = acc + row * Nc;
                for (int q = 0; q < nb; q++)
                {
                    int at = cBase + job.COff[j0 + q] + row * job.CRowStride;
                    job.C[at] = job.Accumulate ? job.C[at] + a[q] : a[q];
                }
            }
        }
    }

    /// <summary>One row, 8 vectors of 8 outputs: 8 independent FMA chains share each offset and weight.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Slots8Row1(float* src, int* ro, float* a, int k, int* slotSrc, int* slotOut, float* acc)
    {
        float* p0 = src + slotSrc[0], p1 = src + slotSrc[1], p2 = src + slotSrc[2], p3 = src + slotSrc[3];
        float* p4 = src + slotSrc[4], p5 = src + slotSrc[5], p6 = src + slotSrc[6], p7 = src + slotSrc[7];
        Vector256<float> c0 = default, c1 = default, c2 = default, c3 = default;
        Vector256<float> c4 = default, c5 = default, c6 = default, c7 = default;
        for (int kk = 0; kk < k; kk++)
        {
            var av = Vector256.Create(a[kk]);
            int o = ro[kk];
            c0 = Vector256.FusedMultiplyAdd(av, Vector256.Load(p0 + o), c0);
            c1 = Vector256.FusedMultiplyAdd(av, Vector256.Load(p1 + o), c1);
            c2 = Vector256.FusedMultiplyAdd(av, Vector256.Load(p2 + o), c2);
            c3 = Vector256.FusedMultiplyAdd(av, Vector256.Load(p3 + o), c3);
            c4 = Vector256.FusedMultiplyAdd(av, Vector256.Load(p4 + o), c4);
            c5 = Vector256.FusedMultiplyAdd(av, Vector256.Load(p5 + o), c5);
            c6 = Vector256.FusedMultiplyAdd(av, Vector256.Load(p6 + o), c6);
            c7 = Vector256.FusedMultiplyAdd(av, Vector256.Load(p7 + o), c7);
        }
        c0.Store(acc + slotOut[0]); c1.Store(acc + slotOut[1]); c2.Store(acc + slotOut[2]); c3.Store(acc + slotOut[3]);
        c4.Store(acc + slotOut[4]); c5.Store(acc + slotOut[5]); c6.Store(acc + slotOut[6]); c7.Store(acc + slotOut[7]);
    }

    /// <summary>Two rows, 4 vectors of 8 outputs: each gathered vector feeds both rows.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Slots4Row2(float* src, int* ro, float* a, int k, int* slotSrc, int* slotOut, float* acc)
    {
        float* p0 = src + slotSrc[0], p1 = src + slotSrc[1], p2 = src + slotSrc[2], p3 = src + slotSrc[3];
        float* a1 = a + k;
        Vector256<float> c00 = default, c01 = default, c02 = default, c03 = default;
        Vector256<float> c10 = default, c11 = default, c12 = default, c13 = default;
        for (int kk = 0; kk < k; kk++)
        {
            var av0 = Vector256.Create(a[kk]);
            var av1 = Vector256.Create(a1[kk]);
            int o = ro[kk];
            var b0 = Vector256.Load(p0 + o);
            var b1 = Vector256.Load(p1 + o);
            var b2 = Vector256.Load(p2 + o);
            var b3 = Vector256.Load(p3 + o);
            c00 = Vector256.FusedMultiplyAdd(av0, b0, c00);
            c01 = Vector256.FusedMultiplyAdd(av0, b1, c01);
            c02 = Vector256.FusedMultiplyAdd(av0, b2, c02);
            c03 = Vector256.FusedMultiplyAdd(av0, b3, c03);
            c10 = Vector256.FusedMultiplyAdd(av1, b0, c10);
            c11 = Vector256.FusedMultiplyAdd(av1, b1, c11);
            c12 = Vector256.FusedMultiplyAdd(av1, b2, c12);
            c13 = Vector256.FusedMultiplyAdd(av1, b3, c13);
        }
        c00.Store(acc + slotOut[0]); c01.Store(acc + slotOut[1]); c02.Store(acc + slotOut[2]); c03.Store(acc + slotOut[3]);
        float* acc1 = acc + Nc;
        c10.Store(acc1 + slotOut[0]); c11.Store(acc1 + slotOut[1]); c12.Store(acc1 + slotOut[2]); c13.Store(acc1 + slotOut[3]);
    }

    /// <summary>
    /// Version 3's packing of B for a weight gradient, where B's rows are output positions (runs of
    /// consecutive memory along an output row) and its columns are taps (one channel plane apart, or a
    /// few floats). Row by row, as <see cref="PackB"/> does, every element of a row comes from another
    /// cache line; column by column, each tap reads whole runs of positions and writes them down its
    /// panel column, NR floats apart in the L1-resident panel.
    /// </summary>
    private static void PackBByRows(Job job, GatherRuns runs, float* src, int j0, int k0, int kc, int nb, int nr, float* dst)
    {
        runs.Build(job.BRowOff, k0, kc, 0);
        var items = runs.Items;
        var colOff = job.BColOff;
        for (int j = 0; j < nb; j++)
        {
            int panel = j / nr;
            float* column = dst + (long)panel * nr * kc + (j - panel * nr);
            int co = colOff[j0 + j];
            for (int i = 0; i < runs.Count; i++)
            {
                ref readonly var run = ref items[i];
                float* s = src + co + run.Off;
                float* d = column + (long)run.Start * nr;
                int len = run.Length, step = run.Step;
                if (step == 1)
                {
                    for (int q = 0; q < len; q++)
                    {
                        d[(long)q * nr] = s[q];
                    }
                }
                else
                {
                    for (int q = 0; q < len; q++)
                    {
                        d[(long)q * nr] = s[(long)q * step];
                    }
                }
            }
        }
        int tail = nb % nr;
        if (tail != 0)
        {
            float* last = dst + (long)(nb / nr) * nr * kc;
            for (int p = 0; p < kc; p++)
            {
                for (int q = tail; q < nr; q++)
                {
                    last[p * nr + q] = 0f;
                }
            }
        }
    }
    /// <summary>
    /// <see cref="PackB"/> for the common case of contiguous runs whose lengths are multiples of 4 (an
    /// output row of 4, 8 or 16 positions): each run's place in the panels is worked out once per
    /// block instead of once per row, leaving one vector load and store per 4 or 8 floats. False (and
    /// nothing packed) when the runs are not all of that kind.
    /// </summary>
    private static bool PackBVectors(Job job, GatherRuns runs, float* src, int k0, int kc, int nb, int nr, float* dst)
    {
        int count = runs.Count;
        var items = runs.Items;
        if (count > Nc)
        {
            return false;
        }
        for (int i = 0; i < count; i++)
        {
            if (items[i].Step != 1 || (items[i].Length & 3) != 0)
            {
                return false;
            }
        }
        int* srcOff = stackalloc int[count];
        long* dstOff = stackalloc long[count];
        int* len = stackalloc int[count];
        for (int i = 0; i < count; i++)
        {
            int panel = items[i].Start / nr;
            srcOff[i] = items[i].Off;
            dstOff[i] = (long)panel * nr * kc + (items[i].Start - panel * nr);
            len[i] = items[i].Length;
        }
        var rowOff = job.BRowOff;
        int tail = nb % nr;
        float* lastPanel = dst + (long)(nb / nr) * nr * kc;
        for (int p = 0; p < kc; p++)
        {
            float* s = src + rowOff[k0 + p];
            float* d = dst + p * nr;
            for (int i = 0; i < count; i++)
            {
                float* si = s + srcOff[i];
                float* di = d + dstOff[i];
                int q = 0, n = len[i];
                for (; q + 8 <= n; q += 8)
                {
                    Vector256.Store(Vector256.Load(si + q), di + q);
                }
                if (q < n)
                {
                    Vector128.Store(Vector128.Load(si + q), di + q);
                }
            }
            if (tail != 0)
            {
                for (int q = tail; q < nr; q++)
                {
                    lastPanel[p * nr + q] = 0f;
                }
            }
        }
        return true;
    }
}
