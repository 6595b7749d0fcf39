using Gan3D.Kernels;

namespace Gan3D.Tensors;

/// <summary>
/// Version 2 of the CPU convolution: all three passes as implicit GEMMs on <see cref="ImplicitGemm"/>,
/// over a zero-padded copy of the gathered tensor so that no gather needs a bounds check.
/// <list type="bullet">
/// <item>Forward: Y[co, (n, o)] = Σ_(ci, k) W[co, (ci, k)] · X[n, ci, o·s − p + k].</item>
/// <item>Backward-data (also the transposed convolution's forward): split by the residue r of the input
/// position modulo the stride. Within one residue class only the taps with k ≡ r + p (mod s) reach it,
/// each from a fixed output offset, so every class is a dense stride-1 GEMM with no multiplication by
/// the zeros that a scatter or a zero-inserted input would carry. For stride 2, kernel 4 (the GAN's
/// layers) that is 8 classes with 2³ taps each. An output of 1³ without padding (the generator's first
/// layer) is a plain matrix product instead.</item>
/// <item>Backward-weight: dW[co, (ci, k)] = Σ_(n, o) dY[n, co, o] · X[n, ci, o·s − p + k], a GEMM whose
/// reduction runs over batch and positions (split across threads when the weight is small).</item>
/// </list>
/// </summary>
internal sealed class CpuConvGemm
{
    private readonly Lock _lock = new();
    private readonly ImplicitGemm _gemm = new();
    private float[] _padded = [];
    private float[] _classOut = [];
    private int[] _aColOff = [];
    private int[] _bRowOff = [];
    private int[] _bColOff = [];
    private int[] _cOff = [];

    public GemmIsa Isa
    {
        get => _gemm.Isa;
        set => _gemm.Isa = value;
    }

    private static int[] Grow(ref int[] a, int n)
    {
        if (a.Length < n)
        {
            a = new int[Math.Max(n, a.Length * 2)];
        }
        return a;
    }

    /// <summary>
    /// A padded volume: extents after padding, and how much was added before each axis. When
    /// <see cref="Split"/> &gt; 1 each row is stored deinterleaved by that stride (columns 0, s, 2s, ...,
    /// then 1, s + 1, ..., each phase <see cref="PhaseW"/> long), so that a strided convolution's windows
    /// at consecutive outputs are consecutive in memory: its gathers become contiguous copies.
    /// </summary>
    private readonly record struct Padded(float[] Data, int D, int H, int W, int LoD, int LoH, int LoW, int Split = 1, int PhaseW = 0)
    {
        public int Volume => D * H * W;

        /// <summary>Where padded column t is stored in its row. Col(o·s + k) = Col(o·s) + Col(k) when Split = s.</summary>
        public int Col(int t) => Split == 1 ? t : (t % Split) * PhaseW + t / Split;
    }

    /// <summary>
    /// src (n, c, d, h, w) with lo zeros before and hi zeros after each axis, in a reused workspace
    /// (or src itself when nothing is added).
    /// </summary>
    private Padded Pad(CpuBackend be, float[] src, int n, int c, int d, int h, int w,
        int loD, int loH, int loW, int hiD, int hiH, int hiW, int split = 1)
    {
        if (split > 1)
        {
            return PadSplit(be, src, n, c, d, h, w, loD, loH, loW, hiD, hiH, hiW, split);
        }
        if (loD == 0 && loH == 0 && loW == 0 && hiD == 0 && hiH == 0 && hiW == 0)
        {
            return new Padded(src, d, h, w, 0, 0, 0);
        }
        int pd = d + loD + hiD, ph = h + loH + hiH, pw = w + loW + hiW;
        long size = (long)n * c * pd * ph * pw;
        if (_padded.Length < size)
        {
            _padded = GC.AllocateUninitializedArray<float>(checked((int)Math.Max(size, _padded.Length * 5L / 4)), pinned: true);
        }
        var dst = _padded;
        be.For(n * c, plane =>
        {
            var outPlane = dst.AsSpan(plane * pd * ph * pw, pd * ph * pw);
            outPlane.Clear();
            for (int z = 0; z < d; z++)
            {
                for (int y = 0; y < h; y++)
                {
                    src.AsSpan(((plane * d + z) * h + y) * w, w)
                        .CopyTo(outPlane.Slice(((z + loD) * ph + y + loH) * pw + loW, w));
                }
            }
        });
        return new Padded(dst, pd, ph, pw, loD, loH, loW);
    }

    /// <summary>As <see cref="Pad"/>, with every row deinterleaved by <paramref name="split"/> (see <see cref="Padded"/>).</summary>
    private Padded PadSplit(CpuBackend be, float[] src, int n, int c, int d, int h, int w,
        int loD, int loH, int loW, int hiD, int hiH, int hiW, int split)
    {
        int pd = d + loD + hiD, ph = h + loH + hiH;
        int phaseW = (w + loW + hiW + split - 1) / split, pw = phaseW * split;
        long size = (long)n * c * pd * ph * pw;
        if (_padded.Length < size)
        {
            _padded = GC.AllocateUninitializedArray<float>(checked((int)Math.Max(size, _padded.Length * 5L / 4)), pinned: true);
        }
        var dst = _padded;
        var layout = new Padded(dst, pd, ph, pw, loD, loH, loW, split, phaseW);
        be.For(n * c, plane =>
        {
            var outPlane = dst.AsSpan(plane * pd * ph * pw, pd * ph * pw);
            outPlane.Clear();
            for (int z = 0; z < d; z++)
            {
                for (int y = 0; y < h; y++)
                {
                    var row = src.AsSpan(((plane * d + z) * h + y) * w, w);
                    var outRow = outPlane.Slice(((z + loD) * ph + y + loH) * pw, pw);
                    // Phase by phase: padded column t = x + loW goes to (t mod s)·phaseW + t / s.
                    for (int r = 0; r < split; r++)
                    {
                        int t = loW + (((r - loW) % split) + split) % split;
                        for (int at = r * phaseW + t / split; t < loW + w; t += split, at++)
                        {
                            outRow[at] = row[t - loW];
                        }
                    }
                }
            }
        });
        return layout;
    }

    /// <summary>Zeros after an axis so that the last window of (count − 1)·stride − lo + kernel fits.</summary>
    private static int Overhang(int outCount, int stride, int kernel, int lo, int extent) =>
        Math.Max(0, (outCount - 1) * stride + kernel - lo - extent);

    public void Forward(CpuBackend be, float[] x, float[] w, float[] y, in Conv3dGeometry g, int version)
    {
        lock (_lock)
        {
            var xp = Pad(be, x, g.N, g.Cin, g.Di, g.Hi, g.Wi, g.Pd, g.Ph, g.Pw,
                Overhang(g.Do, g.Sd, g.Kd, g.Pd, g.Di), Overhang(g.Ho, g.Sh, g.Kh, g.Ph, g.Hi), Overhang(g.Wo, g.Sw, g.Kw, g.Pw, g.Wi), version >= 3 ? g.Sw : 1);
            int k = g.Cin * g.KernelVolume, n = g.N * g.OutputVolume;
            TapOffsets(g, xp, Grow(ref _bRowOff, k), null, channelMinor: false);
            var aCol = Grow(ref _aColOff, k);
            for (int i = 0; i < k; i++)
            {
                aCol[i] = i;
            }
            PositionOffsets(g, xp, Grow(ref _bColOff, n), Grow(ref _cOff, n), BatchMinor(g.Wo));
            _gemm.Run(be, g.Cout, n, k, w, k, aCol, xp.Data, _bRowOff, _bColOff, y, _cOff, g.OutputVolume, accumulate: false, version);
        }
    }

    public void BackwardWeight(CpuBackend be, float[] x, float[] dy, float[] dw, in Conv3dGeometry g, int version)
    {
        lock (_lock)
        {
            var xp = Pad(be, x, g.N, g.Cin, g.Di, g.Hi, g.Wi, g.Pd, g.Ph, g.Pw,
                Overhang(g.Do, g.Sd, g.Kd, g.Pd, g.Di), Overhang(g.Ho, g.Sh, g.Kh, g.Ph, g.Hi), Overhang(g.Wo, g.Sw, g.Kw, g.Pw, g.Wi), version >= 3 ? g.Sw : 1);
            int vout = g.OutputVolume, k = g.N * vout, n = g.Cin * g.KernelVolume;
            var aCol = Grow(ref _aColOff, k);
            for (int b = 0, j = 0; b < g.N; b++)
            {
                for (int o = 0; o < vout; o++, j++)
                {
                    aCol[j] = b * g.Cout * vout + o;
                }
            }
            PositionOffsets(g, xp, Grow(ref _bRowOff, k), null, batchMinor: false);
            // Channel-minor taps make runs as long as Cin (strided by a channel); kernel-minor ones only Kw long.
            // Version 3 packs B tap by tap along runs of positions (contiguous in the deinterleaved
            // input), so the taps' order no longer matters for the gather: kernel-minor, which also
            // makes dW's stores contiguous, and which for a one-position output (the window is the
            // whole input) is one run across all channels for the small-M path.
            TapOffsets(g, xp, Grow(ref _bColOff, n), Grow(ref _cOff, n), channelMinor: g.Cin >= 16 && version < 3);
            _gemm.Run(be, g.Cout, n, k, dy, vout, aCol, xp.Data, _bRowOff, _bColOff, dw, _cOff, n, accumulate: false, version,
                packByRows: version >= 3);
        }
    }

    /// <summary>
    /// Whether columns take the batch innermost: a run then covers the whole batch at one position (a
    /// strided copy) instead of a few contiguous values. Measured slower for every GAN layer on Zen 4
    /// (the strided reads defeat the cache), so off; kept switchable for other machines.
    /// </summary>
    internal static bool PreferBatchMinor { get; set; }

    private static bool BatchMinor(int rowLength) => PreferBatchMinor && rowLength < 16;

    /// <summary>
    /// Offset of tap (ci, kd, kh, kw) in the padded input, relative to a window's corner, and (when
    /// <paramref name="index"/> is given) the tap's index in the weight, in kernel-then-channel order
    /// when <paramref name="channelMinor"/>.
    /// </summary>
    private static void TapOffsets(in Conv3dGeometry g, Padded xp, int[] off, int[]? index, bool channelMinor)
    {
        int hw = xp.H * xp.W, kvol = g.KernelVolume;
        for (int ci = 0; ci < g.Cin; ci++)
        for (int kd = 0; kd < g.Kd; kd++)
        for (int kh = 0; kh < g.Kh; kh++)
        for (int kw = 0; kw < g.Kw; kw++)
        {
            int k = (kd * g.Kh + kh) * g.Kw + kw;
            int i = channelMinor ? k * g.Cin + ci : ci * kvol + k;
            off[i] = ci * xp.Volume + kd * hw + kh * xp.W + xp.Col(kw);
            if (index is not null)
            {
                index[i] = ci * kvol + k;
            }
        }
    }

    /// <summary>
    /// Offset of the window corner of output position (n, od, oh, ow) in the padded input and (when
    /// <paramref name="yOff"/> is given) of the position in the output, batch-innermost when asked.
    /// </summary>
    private static void PositionOffsets(in Conv3dGeometry g, Padded xp, int[] off, int[]? yOff, bool batchMinor)
    {
        int hw = xp.H * xp.W, vout = g.OutputVolume;
        for (int b = 0; b < g.N; b++)
        for (int od = 0, o = 0; od < g.Do; od++)
        for (int oh = 0; oh < g.Ho; oh++)
        for (int ow = 0; ow < g.Wo; ow++, o++)
        {
            int j = batchMinor ? o * g.N + b : b * vout + o;
            off[j] = b * g.Cin * xp.Volume + od * g.Sd * hw + oh * g.Sh * xp.W + xp.Col(ow * g.Sw);
            if (yOff is not null)
            {
                yOff[j] = b * g.Cout * vout + o;
            }
        }
    }

    public void BackwardData(CpuBackend be, float[] dy, float[] w, float[] dx, in Conv3dGeometry g, int version)
    {
        lock (_lock)
        {
            if (g.Do == 1 && g.Ho == 1 && g.Wo == 1 && g.Pd == 0 && g.Ph == 0 && g.Pw == 0 &&
                g.Di == g.Kd && g.Hi == g.Kh && g.Wi == g.Kw)
            {
                BackwardDataFromPoint(be, dy, w, dx, g, version);
                return;
            }
            var td = AxisTaps(g.Sd, g.Pd, g.Kd, g.Di, g.Do);
            var th = AxisTaps(g.Sh, g.Ph, g.Kh, g.Hi, g.Ho);
            var tw = AxisTaps(g.Sw, g.Pw, g.Kw, g.Wi, g.Wo);
            var dyp = Pad(be, dy, g.N, g.Cout, g.Do, g.Ho, g.Wo, td.Lo, th.Lo, tw.Lo, td.Hi, th.Hi, tw.Hi);
            if (version >= 3 && g.Cin <= ImplicitGemm.SmallM)
            {
                BackwardDataSmallM(be, dyp, w, dx, g, td, th, tw);
                return;
            }
            for (int rd = 0; rd < g.Sd; rd++)
            for (int rh = 0; rh < g.Sh; rh++)
            for (int rw = 0; rw < g.Sw; rw++)
            {
                BackwardDataClass(be, dyp, w, dx, g, (td, rd), (th, rh), (tw, rw), version);
            }
        }
    }

    /// <summary>
    /// The taps of one axis by residue class r of the input position (taps k with k ≡ r + p mod s,
    /// each reading output q + (r + p − k)/s for input q·s + r), the number of inputs in each class,
    /// and the padding the output needs so that every read is in range.
    /// </summary>
    private sealed record AxisTapSet((int K, int Offset)[][] ByResidue, int[] Count, int Lo, int Hi);

    private static AxisTapSet AxisTaps(int s, int p, int kernel, int inExtent, int outExtent)
    {
        var byResidue = new (int, int)[s][];
        var count = new int[s];
        int lo = 0, hi = 0;
        for (int r = 0; r < s; r++)
        {
            // The class's taps k = K0 + s·t read output j + Base − t (the split the ILGPU kernels use).
            var axis = ParityAxis.Create(r, p, s, kernel, inExtent);
            count[r] = axis.Count;
            var taps = new (int, int)[axis.Taps];
            for (int t = 0; t < axis.Taps; t++)
            {
                int off = axis.Base - t;
                taps[t] = (axis.K0 + s * t, off);
                if (count[r] > 0)
                {
                    lo = Math.Max(lo, -off);
                    hi = Math.Max(hi, count[r] - 1 + off - (outExtent - 1));
                }
            }
            byResidue[r] = taps;
        }
        return new AxisTapSet(byResidue, count, lo, hi);
    }

    /// <summary>
    /// The reduction index tables of one residue class of backward-data: for each (output channel, tap)
    /// pair, in that order, the weight's offset (<paramref name="aCol"/>) and the offset in padded dY of
    /// the class's first position (<paramref name="bRow"/>).
    /// </summary>
    private static void FillClassTapOffsets(Padded dyp, in Conv3dGeometry g, (int K, int O)[] td, (int K, int O)[] th, (int K, int O)[] tw,
        int[] aCol, int[] bRow)
    {
        int kvol = g.KernelVolume, hw = dyp.H * dyp.W, kk = 0;
        for (int co = 0; co < g.Cout; co++)
        {
            foreach (var (kd, od) in td)
            {
                foreach (var (kh, oh) in th)
                {
                    foreach (var (kw, ow) in tw)
                    {
                        aCol[kk] = co * g.Cin * kvol + (kd * g.Kh + kh) * g.Kw + kw;
                        bRow[kk] = co * dyp.Volume + (od + dyp.LoD) * hw + (oh + dyp.LoH) * dyp.W + ow + dyp.LoW;
                        kk++;
                    }
                }
            }
        }
    }

    private void BackwardDataClass(CpuBackend be, Padded dyp, float[] w, float[] dx, in Conv3dGeometry g,
        (AxisTapSet Set, int R) ad, (AxisTapSet Set, int R) ah, (AxisTapSet Set, int R) aw, int version)
    {
        int qd = ad.Set.Count[ad.R], qh = ah.Set.Count[ah.R], qw = aw.Set.Count[aw.R];
        int n = g.N * qd * qh * qw;
        if (n == 0)
        {
            return;
        }
        var td = ad.Set.ByResidue[ad.R];
        var th = ah.Set.ByResidue[ah.R];
        var tw = aw.Set.ByResidue[aw.R];
        int kvol = g.KernelVolume, vin = g.InputVolume, hw = dyp.H * dyp.W;
        int k = g.Cout * td.Length * th.Length * tw.Length;
        var aCol = Grow(ref _aColOff, Math.Max(k, 1));
        var bRow = Grow(ref _bRowOff, Math.Max(k, 1));
        FillClassTapOffsets(dyp, g, td, th, tw, aCol, bRow);
        var bCol = Grow(ref _bColOff, n);
        var cOff = Grow(ref _cOff, n);
        int per = qd * qh * qw;
        for (int b = 0, j = 0; b < g.N; b++)
        for (int d = 0; d < qd; d++)
        for (int h = 0; h < qh; h++)
        for (int wq = 0; wq < qw; wq++, j++)
        {
            bCol[j] = b * g.Cout * dyp.Volume + d * hw + h * dyp.W + wq;
            cOff[j] = j;
        }
        // The class's inputs are every s-th element of dx: compute them contiguously ((ci, n, q) order,
        // so the micro-kernel stores whole vectors), then interleave them into dx in one pass.
        long size = (long)g.Cin * n;
        if (_classOut.Length < size)
        {
            _classOut = GC.AllocateUninitializedArray<float>(checked((int)Math.Max(size, _classOut.Length * 5L / 4)), pinned: true);
        }
        var classOut = _classOut;
        _gemm.Run(be, g.Cin, n, k, w, kvol, aCol, dyp.Data, bRow, bCol, classOut, cOff, n, accumulate: false, version);
        var geo = g;
        int rd = ad.R, rh = ah.R, rw = aw.R;
        be.For(g.N * g.Cin, plane =>
        {
            int b = plane / geo.Cin, ci = plane % geo.Cin;
            int src = ci * n + b * per;
            int dstBase = plane * vin;
            for (int d = 0; d < qd; d++)
            {
                for (int h = 0; h < qh; h++)
                {
                    int row = dstBase + ((d * geo.Sd + rd) * geo.Hi + h * geo.Sh + rh) * geo.Wi + rw;
                    for (int wq = 0; wq < qw; wq++)
                    {
                        dx[row + wq * geo.Sw] = classOut[src++];
                    }
                }
            }
        });
    }

    /// <summary>
    /// Version 3 backward-data for one or two input channels (the generator's last transposed
    /// convolution, the input gradient of the discriminator's first layer). Every residue class is a
    /// small-M product, as in <see cref="BackwardDataClass"/>, but they run together slab by slab: an
    /// item is one batch sample and a few input depths, and does all classes there while that part of
    /// dY is in L2 (class by class, the whole dY streamed from memory once per class, which set the
    /// pace), writing straight into dx.
    /// </summary>
    private void BackwardDataSmallM(CpuBackend be, Padded dyp, float[] w, float[] dx, in Conv3dGeometry g,
        AxisTapSet td, AxisTapSet th, AxisTapSet tw)
    {
        int kvol = g.KernelVolume, hw = dyp.H * dyp.W;
        var jobs = new List<(ImplicitGemm.Job Job, int PlaneCols, int Qd)>();
        for (int rd = 0; rd < g.Sd; rd++)
        for (int rh = 0; rh < g.Sh; rh++)
        for (int rw = 0; rw < g.Sw; rw++)
        {
            int qd = td.Count[rd], qh = th.Count[rh], qw = tw.Count[rw];
            var tapsD = td.ByResidue[rd];
            var tapsH = th.ByResidue[rh];
            var tapsW = tw.ByResidue[rw];
            int k = g.Cout * tapsD.Length * tapsH.Length * tapsW.Length;
            int per = qd * qh * qw;
            if (per == 0)
            {
                continue;
            }
            var aCol = new int[Math.Max(k, 1)];
            var bRow = new int[Math.Max(k, 1)];
            FillClassTapOffsets(dyp, g, tapsD, tapsH, tapsW, aCol, bRow);
            // Columns of one batch sample; the sample's offsets are added per item.
            var bCol = new int[per];
            var cOff = new int[per];
            for (int d = 0, j = 0; d < qd; d++)
            for (int h = 0; h < qh; h++)
            for (int wq = 0; wq < qw; wq++, j++)
            {
                bCol[j] = d * hw + h * dyp.W + wq;
                cOff[j] = ((d * g.Sd + rd) * g.Hi + h * g.Sh + rh) * g.Wi + wq * g.Sw + rw;
            }
            if (k == 0 || (long)g.Cin * (ImplicitGemm.Nc + k) > (long)ImplicitGemm.Kc * ImplicitGemm.Nc)
            {
                // No tap reaches this class (its inputs get no gradient), or too long a reduction for
                // the small-M scratch: the class-by-class path handles both.
                BackwardDataClass(be, dyp, w, dx, g, (td, rd), (th, rh), (tw, rw), 3);
                continue;
            }
            jobs.Add((_gemm.SmallMJob(g.Cin, per, k, w, kvol, aCol, dyp.Data, bRow, bCol, dx, cOff, g.InputVolume), qh * qw, qd));
        }
        if (jobs.Count == 0)
        {
            return;
        }
        int maxQd = jobs.Max(j => j.Qd);
        int planeCols = jobs.Max(j => j.PlaneCols);
        // Depth slabs of about one column block (Nc) per class.
        int slab = Math.Max(1, ImplicitGemm.Nc / Math.Max(1, planeCols));
        int slabs = (maxQd + slab - 1) / slab;
        var geo = g;
        var gemm = _gemm;
        long srcStride = (long)g.Cout * dyp.Volume, cStride = (long)g.Cin * g.InputVolume;
        be.For(g.N * slabs, item =>
        {
            int b = item / slabs, d0 = item % slabs * slab;
            foreach (var (job, cols, qd) in jobs)
            {
                int d1 = Math.Min(qd, d0 + slab);
                if (d0 < d1)
                {
                    gemm.SmallMRange(job, d0 * cols, (d1 - d0) * cols, checked((int)(b * srcStride)), checked((int)(b * cStride)));
                }
            }
        });
    }

    /// <summary>
    /// Backward-data of a convolution whose output is a single position and whose kernel covers the
    /// whole unpadded input (the generator's first layer, 1³ → 4³): dx[n, (ci, k)] = Σ_co dY[n, co] · W[co, (ci, k)].
    /// </summary>
    private void BackwardDataFromPoint(CpuBackend be, float[] dy, float[] w, float[] dx, in Conv3dGeometry g, int version)
    {
        int cols = g.Cin * g.KernelVolume;
        var aCol = Grow(ref _aColOff, g.Cout);
        var bRow = Grow(ref _bRowOff, g.Cout);
        for (int co = 0; co < g.Cout; co++)
        {
            aCol[co] = co;
            bRow[co] = co * cols;
        }
        var bCol = Grow(ref _bColOff, cols);
        var cOff = Grow(ref _cOff, cols);
        for (int j = 0; j < cols; j++)
        {
            bCol[j] = j;
            cOff[j] = j;
        }
        _gemm.Run(be, g.N, cols, g.Cout, dy, g.Cout, aCol, w, bRow, bCol, dx, cOff, cols, accumulate: false, version);
    }
}
