using System.Globalization;
using System.Text;
using Gan3D.Kernels;
using Gan3D.Tensors;

namespace Gan3D.Bench.Sass;

/// <summary>One launch of the model: a layer's pass, the kernel the plan picks, and its two bounds.</summary>
internal sealed record ModelLaunch(string Net, int Batch, string Layer, string Role, string Kernel, ConvLaunchPlan Plan,
    double IssueMs, double MemoryMs)
{
    public double Ms => Math.Max(IssueMs, MemoryMs);
}

/// <summary>
/// A MODEL, not a measurement, of each G64/D64 convolution launch's time on an H200, from the SASS loop
/// counts and the launch plan (kernel version 3, the fastest fp32 tiles, plus the small-M kernels the plan
/// picks): the larger of an issue bound (warp-iterations of the kernel's hottest loop × its SASS
/// instructions ÷ the H200's warp-instruction issue rate) and a memory bound (the bytes the launch must
/// move at least: its two operands read once, its output written once, split-K copies written and read
/// back ÷ HBM bandwidth). It ignores latency, occupancy, bank conflicts and cache misses, so it is a
/// floor: the first device run checks it, and until then it ranks the work.
/// </summary>
internal static class TimeModel
{
    /// <summary>132 SMs × 4 schedulers × one warp-instruction a cycle × 1.98 GHz (H200 SXM boost).</summary>
    public const double IssueRate = 132 * 4 * 1.98e9;

    /// <summary>HBM3e bandwidth of an H200, bytes a second.</summary>
    public const double Bandwidth = 4.8e12;

    public const int KernelVersion = 3;

    /// <summary>(name, geometry, is transposed, input needs a gradient) of each G64 and D64 convolution at a batch.</summary>
    private static IEnumerable<(string Net, string Name, Conv3dGeometry G, bool Transposed, bool InputGrad)> Layers(int n)
    {
        yield return ("G64", "G.convT1", Conv3dGeometry.ForTransposed(n, 200, 1, 1, 1, 512, 4, 4, 4, 1, 1, 1, 0, 0, 0, 0, 0, 0), true, false);
        int[] gc = [512, 256, 128, 64, 1];
        for (int i = 0; i < 4; i++)
        {
            int e = 4 << i;
            yield return ("G64", $"G.convT{i + 2}", Conv3dGeometry.ForTransposed(n, gc[i], e, e, e, gc[i + 1], 4, 4, 4, 2, 2, 2, 1, 1, 1, 0, 0, 0), true, true);
        }
        int[] dc = [1, 64, 128, 256, 512];
        for (int i = 0; i < 4; i++)
        {
            int e = 64 >> i;
            yield return ("D64", $"D.conv{i + 1}", Conv3dGeometry.Create(n, dc[i], e, e, e, dc[i + 1], 4, 4, 4, 2, 2, 2, 1, 1, 1), false, i > 0);
        }
        yield return ("D64", "D.conv5", Conv3dGeometry.Create(n, 512, 4, 4, 4, 1, 4, 4, 4, 1, 1, 1, 0, 0, 0), false, true);
    }

    public static IReadOnlyList<ModelLaunch> Build(IReadOnlyList<SassKernel> kernels)
    {
        var byName = kernels.Where(k => k.Sass is not null).ToDictionary(k => k.Name);
        var result = new List<ModelLaunch>();
        foreach (int batch in new[] { 32, 100 })
        {
            foreach (var (net, name, g, transposed, inputGrad) in Layers(batch))
            {
                var roles = new List<(string Role, ConvKernelPass Pass)> { ("forward", transposed ? ConvKernelPass.BackwardData : ConvKernelPass.Forward) };
                if (inputGrad)
                {
                    roles.Add(("grad input", transposed ? ConvKernelPass.Forward : ConvKernelPass.BackwardData));
                }
                roles.Add(("grad weight", ConvKernelPass.BackwardWeight));
                foreach (var (role, pass) in roles)
                {
                    var plan = ConvLaunchPlan.Create(pass, g, KernelVersion);
                    string kernel = "Conv3dKernels." + KernelOf(plan, g);
                    double loop = byName.TryGetValue(kernel, out var k) ? LoopInstructions(k.Sass!, plan) : 0;
                    result.Add(new ModelLaunch(net, batch, name, role, kernel, plan, 1e3 * WarpIterations(plan) * loop / IssueRate, 1e3 * Bytes(plan, g) / Bandwidth));
                }
            }
        }
        return result;
    }

    /// <summary>The kernel IlgpuBackend launches for a version-3 plan (as IlgpuBackend.Convolution.cs picks it).</summary>
    private static string KernelOf(ConvLaunchPlan plan, in Conv3dGeometry g) => (plan.Tiling, plan.Pass) switch
    {
        (ConvTiling.SmallM, ConvKernelPass.Forward) => nameof(Conv3dKernels.Conv3dForwardSmallMKernel),
        (ConvTiling.SmallM, ConvKernelPass.BackwardData) => plan.ByBatch ? nameof(Conv3dKernels.Conv3dBackwardDataDenseSmallMKernel) : nameof(Conv3dKernels.Conv3dBackwardDataSmallMKernel),
        (ConvTiling.SmallM, _) => nameof(Conv3dKernels.Conv3dBackwardWeightSmallMKernel),
        (_, ConvKernelPass.Forward) when plan.Border => nameof(Conv3dKernels.Conv3dForwardBorderKernel3),
        (_, ConvKernelPass.BackwardData) when plan.Border => nameof(Conv3dKernels.Conv3dBackwardDataBorderKernel3),
        (_, ConvKernelPass.BackwardWeight) when plan.Border => nameof(Conv3dKernels.Conv3dBackwardWeightBorderKernel3),
        (_, ConvKernelPass.Forward) => g.Kw == 4 ? nameof(Conv3dKernels.Conv3dForwardK4Kernel3) : nameof(Conv3dKernels.Conv3dForwardKernel3),
        (_, ConvKernelPass.BackwardData) => plan.Dense ? nameof(Conv3dKernels.Conv3dBackwardDataDenseKernel3)
            : Conv3dKernels.IsK4S2(g) ? nameof(Conv3dKernels.Conv3dBackwardDataK4S2Kernel3) : nameof(Conv3dKernels.Conv3dBackwardDataKernel3),
        _ => Conv3dKernels.HasRowsOf8(g) ? nameof(Conv3dKernels.Conv3dBackwardWeightW8Kernel3) : nameof(Conv3dKernels.Conv3dBackwardWeightKernel3),
    };

    /// <summary>
    /// SASS instructions of one trip as <see cref="WarpIterations"/> counts trips: a tile kernel's hottest loop
    /// (one 8-deep step); for small-M, one k of the launch's row block: the innermost loop with the fewest
    /// FFMA for one row, the hottest (8 FFMA) for eight, divided by its FFMA ÷ rows in case ptxas unrolled it.
    /// </summary>
    private static double LoopInstructions(SassFunction f, ConvLaunchPlan plan)
    {
        if (plan.Tiling != ConvTiling.SmallM)
        {
            return f.HottestLoop?.Instructions ?? 0;
        }
        var loops = f.Loops;
        var inner = loops.Where(l => l.Ffma > 0 && !loops.Any(l.Contains)).ToList();
        var loop = plan.RowBlock == 1 ? inner.OrderBy(l => l.Ffma).ThenByDescending(l => l.Instructions).FirstOrDefault() : f.HottestLoop;
        return loop is { Ffma: > 0 } ? (double)loop.Instructions * plan.RowBlock / loop.Ffma : 0;
    }

    /// <summary>
    /// Trips of the hottest loop, counted per warp. v3 tiles: the loop is one 8-deep step of a 64 × 64 tile,
    /// run by both warps of the group. Small-M: one k of a thread's row block.
    /// </summary>
    private static double WarpIterations(ConvLaunchPlan plan) => plan.Tiling == ConvTiling.SmallM
        ? plan.ExecutedFlops / (2.0 * plan.RowBlock * 32)
        : 2.0 * plan.ExecutedFlops / (2.0 * ImplicitGemmTile3.TileM * ImplicitGemmTile3.TileN * ImplicitGemmTile3.TileK);

    /// <summary>Least bytes a launch moves: each operand read once, the result written once, split-K copies written and read.</summary>
    private static double Bytes(ConvLaunchPlan plan, in Conv3dGeometry g)
    {
        long output = plan.Pass switch
        {
            ConvKernelPass.Forward => g.OutputSize,
            ConvKernelPass.BackwardData => g.InputSize,
            _ => g.WeightSize,
        };
        long operands = g.InputSize + g.OutputSize + g.WeightSize - output;
        long copies = plan.SplitK > 1 ? 2L * plan.SplitK * output : 0;
        return 4.0 * (operands + output + copies);
    }

    public static string Table(IReadOnlyList<ModelLaunch> model)
    {
        var sb = new StringBuilder();
        sb.AppendLine("MODEL (not a measurement): H200 time of each G64/D64 convolution launch, kernel v3 plans, = max(issue bound, memory bound);");
        sb.AppendLine(CultureInfo.InvariantCulture, $"issue = warp-trips of the hottest SASS loop × its instructions ÷ {IssueRate / 1e12:F3}e12 warp-instr/s; memory = least bytes ÷ {Bandwidth / 1e12:F1} TB/s");
        sb.AppendLine(CultureInfo.InvariantCulture, $"{"net",-4} {"batch",5} {"layer",-9} {"pass",-12} {"kernel",-17} {"exec/useful",11} {"issue ms",9} {"memory ms",9} {"model ms",9}");
        foreach (var m in model)
        {
            sb.AppendLine(CultureInfo.InvariantCulture,
                $"{m.Net,-4} {m.Batch,5} {m.Layer,-9} {m.Role,-12} {m.Plan.KernelName,-17} {m.Plan.Waste,11:F2} {m.IssueMs,9:F3} {m.MemoryMs,9:F3} {m.Ms,9:F3}");
        }
        foreach (var total in model.GroupBy(m => (m.Net, m.Batch)))
        {
            sb.AppendLine(CultureInfo.InvariantCulture, $"{total.Key.Net} batch {total.Key.Batch}: model {total.Sum(m => m.Ms):F2} ms for its convolutions' forward and backward");
        }
        return sb.ToString().TrimEnd();
    }

    public static string Markdown(IReadOnlyList<ModelLaunch> model)
    {
        var sb = new StringBuilder();
        sb.AppendLine("## A model of the G64/D64 convolutions on an H200 (not a measurement)");
        sb.AppendLine();
        sb.AppendLine("Each launch the backend would make with kernel version 3 (the plan's choice of 64 × 64 tiles or the small-M");
        sb.AppendLine("kernels) at batch 32 and 100. *issue* = warp-trips of the kernel's hottest SASS loop (from the launch's");
        sb.AppendLine(CultureInfo.InvariantCulture, $"executed FLOPs) × the loop's instructions ÷ {IssueRate / 1e12:F3}·10¹² warp-instructions/s (132 SMs × 4 schedulers × 1.98 GHz);");
        sb.AppendLine(CultureInfo.InvariantCulture, $"*memory* = the least bytes the launch moves (operands read once, result written once, split-K copies written and");
        sb.AppendLine(CultureInfo.InvariantCulture, $"read back) ÷ {Bandwidth / 1e12:F1} TB/s. *model* = the larger. A floor that ignores latency, occupancy and caches:");
        sb.AppendLine("the first device run checks it. Small-M launches count one k of their row block (the one-row or the 8-row loop).");
        sb.AppendLine();
        sb.AppendLine("| net | batch | layer | pass | kernel | exec/useful | issue ms | memory ms | model ms |");
        sb.AppendLine("|---|---:|---|---|---|---:|---:|---:|---:|");
        foreach (var m in model)
        {
            sb.AppendLine(CultureInfo.InvariantCulture,
                $"| {m.Net} | {m.Batch} | {m.Layer} | {m.Role} | {m.Plan.KernelName} | {m.Plan.Waste:F2} | {m.IssueMs:F3} | {m.MemoryMs:F3} | {m.Ms:F3} |");
        }
        sb.AppendLine();
        foreach (var total in model.GroupBy(m => (m.Net, m.Batch)))
        {
            sb.AppendLine(CultureInfo.InvariantCulture, $"- {total.Key.Net}, batch {total.Key.Batch}: model {total.Sum(m => m.Ms):F2} ms for its convolutions' forward and backward.");
        }
        return sb.ToString();
    }
}
