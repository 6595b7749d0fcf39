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
/// <param name="GridZ">Parity classes (backward-data), split-K chunks (backward-weight), else 1.</param>
/// <param name="GroupSize">Threads per group.</param>
/// <param name="SplitK">Chunks the reduction is split into (backward-weight; 1 elsewhere).</param>
/// <param name="KChunk">Reduction indices per chunk (backward-weight; the whole reduction elsewhere).</param>
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

    /// <summary>Small-M backward-data of a 1³ output: the batch is the GEMM's rows (dX = dY · W).</summary>
    public bool ByBatch { get; init; }

    /// <summary>The arithmetic of the launch: TF32 only for 64 × 64 tiles marked by <see cref="WithPrecision"/>.</summary>
    public ConvPrecision Precision { get; init; }

    /// <summary>
    /// This launch with <paramref name="precision"/>: a TF32 launch of 64 × 64 tiles runs the TF32 kernels
    /// (Conv3dKernels.Tf32.cs: the same tiles and grid as version 2, groups of 256); small-M launches stay float32.
    /// </summary>
    public ConvLaunchPlan WithPrecision(ConvPrecision precision) =>
        precision == ConvPrecision.Tf32 && Tiling == ConvTiling.Tile64
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
            return Tiling == ConvTiling.SmallM ? $"{pass} m{RowBlock}" : Precision == ConvPrecision.Tf32 ? $"{pass} tf32" : pass;
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
    /// <param name="selectByShape">Whether to take the small-M kernels where the 64 × 64 tiles waste more than
    /// <see cref="SmallMThreshold"/> and the small-M launch executes less (false: always the version's tiles).</param>
    public static ConvLaunchPlan Create(ConvKernelPass pass, in Conv3dGeometry g, int kernelVersion, bool selectByShape = true)
    {
        var tiles = Launch(pass, g, kernelVersion) with { NominalFlops = 2 * g.Macs };
        if (!selectByShape || tiles.WasteOverNominal <= SmallMThreshold)
        {
            return tiles;
        }
        var small = SmallM(pass, g, kernelVersion) with { NominalFlops = 2 * g.Macs };
        return small.ExecutedFlops < tiles.ExecutedFlops ? small : tiles;
    }

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

    private static ConvLaunchPlan Launch(ConvKernelPass pass, in Conv3dGeometry g, int kernelVersion)
    {
        if (kernelVersion is not (2 or 3))
        {
            throw new ArgumentOutOfRangeException(nameof(kernelVersion), kernelVersion, "launch plans exist for the implicit-GEMM kernels, versions 2 and 3");
        }
        int group = kernelVersion == 3 ? ImplicitGemmTile3.Threads : ImplicitGemmTile.Threads;
        long useful = UsefulFlopsOf(g);
        long tileFlops = 2L * TileM * TileN;
        switch (pass)
        {
            case ConvKernelPass.Forward:
                {
                    long columns = (long)g.N * g.OutputVolume, k = (long)g.Cin * g.KernelVolume;
                    long gx = CeilDiv(columns, TileN), gy = CeilDiv(g.Cout, TileM);
                    return new(pass, kernelVersion, gx, (int)gy, 1, group, 1, (int)k, false, tileFlops * gx * gy * PaddedK(k), useful);
                }
            case ConvKernelPass.BackwardData when IsDenseBackwardData(g):
                {
                    long rows = (long)g.Cin * g.KernelVolume;
                    long gx = CeilDiv(g.N, TileN), gy = CeilDiv(rows, TileM);
                    return new(pass, kernelVersion, gx, (int)gy, 1, group, 1, g.Cout, true, tileFlops * gx * gy * PaddedK(g.Cout), useful);
                }
            case ConvKernelPass.BackwardData:
                {
                    // The largest parity class has ⌈extent / stride⌉ positions per axis (residue 0); groups past a
                    // smaller class's columns exit before any work.
                    long columns = (long)g.N * CeilDiv(g.Di, g.Sd) * CeilDiv(g.Hi, g.Sh) * CeilDiv(g.Wi, g.Sw);
                    long gx = CeilDiv(columns, TileN), gy = CeilDiv(g.Cin, TileM);
                    long executed = 0;
                    int classes = g.Sd * g.Sh * g.Sw, maxK = 0;
                    for (int r = 0; r < classes; r++)
                    {
                        int rw = r % g.Sw, rh = r / g.Sw % g.Sh, rd = r / (g.Sw * g.Sh);
                        // The kernels' own split, so the plan counts what they run.
                        var ad = ParityAxis.Create(rd, g.Pd, g.Sd, g.Kd, g.Di);
                        var ah = ParityAxis.Create(rh, g.Ph, g.Sh, g.Kh, g.Hi);
                        var aw = ParityAxis.Create(rw, g.Pw, g.Sw, g.Kw, g.Wi);
                        long k = (long)g.Cout * ad.Taps * ah.Taps * aw.Taps;
                        maxK = (int)Math.Max(maxK, k);
                        executed += tileFlops * gy * CeilDiv((long)g.N * ad.Count * ah.Count * aw.Count, TileN) * PaddedK(k);
                    }
                    return new(pass, kernelVersion, gx, (int)gy, classes, group, 1, maxK, false, executed, useful);
                }
            default:
                {
                    int chunk = BackwardWeightChunk(g, out int chunks);
                    long k = (long)g.N * g.OutputVolume;
                    long gx = CeilDiv((long)g.Cin * g.KernelVolume, TileN), gy = CeilDiv(g.Cout, TileM);
                    // Every chunk is full but the last (chunk is a multiple of the tile depth).
                    long slices = (chunks - 1) * PaddedK(chunk) + PaddedK(k - (long)(chunks - 1) * chunk);
                    return new(pass, kernelVersion, gx, (int)gy, chunks, group, chunks, chunk, false, tileFlops * gx * gy * slices, useful);
                }
        }
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
