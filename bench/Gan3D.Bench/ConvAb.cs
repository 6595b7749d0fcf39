using System.Diagnostics;
using Gan3D.Kernels;
using Gan3D.Models;
using Gan3D.Tensors;

namespace Gan3D.Bench;

/// <summary>
/// Two convolution versions on the same layer and pass, validated against version 1, then timed in
/// one process alternating A and B many times; the minimum of each is reported, which is the figure
/// least disturbed by other work on a shared machine. The process's CPU time (both threads) is
/// reported beside the wall time: on a loaded machine it is the steadier of the two.
/// </summary>
internal static class ConvAb
{
    /// <summary>The layers (named as in <see cref="ConvCase.ModelLayers"/>) whose passes the CPU perf issue lists.</summary>
    public static readonly (int Res, int Batch, double Width, string Layer, ConvPass Pass)[] IssueLayers =
    [
        (32, 32, 1, "d32.2", ConvPass.Forward), (32, 32, 1, "d32.2", ConvPass.BackwardData), (32, 32, 1, "d32.2", ConvPass.BackwardWeight),
        (32, 32, 1, "d32.3", ConvPass.Forward), (32, 32, 1, "d32.3", ConvPass.BackwardData), (32, 32, 1, "d32.3", ConvPass.BackwardWeight),
        (32, 32, 1, "d32.4", ConvPass.Forward), (32, 32, 1, "d32.4", ConvPass.BackwardData), (32, 32, 1, "d32.4", ConvPass.BackwardWeight),
        (32, 32, 1, "g32.4", ConvPass.BackwardData), (32, 32, 1, "d32.1", ConvPass.Forward), (32, 32, 1, "d32.1", ConvPass.BackwardWeight),
        (32, 32, 0.5, "d32.1", ConvPass.Forward), (32, 32, 0.5, "d32.1", ConvPass.BackwardData), (32, 32, 0.5, "d32.1", ConvPass.BackwardWeight),
        (32, 32, 0.5, "d32.2", ConvPass.Forward), (32, 32, 0.5, "d32.2", ConvPass.BackwardData), (32, 32, 0.5, "d32.2", ConvPass.BackwardWeight),
        (32, 32, 0.5, "d32.3", ConvPass.Forward), (32, 32, 0.5, "d32.3", ConvPass.BackwardData), (32, 32, 0.5, "d32.3", ConvPass.BackwardWeight),
        (32, 32, 0.5, "g32.2", ConvPass.BackwardData), (32, 32, 0.5, "g32.4", ConvPass.BackwardData),
        (64, 4, 1, "g64.2", ConvPass.BackwardData), (64, 4, 1, "g64.5", ConvPass.BackwardData),
        (64, 4, 1, "d64.3", ConvPass.BackwardData), (64, 4, 1, "d64.3", ConvPass.BackwardWeight),
        (64, 4, 1, "d64.4", ConvPass.BackwardData), (64, 4, 1, "d64.4", ConvPass.BackwardWeight),
        (64, 4, 1, "d64.5", ConvPass.Forward), (64, 4, 1, "d64.5", ConvPass.BackwardData), (64, 4, 1, "d64.5", ConvPass.BackwardWeight),
    ];

    public static int Run(string? filter, int a, int b, int rounds, int threads, TextWriter o)
    {
        int rc = 0;
        o.WriteLine($"| layer | pass | v{a} ms | v{b} ms | v{a} GFLOP/s | v{b} GFLOP/s | v{b}/v{a} | v{a} cpu ms | v{b} cpu ms | cpu v{b}/v{a} |");
        o.WriteLine("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var (res, batch, width, name, pass) in IssueLayers)
        {
            string label = $"{name} b{batch} w{width}";
            if (filter is not null && !label.Contains(filter, StringComparison.Ordinal))
            {
                continue;
            }
            var c = ConvCase.ModelLayers(res, batch, width).First(x => x.Name == name);
            var g = c.Geometry;
            using var be = new CpuBackend(threads);
            var small = g with { N = Math.Min(g.N, 2) };
            foreach (int v in new[] { a, b })
            {
                be.KernelVersion = v;
                var (maxDiff, maxRef) = ConvBench.Validate(small, pass, be);
                if (!(maxDiff <= 1e-4 * maxRef + 1e-5))
                {
                    o.WriteLine($"{label} {ConvBench.PassName(pass, c.Transposed)} v{v}: INVALID max |diff| {maxDiff:E2} (max |ref| {maxRef:E2})");
                    rc = 1;
                }
            }
            var (x, y, outT) = ConvBench.Operands(g, pass, be);
            foreach (int v in new[] { a, b })
            {
                be.KernelVersion = v;
                SteadyState.WarmUp(() => ConvBench.Apply(be, pass, x, y, outT, g), seconds: 1);
            }
            double bestA = double.MaxValue, bestB = double.MaxValue, cpuA = double.MaxValue, cpuB = double.MaxValue;
            var proc = Process.GetCurrentProcess();
            for (int r = 0; r < rounds; r++)
            {
                foreach (int v in new[] { a, b })
                {
                    be.KernelVersion = v;
                    proc.Refresh();
                    var cpu0 = proc.TotalProcessorTime;
                    var sw = Stopwatch.StartNew();
                    ConvBench.Apply(be, pass, x, y, outT, g);
                    double ms = sw.Elapsed.TotalMilliseconds;
                    proc.Refresh();
                    double cpuMs = (proc.TotalProcessorTime - cpu0).TotalMilliseconds;
                    if (r > 0)
                    {
                        if (v == a) { bestA = Math.Min(bestA, ms); cpuA = Math.Min(cpuA, cpuMs); }
                        else { bestB = Math.Min(bestB, ms); cpuB = Math.Min(cpuB, cpuMs); }
                    }
                }
            }
            double gfa = 2.0 * g.Macs / (bestA * 1e6), gfb = 2.0 * g.Macs / (bestB * 1e6);
            o.WriteLine($"| {label} | {ConvBench.PassName(pass, c.Transposed)} | {bestA:F2} | {bestB:F2} | {gfa:F0} | {gfb:F0} | {bestB / bestA:F2} | {cpuA:F1} | {cpuB:F1} | {cpuB / cpuA:F2} |");
        }
        return rc;
    }
}
