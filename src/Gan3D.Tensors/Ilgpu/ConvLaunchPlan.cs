using Gan3D.Kernels;

namespace Gan3D.Tensors;

/// <summary>The three convolution kernels (a transposed convolution runs them as its adjoint).</summary>
public enum ConvKernelPass
{
    Forward,
    BackwardData,
    BackwardWeight,
}

/// <summary>How a launch tiles its GEMM.</summary>
public enum ConvTiling
{
    /// <summary>64 × 64 tiles of C (the kernel version's own kernels).</summary>
    Tile64,

    /// <summary>The small-M kernels: a thread per column of C and a block of at most 8 rows (Conv3dKernels.SmallM.cs).</summary>
    SmallM,
}

/// <summary>
/// How <see cref="IlgpuBackend"/> launches one implicit-GEMM convolution pass (kernel versions 2 and 3):
/// a grid of 64 × 64 tiles of C (x over GEMM columns, y over rows, z over parity classes or split-K
/// chunks), groups of <see cref="GroupSize"/> threads, and the FLOPs that launch performs.
/// </summary>
/// <param name="Pass">Which kernel.</param>
/// <param name="KernelVersion">2 or 3 (same tiles and grid; v3 runs a tile with 64 threads, v2 with 256).</param>
/// <param name="GridX">Groups along x (GEMM columns).</param>
/// <param name="GridY">Groups along y (GEMM rows).</param>
/// <param name="GridZ">The GEMMs (parity classes of backward-data, border-run combinations, else 1) times the split-K chunks.</param>
/// <param name="GroupSize">Threads per group.</param>
/// <param name="SplitK">Chunks the reduction is split into (each writes its own copy of the output, summed in chunk order).</param>
/// <param name="KChunk">Reduction indices per chunk (the longest GEMM's whole reduction when not split).</param>
/// <param name="Dense">Backward-data of a 1³ unpadded output, run as one plain GEMM instead of by parity.</param>
/// <param name="ExecutedFlops">2 × every multiply-add the launched tiles perform: padded rows, columns and
/// reduction slices included, groups that exit at once (past a small parity class) excluded.</param>
/// <param name="UsefulFlops">2 × the multiply-adds of the convolution whose input position is inside the
/// input (a tap on padding multiplies a zero): what a naive loop over the convolution performs.</param>
public sealed record ConvLaunchPlan(
    ConvKernelPass Pass,
    int KernelVersion,
    long GridX,
    int GridY,
    int GridZ,
    int GroupSize,
    int SplitK,
    int KChunk,
    bool Dense,
    long ExecutedFlops,
    long UsefulFlops)
{
    // Both versions tile C in the same 64 × 64 × 8 (ImplicitGemmTile3 and ImplicitGemmTileTf32 have the same constants).
    private const int TileM = ImplicitGemmTile.TileM, TileN = ImplicitGemmTile.TileN, TileK = ImplicitGemmTile.TileK;

    /// <summary>Groups of backward-weight wanted in flight: 4 per SM of a 132-SM H100/H200 (256, under 2 per SM,
    /// left most SMs with one group to hide latency with; a v3 group is a quarter of v2's threads).</summary>
    private const int BackwardWeightTargetGroups = 4 * 132;

    /// <summary>Forward and backward-data split their reduction only when their tiles are fewer than this: 2 per SM of 132.</summary>
    public const int SplitBelowGroups = 2 * 132;

    /// <summary>Shortest reduction chunk worth a group of its own (32 steps of the 8-deep tile loop).</summary>
    private const int BackwardWeightMinChunk = 256;

    /// <summary>Most chunks: bounds the partials buffer to 64 weight gradients.</summary>
    private const int BackwardWeightMaxChunks = 64;

    /// <summary>Small-M launches: threads wanted in flight (4 groups of 64 per SM of 132, as backward-weight's target).</summary>
    private const int SmallMTargetThreads = 4 * 132 * ImplicitGemmSmallM.Threads;

    /// <summary>Small-M launches: the shortest reduction chunk (a thread's loop) worth a thread of its own.</summary>
    private const int SmallMMinChunk = 32;

    /// <summary>Small-M launches: most chunks (each a copy of the output, summed serially by the reduce kernel).</summary>
    private const int SmallMMaxChunks = 64;

    /// <summary>
    /// Tile waste (executed ÷ nominal) above which the plan tries the small-M kernels: the bound on
    /// executed ÷ useful. The padding border (taps on zeros) is not tile waste, and the small-M kernels
    /// cannot skip it either, so it does not count.
    /// </summary>
    public const double SmallMThreshold = 1.25;

    /// <summary>How the launch tiles its GEMM.</summary>
    public ConvTiling Tiling { get; init; }

    /// <summary>
    /// 64 × 64 tiles over the border split (Conv3dKernels.Border.cs): one GEMM per combination of runs along the
    /// three axes, each reducing over the taps inside the tensor only. Picked where the plain tiles' executed ÷
    /// useful is over <see cref="SmallMThreshold"/> and the split executes less.
    /// </summary>
    public bool Border { get; init; }

    /// <summary>Small-M backward-data of a 1³ output: the batch is the GEMM's rows (dX = dY · W).</summary>
    public bool ByBatch { get; init; }

    /// <summary>The arithmetic of the launch: TF32 only for 64 × 64 tiles marked by <see cref="WithPrecision"/>.</summary>
    public ConvPrecision Precision { get; init; }

    /// <summary>
    /// This launch with <paramref name="precision"/>: a TF32 launch of 64 × 64 tiles runs the TF32 kernels
    /// (Conv3dKernels.Tf32.cs: the same tiles and grid as version 2, groups of 256); small-M launches stay float32,
    /// and so do border-split launches and split-K forward / backward-data launches, which have no TF32 kernel
    /// (the G64/D64 layers that take TF32 need neither: their border layers are the small 8³ ↔ 4³ ones).
    /// </summary>
    public ConvLaunchPlan WithPrecision(ConvPrecision precision) =>
        precision == ConvPrecision.Tf32 && Tiling == ConvTiling.Tile64 && !Border && (Pass == ConvKernelPass.BackwardWeight || SplitK == 1)
            ? this with { Precision = precision, GroupSize = ImplicitGemmTileTf32.Threads }
            : this;

    /// <summary>The kernel, as tables print it: the pass, "m1" / "m8" for the small-M kernels' row block, "tf32" for tensor cores.</summary>
    public string KernelName
    {
        get
        {
            string pass = Pass switch
            {
                ConvKernelPass.Forward => "fwd",
                ConvKernelPass.BackwardData => "bwd-data",
                _ => "bwd-weight",
            };
            return Tiling == ConvTiling.SmallM ? $"{pass} m{RowBlock}" : Border ? $"{pass} border" : Precision == ConvPrecision.Tf32 ? $"{pass} tf32" : pass;
        }
    }

    /// <summary>Executed ÷ useful FLOPs (1 = no waste); 1 for an empty convolution.</summary>
    public double Waste => UsefulFlops > 0 ? (double)ExecutedFlops / UsefulFlops : 1;

    /// <summary>
    /// 2·<see cref="Conv3dGeometry.Macs"/>: every tap, padding included, as cuDNN and PyTorch count.
    /// Executed ÷ nominal is the waste of the tiles alone, without the zeros padding multiplies.
    /// </summary>
    public long NominalFlops { get; init; }

    /// <summary>Executed ÷ nominal FLOPs (see <see cref="NominalFlops"/>).</summary>
    public double WasteOverNominal => NominalFlops > 0 ? (double)ExecutedFlops / NominalFlops : 1;

    /// <summary>The grid as "x×y×z".</summary>
    public string GridText => $"{GridX}×{GridY}×{GridZ}";

    /// <summary>
    /// The launch of <paramref name="pass"/> for <paramref name="g"/> with kernel version 2 or 3. Depends
    /// only on the geometry and the version, never on the device: this is what the backend launches.
    /// </summary>
    /// <param name="pass">The pass.</param>
    /// <param name="g">The geometry.</param>
    /// <param name="kernelVersion">2 or 3.</param>
    /// <param name="selectByShape">Whether to take the border split where the 64 × 64 tiles' executed ÷ useful is over
    /// <see cref="SmallMThreshold"/>, or the small-M kernels where their executed ÷ nominal is, whichever executes
    /// least (false: always the version's plain tiles).</param>
    public static ConvLaunchPlan Create(ConvKernelPass pass, in Conv3dGeometry g, int kernelVersion, bool selectByShape = true)
    {
        var tiles = Launch(pass, g, kernelVersion, border: false) with { NominalFlops = 2 * g.Macs };
        if (!selectByShape)
        {
            return tiles;
        }
        var best = tiles;
        if (tiles.Waste > SmallMThreshold)
        {
            var border = Launch(pass, g, kernelVersion, border: true) with { NominalFlops = 2 * g.Macs };
            best = border.ExecutedFlops < best.ExecutedFlops ? border : best;
        }
        if (tiles.WasteOverNominal > SmallMThreshold)
        {
            var small = SmallM(pass, g, kernelVersion) with { NominalFlops = 2 * g.Macs };
            best = small.ExecutedFlops < best.ExecutedFlops ? small : best;
        }
        return best;
    }

    /// <summary>The border-split launch of <paramref name="pass"/> (see Conv3dKernels.Border.cs), whether or not <see cref="Create(ConvKernelPass, in Conv3dGeometry, int, bool)"/> would pick it.</summary>
    public static ConvLaunchPlan BorderSplit(ConvKernelPass pass, in Conv3dGeometry g, int kernelVersion) =>
        Launch(pass, g, kernelVersion, border: true) with { NominalFlops = 2 * g.Macs };

    /// <summary>The small-M launch of <paramref name="pass"/> (see Conv3dKernels.SmallM.cs).</summary>
    public static ConvLaunchPlan SmallM(ConvKernelPass pass, in Conv3dGeometry g, int kernelVersion)
    {
        // Per GEMM: (columns, reduction length); backward-data has one per parity class.
        var gemms = new List<(long Columns, long K)>();
        long rows;
        bool byBatch = false;
        switch (pass)
        {
            case ConvKernelPass.Forward:
                rows = g.Cout;
                gemms.Add(((long)g.N * g.OutputVolume, (long)g.Cin * g.KernelVolume));
                break;
            case ConvKernelPass.BackwardData when IsDenseBackwardData(g):
                rows = g.N;
                byBatch = true;
                gemms.Add(((long)g.Cin * g.KernelVolume, g.Cout));
                break;
            case ConvKernelPass.BackwardData:
                rows = g.Cin;
                for (int r = 0; r < g.Sd * g.Sh * g.Sw; r++)
                {
                    int rw = r % g.Sw, rh = r / g.Sw % g.Sh, rd = r / (g.Sw * g.Sh);
                    var ad = ParityAxis.Create(rd, g.Pd, g.Sd, g.Kd, g.Di);
                    var ah = ParityAxis.Create(rh, g.Ph, g.Sh, g.Kh, g.Hi);
                    var aw = ParityAxis.Create(rw, g.Pw, g.Sw, g.Kw, g.Wi);
                    gemms.Add(((long)g.N * ad.Count * ah.Count * aw.Count, (long)g.Cout * ad.Taps * ah.Taps * aw.Taps));
                }
                break;
            default:
                rows = g.Cout;
                gemms.Add(((long)g.Cin * g.KernelVolume, (long)g.N * g.OutputVolume));
                break;
        }
        long blocks = rows == 1 ? 1 : CeilDiv(rows, ImplicitGemmSmallM.Rows);
        long rowsRun = rows == 1 ? 1 : blocks * ImplicitGemmSmallM.Rows;
        long maxColumns = gemms.Max(m => m.Columns), maxK = gemms.Max(m => m.K);
        long threads = Math.Max(1, gemms.Sum(m => m.Columns) * blocks);
        long wanted = Math.Clamp(CeilDiv(SmallMTargetThreads, threads), 1, SmallMMaxChunks);
        long split = Math.Min(wanted, Math.Max(1, maxK / SmallMMinChunk));
        long chunk = Math.Max(1, CeilDiv(maxK, split));
        int chunks = (int)Math.Max(1, CeilDiv(maxK, chunk));
        // Threads are flattened over (chunk, column): only the last warp of each GEMM runs idle lanes.
        double executed = 0;
        foreach (var (columns, k) in gemms)
        {
            long active = columns * chunks;
            executed += active == 0 ? 0 : 2.0 * rowsRun * k * columns * (CeilDiv(active, 32) * 32) / active;
        }
        return new(pass, kernelVersion, CeilDiv(maxColumns * chunks, ImplicitGemmSmallM.Threads), (int)blocks, gemms.Count,
            ImplicitGemmSmallM.Threads, chunks, (int)chunk, pass == ConvKernelPass.BackwardData && IsDenseBackwardData(g),
            (long)Math.Round(executed), UsefulFlopsOf(g))
        { Tiling = ConvTiling.SmallM, ByBatch = byBatch, RowBlock = rows == 1 ? 1 : ImplicitGemmSmallM.Rows };
    }

    /// <summary>Small-M launches: rows a thread runs (1 or <see cref="ImplicitGemmSmallM.Rows"/>); 64 for tiles.</summary>
    public int RowBlock { get; init; } = TileM;

    /// <summary>The launch of <paramref name="pass"/> for the convolution a layer runs (its adjoint's, when transposed).</summary>
    public static ConvLaunchPlan Create(ConvKernelPass pass, in ConvLayerShape layer, int kernelVersion) =>
        Create(pass, layer.Geometry, kernelVersion);

    private static ConvLaunchPlan Launch(ConvKernelPass pass, in Conv3dGeometry g, int kernelVersion, bool border)
    {
        if (kernelVersion is not (2 or 3))
        {
            throw new ArgumentOutOfRangeException(nameof(kernelVersion), kernelVersion, "launch plans exist for the implicit-GEMM kernels, versions 2 and 3");
        }
        int group = kernelVersion == 3 ? ImplicitGemmTile3.Threads : ImplicitGemmTile.Threads;
        bool dense = pass == ConvKernelPass.BackwardData && IsDenseBackwardData(g);
        border &= !dense;
        var (rows, gemms) = Gemms(pass, g, border, dense);
        long gy = CeilDiv(rows, TileM);
        long gx = gemms.Max(m => CeilDiv(m.Columns, TileN));
        long tiles = gy * gemms.Sum(m => CeilDiv(m.Columns, TileN));
        long maxK = gemms.Max(m => m.K);
        int chunk, chunks;
        if (pass == ConvKernelPass.BackwardWeight && !border)
        {
            chunk = BackwardWeightChunk(g, out chunks);
        }
        else
        {
            (chunk, chunks) = Split(tiles, maxK, pass == ConvKernelPass.BackwardWeight);
        }
        // Groups past a GEMM's columns exit at once; every chunk runs whole 8-deep slices of its part.
        long executed = 0;
        foreach (var (columns, k) in gemms)
        {
            for (int z = 0; z < chunks; z++)
            {
                long begin = Math.Min((long)z * chunk, k);
                executed += 2L * TileM * TileN * gy * CeilDiv(columns, TileN) * PaddedK(Math.Min(begin + chunk, k) - begin);
            }
        }
        return new(pass, kernelVersion, gx, (int)gy, gemms.Count * chunks, group, chunks, chunk, dense, executed, UsefulFlopsOf(g)) { Border = border };
    }

    /// <summary>
    /// The GEMMs a pass runs (grid z before split-K): their rows (the same for all) and per GEMM its columns
    /// and reduction length. Backward-data has one per parity class; the border split one per combination of
    /// <see cref="BorderAxis"/> runs, in the kernels' order (depth slowest).
    /// </summary>
    private static (long Rows, List<(long Columns, long K)> Gemms) Gemms(ConvKernelPass pass, in Conv3dGeometry g, bool border, bool dense)
    {
        var gemms = new List<(long Columns, long K)>();
        switch (pass)
        {
            case ConvKernelPass.Forward when border:
                foreach (var (d, h, w) in Combinations(
                    Runs(BorderAxis.Forward(g.Sd, g.Pd, g.Kd, g.Di, g.Do)), Runs(BorderAxis.Forward(g.Sh, g.Ph, g.Kh, g.Hi, g.Ho)), Runs(BorderAxis.Forward(g.Sw, g.Pw, g.Kw, g.Wi, g.Wo))))
                {
                    gemms.Add(((long)g.N * d.Count * h.Count * w.Count, (long)g.Cin * d.Taps * h.Taps * w.Taps));
                }
                return (g.Cout, gemms);
            case ConvKernelPass.Forward:
                gemms.Add(((long)g.N * g.OutputVolume, (long)g.Cin * g.KernelVolume));
                return (g.Cout, gemms);
            case ConvKernelPass.BackwardData when dense:
                gemms.Add((g.N, g.Cout));
                return ((long)g.Cin * g.KernelVolume, gemms);
            case ConvKernelPass.BackwardData:
                {
                    // The kernels' own splits (ParityAxis, BorderAxis), so the plan counts what they run.
                    var ad = ParityRuns(g.Pd, g.Sd, g.Kd, g.Di, g.Do, border);
                    var ah = ParityRuns(g.Ph, g.Sh, g.Kh, g.Hi, g.Ho, border);
                    var aw = ParityRuns(g.Pw, g.Sw, g.Kw, g.Wi, g.Wo, border);
                    foreach (var (d, h, w) in Combinations(ad, ah, aw))
                    {
                        gemms.Add(((long)g.N * d.Count * h.Count * w.Count, (long)g.Cout * d.Taps * h.Taps * w.Taps));
                    }
                    return (g.Cin, gemms);
                }
            case ConvKernelPass.BackwardWeight when border:
                foreach (var (d, h, w) in Combinations(
                    Runs(BorderAxis.BackwardWeight(g.Sd, g.Pd, g.Kd, g.Di, g.Do)), Runs(BorderAxis.BackwardWeight(g.Sh, g.Ph, g.Kh, g.Hi, g.Ho)),
                    Runs(BorderAxis.BackwardWeight(g.Sw, g.Pw, g.Kw, g.Wi, g.Wo))))
                {
                    gemms.Add(((long)g.Cin * d.Count * h.Count * w.Count, (long)g.N * d.Taps * h.Taps * w.Taps));
                }
                return (g.Cout, gemms);
            default:
                gemms.Add(((long)g.Cin * g.KernelVolume, (long)g.N * g.OutputVolume));
                return (g.Cout, gemms);
        }
    }

    /// <summary>An axis's runs as (positions, taps) pairs.</summary>
    private static List<(int Count, int Taps)> Runs(BorderAxis axis) =>
        Enumerable.Range(0, axis.Runs()).Select(i => axis.Run(i)).Select(r => (r.Count, r.Taps)).ToList();

    /// <summary>Backward-data's classes along an axis: the parity classes, each cut into its border runs when <paramref name="border"/>.</summary>
    private static List<(int Count, int Taps)> ParityRuns(int pad, int stride, int kernel, int inExtent, int outExtent, bool border)
    {
        if (border)
        {
            return Enumerable.Range(0, BorderAxis.BackwardDataRuns(pad, stride, kernel, inExtent, outExtent))
                .Select(i => BorderAxis.BackwardDataRun(i, pad, stride, kernel, inExtent, outExtent)).Select(a => (a.Count, a.Taps)).ToList();
        }
        return Enumerable.Range(0, stride).Select(r => ParityAxis.Create(r, pad, stride, kernel, inExtent)).Select(a => (a.Count, a.Taps)).ToList();
    }

    private static IEnumerable<((int Count, int Taps) D, (int Count, int Taps) H, (int Count, int Taps) W)> Combinations(
        List<(int Count, int Taps)> d, List<(int Count, int Taps)> h, List<(int Count, int Taps)> w) =>
        from a in d from b in h from c in w select (a, b, c);

    /// <summary>
    /// Split-K of a launch of <paramref name="tiles"/> groups over reductions of at most <paramref name="maxK"/>:
    /// (chunk length, chunks). Forward and backward-data split only under <see cref="SplitBelowGroups"/>;
    /// both then aim, as backward-weight always does, at <see cref="BackwardWeightTargetGroups"/>, with chunks of
    /// at least <see cref="BackwardWeightMinChunk"/> (a multiple of the tile depth) and at most
    /// <see cref="BackwardWeightMaxChunks"/> of them. Unsplit, the chunk is the whole reduction.
    /// </summary>
    private static (int Chunk, int Chunks) Split(long tiles, long maxK, bool always)
    {
        if (tiles == 0 || (!always && tiles >= SplitBelowGroups))
        {
            return ((int)maxK, 1);
        }
        long wanted = Math.Clamp(CeilDiv(BackwardWeightTargetGroups, tiles), 1, BackwardWeightMaxChunks);
        long split = Math.Min(wanted, Math.Max(1, maxK / BackwardWeightMinChunk));
        if (split == 1)
        {
            return ((int)maxK, 1);
        }
        long chunk = CeilDiv(CeilDiv(maxK, split), TileK) * TileK;
        return ((int)chunk, (int)CeilDiv(maxK, chunk));
    }

    /// <summary>
    /// How backward-weight splits its reduction N·Do·Ho·Wo: the chunk length (a multiple of the tile
    /// depth) and the number of chunks. One chunk when the weight alone gives enough groups.
    /// </summary>
    public static int BackwardWeightChunk(in Conv3dGeometry g, out int chunks)
    {
        long k = (long)g.N * g.OutputVolume;
        long tiles = CeilDiv(g.Cout, TileM) * CeilDiv((long)g.Cin * g.KernelVolume, TileN);
        long wanted = Math.Clamp(CeilDiv(BackwardWeightTargetGroups, tiles), 1, BackwardWeightMaxChunks);
        long affordable = Math.Max(1, k / BackwardWeightMinChunk);
        long split = Math.Min(wanted, affordable);
        long chunk = CeilDiv(CeilDiv(k, split), TileK) * TileK;
        chunks = (int)Math.Max(1, CeilDiv(k, chunk));
        return (int)chunk;
    }

    /// <summary>
    /// 2 × the in-bounds multiply-adds of the convolution: per axis, the (output, tap) pairs whose input
    /// position o·s − p + k lies inside the input; the same set serves all three passes.
    /// </summary>
    public static long UsefulFlopsOf(in Conv3dGeometry g) =>
        2L * g.N * g.Cin * g.Cout * InBounds(g.Do, g.Kd, g.Sd, g.Pd, g.Di) * InBounds(g.Ho, g.Kh, g.Sh, g.Ph, g.Hi) * InBounds(g.Wo, g.Kw, g.Sw, g.Pw, g.Wi);

    /// <summary>Whether backward-data takes the dense path: a 1³ output from an unpadded input of the kernel's size.</summary>
    public static bool IsDenseBackwardData(in Conv3dGeometry g) =>
        g.Do == 1 && g.Ho == 1 && g.Wo == 1 && g.Pd == 0 && g.Ph == 0 && g.Pw == 0 &&
        g.Di == g.Kd && g.Hi == g.Kh && g.Wi == g.Kw;

    private static long InBounds(int outExtent, int kernel, int stride, int pad, int inExtent)
    {
        long count = 0;
        for (int o = 0; o < outExtent; o++)
        {
            int first = o * stride - pad;
            count += Math.Max(0, Math.Min(inExtent, first + kernel) - Math.Max(0, first));
        }
        return count;
    }

    /// <summary>The reduction length the tile loop runs: whole 8-deep slices.</summary>
    private static long PaddedK(long k) => CeilDiv(k, TileK) * TileK;

    private static long CeilDiv(long a, long b) => (a + b - 1) / b;
}
