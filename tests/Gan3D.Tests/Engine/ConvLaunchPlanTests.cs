using Gan3D.Kernels;
using Gan3D.Tensors;

namespace Gan3D.Tests.Engine;

/// <summary>
/// <see cref="ConvLaunchPlan"/>, the launch geometry <see cref="IlgpuBackend"/> uses for its
/// implicit-GEMM convolutions, checked without a GPU: useful FLOPs against a naive loop over the
/// convolution, executed FLOPs against a group-by-group walk of the grid with the parity classes
/// enumerated from scratch, and the one-channel waste the GAN's last layer pays.
/// </summary>
public sealed class ConvLaunchPlanTests
{
    /// <summary>n, cin, d, h, w, cout, kd, kh, kw, sd, sh, sw, pd, ph, pw.</summary>
    public static TheoryData<int[]> Geometries => new()
    {
        new[] { 2, 3, 5, 6, 7, 5, 3, 3, 3, 1, 1, 1, 1, 1, 1 },    // stride 1 pad 1
        new[] { 1, 2, 7, 6, 9, 3, 4, 4, 4, 2, 2, 2, 1, 1, 1 },    // the GAN's k4 s2 p1, odd extents
        new[] { 3, 1, 9, 5, 5, 70, 2, 2, 2, 3, 3, 3, 1, 0, 1 },   // kernel below the stride: classes with no tap; Cout over a tile
        new[] { 2, 67, 4, 5, 3, 2, 3, 1, 2, 2, 1, 1, 2, 0, 1 },   // non-cubic kernel, padding above half the kernel
        new[] { 5, 4, 4, 4, 4, 3, 4, 4, 4, 1, 1, 1, 0, 0, 0 },    // 1³ output: the dense backward-data path
        new[] { 1, 20, 3, 4, 5, 3, 3, 3, 3, 1, 1, 1, 1, 1, 1 },   // forward reduction of 540 on one tile: split-K
        new[] { 1, 3, 5, 4, 6, 70, 4, 4, 4, 2, 2, 2, 1, 1, 1 },   // backward-data classes of 560 on few tiles: split-K
        new[] { 2, 3, 8, 8, 8, 5, 4, 4, 4, 2, 2, 2, 1, 1, 1 },    // D.conv4's border (8³ → 4³, k4 s2 p1) with few channels
    };

    private static Conv3dGeometry Geometry(int[] a) =>
        Conv3dGeometry.Create(a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8], a[9], a[10], a[11], a[12], a[13], a[14]);

    /// <summary>Multiply-adds of the reference convolution's loops (taps on padding skipped, as Reference.Conv3d does).</summary>
    private static long NaiveMacs(Conv3dGeometry g)
    {
        long macs = 0;
        for (int n = 0; n < g.N; n++)
        {
            for (int co = 0; co < g.Cout; co++)
            {
                for (int od = 0; od < g.Do; od++)
                {
                    for (int oh = 0; oh < g.Ho; oh++)
                    {
                        for (int ow = 0; ow < g.Wo; ow++)
                        {
                            for (int ci = 0; ci < g.Cin; ci++)
                            {
                                for (int kd = 0; kd < g.Kd; kd++)
                                {
                                    for (int kh = 0; kh < g.Kh; kh++)
                                    {
                                        for (int kw = 0; kw < g.Kw; kw++)
                                        {
                                            int id = od * g.Sd - g.Pd + kd, ih = oh * g.Sh - g.Ph + kh, iw = ow * g.Sw - g.Pw + kw;
                                            if (id >= 0 && id < g.Di && ih >= 0 && ih < g.Hi && iw >= 0 && iw < g.Wi)
                                            {
                                                macs++;
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        return macs;
    }

    /// <summary>
    /// Executed FLOPs by walking every group of the plan's grid: the GEMMs the groups run are rebuilt here
    /// from the pass's definition (parity classes and border runs by enumerating positions and taps), grid z
    /// is a GEMM plus the GEMMs times the reduction chunk.
    /// </summary>
    private static long WalkGrid(ConvKernelPass pass, Conv3dGeometry g, ConvLaunchPlan plan)
    {
        const int tile = 64, depth = 8;
        var gemms = GemmsFromScratch(pass, g, plan);
        Assert.Equal(gemms.Count * plan.SplitK, plan.GridZ);
        Assert.True(gemms.All(m => plan.GridX * tile >= m.Columns), $"{pass}: grid {plan.GridText} misses columns");
        long executed = 0;
        for (long x = 0; x < plan.GridX; x++)
        {
            for (int y = 0; y < plan.GridY; y++)
            {
                for (int z = 0; z < plan.GridZ; z++)
                {
                    var (columns, k) = gemms[z % gemms.Count];
                    long begin = Math.Min((long)(z / gemms.Count) * plan.KChunk, k);
                    long length = Math.Min(begin + plan.KChunk, k) - begin;
                    if (x * tile < columns) // a group past its GEMM's columns exits at once
                    {
                        executed += 2L * tile * tile * ((length + depth - 1) / depth * depth);
                    }
                }
            }
        }
        return executed;
    }

    /// <summary>The (columns, reduction) of each GEMM a tile plan runs, from the convolution's definition.</summary>
    private static List<(long Columns, long K)> GemmsFromScratch(ConvKernelPass pass, Conv3dGeometry g, ConvLaunchPlan plan)
    {
        var gemms = new List<(long Columns, long K)>();
        if (pass == ConvKernelPass.Forward && !plan.Border)
        {
            gemms.Add(((long)g.N * g.OutputVolume, (long)g.Cin * g.KernelVolume));
        }
        else if (pass == ConvKernelPass.BackwardWeight && !plan.Border)
        {
            gemms.Add(((long)g.Cin * g.KernelVolume, (long)g.N * g.OutputVolume));
        }
        else if (plan.Dense)
        {
            gemms.Add((g.N, g.Cout));
        }
        else
        {
            // Per axis, the runs as (columns, reduction) counts; a GEMM per combination.
            var axes = new[] { (g.Di, g.Do, g.Kd, g.Sd, g.Pd), (g.Hi, g.Ho, g.Kh, g.Sh, g.Ph), (g.Wi, g.Wo, g.Kw, g.Sw, g.Pw) }
                .Select(a => AxisRuns(pass, plan.Border, a.Item1, a.Item2, a.Item3, a.Item4, a.Item5)).ToArray();
            long outer = pass == ConvKernelPass.BackwardWeight ? g.Cin : g.N;
            long inner = pass == ConvKernelPass.Forward ? g.Cin : pass == ConvKernelPass.BackwardData ? g.Cout : g.N;
            foreach (var d in axes[0])
            {
                foreach (var h in axes[1])
                {
                    foreach (var w in axes[2])
                    {
                        gemms.Add((outer * d.Columns * h.Columns * w.Columns, inner * d.K * h.K * w.K));
                    }
                }
            }
        }
        return gemms;
    }

    /// <summary>
    /// One axis's GEMM classes: backward-data's parity classes (positions i ≡ r, taps k ≡ r + p mod s);
    /// with the border split, each cut where the set of inside pairs changes: forward, output positions
    /// by their taps inside the input; backward-data, a class's positions by their taps reaching an output;
    /// backward-weight, taps by the output positions whose window puts them inside.
    /// </summary>
    private static List<(long Columns, long K)> AxisRuns(ConvKernelPass pass, bool border, int inExtent, int outExtent, int kernel, int s, int p)
    {
        var kernelTaps = Enumerable.Range(0, kernel);
        var outputs = Enumerable.Range(0, outExtent);
        bool Inside(int o, int k) => o * s - p + k >= 0 && o * s - p + k < inExtent;
        var lists = new List<List<int[]>>(); // per class: each column's inside set, in column order
        var runs = new List<(long Columns, long K)>();
        switch (pass)
        {
            case ConvKernelPass.Forward:
                lists.Add(outputs.Select(o => kernelTaps.Where(k => Inside(o, k)).ToArray()).ToList());
                break;
            case ConvKernelPass.BackwardWeight:
                lists.Add(kernelTaps.Select(k => outputs.Where(o => Inside(o, k)).ToArray()).ToList());
                break;
            default:
                for (int r = 0; r < s; r++)
                {
                    var classTaps = kernelTaps.Where(k => (k - r - p) % s == 0).ToArray();
                    var positions = Enumerable.Range(0, inExtent).Where(i => i % s == r).ToList();
                    if (!border)
                    {
                        runs.Add((positions.Count, classTaps.Length)); // the whole class, empty or not
                        continue;
                    }
                    lists.Add(positions.Select(i => classTaps.Where(k => (i + p - k) / s < outExtent && i + p - k >= 0).ToArray()).ToList());
                }
                break;
        }
        foreach (var columns in lists)
        {
            for (int c = 0; c < columns.Count; c++)
            {
                if (c == 0 || !columns[c].SequenceEqual(columns[c - 1]))
                {
                    runs.Add((0, columns[c].Length));
                }
                runs[^1] = (runs[^1].Columns + 1, runs[^1].K);
            }
        }
        return runs;
    }

    /// <summary>Input positions i &lt; extent with i ≡ r (mod s).</summary>
    private static long Positions(int r, int s, int extent) => Enumerable.Range(0, extent).Count(i => i % s == r);

    /// <summary>Taps k that reach residue r: o·s − p + k = i ≡ r, so k ≡ r + p (mod s).</summary>
    private static long Taps(int r, int p, int s, int kernel) => Enumerable.Range(0, kernel).Count(k => (k - r - p) % s == 0);

    [Theory]
    [MemberData(nameof(Geometries))]
    public void UsefulFlopsAreTheNaiveLoopsMultiplyAdds(int[] a)
    {
        var g = Geometry(a);
        long naive = NaiveMacs(g);
        Assert.Equal(2 * naive, ConvLaunchPlan.UsefulFlopsOf(g));
        foreach (var pass in Enum.GetValues<ConvKernelPass>())
        {
            Assert.Equal(2 * naive, ConvLaunchPlan.Create(pass, g, 2).UsefulFlops);
        }
    }

    [Theory]
    [MemberData(nameof(Geometries))]
    public void ExecutedFlopsMatchAWalkOfTheGrid(int[] a)
    {
        var g = Geometry(a);
        foreach (var pass in Enum.GetValues<ConvKernelPass>())
        {
            foreach (int version in new[] { 2, 3 })
            {
                var plan = ConvLaunchPlan.Create(pass, g, version, selectByShape: false);
                Assert.Equal(WalkGrid(pass, g, plan), plan.ExecutedFlops);
                Assert.True(plan.ExecutedFlops >= plan.UsefulFlops, $"{pass} v{version}: executed {plan.ExecutedFlops} < useful {plan.UsefulFlops}");
                Assert.Equal(version == 3 ? 64 : 256, plan.GroupSize);
                // The border split: its GEMMs skip every tap on padding, so only tile and slice padding is left over useful.
                var border = ConvLaunchPlan.BorderSplit(pass, g, version);
                Assert.Equal(!plan.Dense, border.Border);
                Assert.Equal(WalkGrid(pass, g, border), border.ExecutedFlops);
                Assert.True(border.ExecutedFlops >= border.UsefulFlops, $"{pass} v{version} border: executed {border.ExecutedFlops} < useful {border.UsefulFlops}");
            }
        }
    }

    [Theory]
    [MemberData(nameof(Geometries))]
    public void TheGridCoversEachGemmWithNoSpareTile(int[] a)
    {
        var g = Geometry(a);
        var fwd = ConvLaunchPlan.Create(ConvKernelPass.Forward, g, 2, selectByShape: false);
        Assert.Equal((g.N * g.OutputVolume + 63) / 64, fwd.GridX);
        Assert.Equal((g.Cout + 63) / 64, fwd.GridY);
        var bwdWeight = ConvLaunchPlan.Create(ConvKernelPass.BackwardWeight, g, 2, selectByShape: false);
        Assert.Equal((g.Cin * g.KernelVolume + 63) / 64, bwdWeight.GridX);
        Assert.Equal(bwdWeight.SplitK, bwdWeight.GridZ);
        // The chunks cover the reduction, and the last one is not empty.
        long reduction = (long)g.N * g.OutputVolume;
        Assert.InRange(reduction - (long)(bwdWeight.SplitK - 1) * bwdWeight.KChunk, 1, bwdWeight.KChunk);
        Assert.Equal(ConvLaunchPlan.BackwardWeightChunk(g, out int chunks), bwdWeight.KChunk);
        Assert.Equal(chunks, bwdWeight.SplitK);
        var bwdData = ConvLaunchPlan.Create(ConvKernelPass.BackwardData, g, 2, selectByShape: false);
        Assert.Equal((bwdData.Dense ? 1 : g.Sd * g.Sh * g.Sw) * bwdData.SplitK, bwdData.GridZ); // classes times chunks
        Assert.Equal(fwd.SplitK, fwd.GridZ);
    }

    [Fact]
    public void TheGanLastLayersOneChannelIsPaddedToATile()
    {
        // G's last layer, ConvTranspose3d(64 → 1, k4 s2 p1) 32³ → 64³: its forward is backward-data of a
        // convolution with Cin = 1, so each 64-row tile holds one useful row.
        var g = Conv3dGeometry.ForTransposed(2, 64, 32, 32, 32, 1, 4, 4, 4, 2, 2, 2, 1, 1, 1, 0, 0, 0);
        var forward = ConvLaunchPlan.Create(ConvKernelPass.BackwardData, g, 2, selectByShape: false);
        Assert.Equal(64.0, forward.WasteOverNominal, 12);
        Assert.InRange(forward.Waste, 64.0, 64.0 * 1.06); // plus the taps on padding (1/64 per axis at each end)
        Assert.Equal((2L * 32 * 32 * 32 + 63) / 64, forward.GridX);
        Assert.Equal(1, forward.GridY);
        Assert.Equal(8, forward.GridZ);
        // Its gradients put the 64 channels on the tiles' rows: no tile waste.
        Assert.Equal(1.0, ConvLaunchPlan.Create(ConvKernelPass.Forward, g, 2).WasteOverNominal, 12);
        Assert.Equal(1.0, ConvLaunchPlan.Create(ConvKernelPass.BackwardWeight, g, 2).WasteOverNominal, 12);
    }

    [Fact]
    public void TheGanLastLayerTakesTheSmallMKernelWithOneRow()
    {
        var g = Conv3dGeometry.ForTransposed(2, 64, 32, 32, 32, 1, 4, 4, 4, 2, 2, 2, 1, 1, 1, 0, 0, 0);
        var forward = ConvLaunchPlan.Create(ConvKernelPass.BackwardData, g, 2);
        Assert.Equal(ConvTiling.SmallM, forward.Tiling);
        Assert.Equal("bwd-data m1", forward.KernelName);
        Assert.Equal(1, forward.GridY);
        Assert.Equal(8, forward.GridZ);
        Assert.Equal((2L * 32 * 32 * 32 + 63) / 64, forward.GridX); // one thread per input position of a class
        Assert.Equal(1.0, forward.WasteOverNominal, 12); // one row, no padded reduction: only the border's zeros
        // The gradients keep their tiles (64 channels on the rows).
        Assert.Equal(ConvTiling.Tile64, ConvLaunchPlan.Create(ConvKernelPass.Forward, g, 2).Tiling);
        Assert.Equal(ConvTiling.Tile64, ConvLaunchPlan.Create(ConvKernelPass.BackwardWeight, g, 3).Tiling);
    }

    /// <summary>
    /// Executed FLOPs of a small-M plan by walking its GEMMs and chunks: the chunks must partition each
    /// reduction, and a warp's idle lanes (threads past the last chunk of a GEMM) count at the GEMM's mean work.
    /// </summary>
    private static double WalkThreads(ConvKernelPass pass, Conv3dGeometry g, ConvLaunchPlan plan)
    {
        long rowsRun = plan.RowBlock == 1 ? 1 : (long)plan.GridY * plan.RowBlock;
        Assert.True(rowsRun >= (pass == ConvKernelPass.Forward || pass == ConvKernelPass.BackwardWeight ? g.Cout : plan.ByBatch ? g.N : g.Cin));
        double total = 0;
        for (int z = 0; z < plan.GridZ; z++)
        {
            long columns, k;
            if (pass == ConvKernelPass.Forward)
            {
                (columns, k) = ((long)g.N * g.OutputVolume, (long)g.Cin * g.KernelVolume);
            }
            else if (pass == ConvKernelPass.BackwardWeight)
            {
                (columns, k) = ((long)g.Cin * g.KernelVolume, (long)g.N * g.OutputVolume);
            }
            else if (plan.ByBatch)
            {
                (columns, k) = ((long)g.Cin * g.KernelVolume, g.Cout);
            }
            else
            {
                int rw = z % g.Sw, rh = z / g.Sw % g.Sh, rd = z / (g.Sw * g.Sh);
                columns = g.N * Positions(rd, g.Sd, g.Di) * Positions(rh, g.Sh, g.Hi) * Positions(rw, g.Sw, g.Wi);
                k = g.Cout * Taps(rd, g.Pd, g.Sd, g.Kd) * Taps(rh, g.Ph, g.Sh, g.Kh) * Taps(rw, g.Pw, g.Sw, g.Kw);
            }
            long active = columns * plan.SplitK;
            Assert.True(plan.GridX * 64 >= active, $"{pass}: grid {plan.GridText} misses threads");
            long covered = 0;
            for (int c = 0; c < plan.SplitK; c++)
            {
                long begin = Math.Min((long)c * plan.KChunk, k);
                covered += Math.Min(begin + plan.KChunk, k) - begin;
            }
            Assert.Equal(k, covered);
            total += active == 0 ? 0 : 2.0 * rowsRun * columns * k * ((active + 31) / 32 * 32) / active;
        }
        return total;
    }

    [Theory]
    [MemberData(nameof(Geometries))]
    public void SmallMPlansCoverEachGemmAndCountItsWork(int[] a)
    {
        var g = Geometry(a);
        foreach (var pass in Enum.GetValues<ConvKernelPass>())
        {
            var plan = ConvLaunchPlan.SmallM(pass, g, 2);
            Assert.Equal(WalkThreads(pass, g, plan), plan.ExecutedFlops, 0.5 * plan.GridZ);
            Assert.True(plan.ExecutedFlops >= plan.UsefulFlops);
            Assert.InRange(plan.SplitK, 1, 64);
        }
    }

    /// <summary>Every G64 and D64 convolution (k4; s1 p0 at the 1³ end, s2 p1 elsewhere) at a batch.</summary>
    private static IEnumerable<(string Name, Conv3dGeometry G)> GanLayers(int n)
    {
        yield return ("G.convT1", Conv3dGeometry.ForTransposed(n, 200, 1, 1, 1, 512, 4, 4, 4, 1, 1, 1, 0, 0, 0, 0, 0, 0));
        int[] gc = [512, 256, 128, 64, 1];
        for (int i = 0; i < 4; i++)
        {
            int e = 4 << i;
            yield return ($"G.convT{i + 2}", Conv3dGeometry.ForTransposed(n, gc[i], e, e, e, gc[i + 1], 4, 4, 4, 2, 2, 2, 1, 1, 1, 0, 0, 0));
        }
        int[] dc = [1, 64, 128, 256, 512];
        for (int i = 0; i < 4; i++)
        {
            int e = 64 >> i;
            yield return ($"D.conv{i + 1}", Conv3dGeometry.Create(n, dc[i], e, e, e, dc[i + 1], 4, 4, 4, 2, 2, 2, 1, 1, 1));
        }
        yield return ("D.conv5", Conv3dGeometry.Create(n, 512, 4, 4, 4, 1, 4, 4, 4, 1, 1, 1, 0, 0, 0));
    }

    [Theory]
    [InlineData(32)]
    [InlineData(100)]
    public void EveryGanLayerExecutesAtMostTheTargetOverItsUsefulWork(int n)
    {
        foreach (var (name, g) in GanLayers(n))
        {
            foreach (var pass in Enum.GetValues<ConvKernelPass>())
            {
                foreach (int version in new[] { 2, 3 })
                {
                    var plan = ConvLaunchPlan.Create(pass, g, version);
                    Assert.True(plan.Waste <= 1.25, $"{name} {pass} v{version}: {plan.KernelName} executes {plan.Waste:F2}× its useful FLOPs");
                }
            }
        }
        // The 8³ ↔ 4³ layers were 1.49 on plain tiles, all of it taps on padding: the border split takes them.
        var conv4 = GanLayers(n).Single(l => l.Name == "D.conv4").G;
        Assert.InRange(ConvLaunchPlan.Create(ConvKernelPass.Forward, conv4, 2, selectByShape: false).Waste, 1.48, 1.50);
        Assert.True(ConvLaunchPlan.Create(ConvKernelPass.Forward, conv4, 2).Border);
    }

    [Theory]
    [InlineData(ConvKernelPass.Forward, new[] { 1, 20, 3, 4, 5, 3, 3, 3, 3, 1, 1, 1, 1, 1, 1 })]
    [InlineData(ConvKernelPass.BackwardData, new[] { 1, 3, 5, 4, 6, 70, 4, 4, 4, 2, 2, 2, 1, 1, 1 })]
    public void ForwardAndBackwardDataSplitTheReductionWhenTilesAreFew(ConvKernelPass pass, int[] a)
    {
        var g = Geometry(a);
        foreach (int version in new[] { 2, 3 })
        {
            var plan = ConvLaunchPlan.Create(pass, g, version, selectByShape: false);
            long groups = plan.GridX * plan.GridY * (plan.GridZ / plan.SplitK);
            Assert.True(groups < ConvLaunchPlan.SplitBelowGroups);
            Assert.True(plan.SplitK > 1, $"{pass} v{version}: expected split-K, got {plan.SplitK}");
            Assert.Equal(0, plan.KChunk % 8);
            // The chunks cover the longest reduction and the last is not empty.
            long maxK = GemmsFromScratch(pass, g, plan).Max(m => m.K);
            Assert.InRange(maxK - (long)(plan.SplitK - 1) * plan.KChunk, 1, plan.KChunk);
        }
        // Enough tiles: no split (D.conv4's plain forward at batch 100: 800 groups).
        var big = Conv3dGeometry.Create(100, 256, 8, 8, 8, 512, 4, 4, 4, 2, 2, 2, 1, 1, 1);
        Assert.Equal(1, ConvLaunchPlan.Create(ConvKernelPass.Forward, big, 2, selectByShape: false).SplitK);
    }

    [Fact]
    public void VersionOneHasNoPlan() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => ConvLaunchPlan.Create(ConvKernelPass.Forward, Geometry([2, 3, 5, 6, 7, 5, 3, 3, 3, 1, 1, 1, 1, 1, 1]), 1));
}
