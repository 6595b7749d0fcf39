using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Gan3D.Bench;

/// <summary>
/// Side-by-side table of two profile JSON files (ours from <c>gan3d profile --json</c>, the peer's from
/// <c>bench/peer/torch_gan.py</c>): per layer forward and backward time with the ratio ours ÷ peer, and
/// the whole training iteration with peak memory.
/// </summary>
internal static class CompareReport
{
    public static string Markdown(string oursPath, string peerPath, string title, string command, string commit)
    {
        using var ours = JsonDocument.Parse(File.ReadAllText(oursPath));
        using var peer = JsonDocument.Parse(File.ReadAllText(peerPath));
        var peerLayers = peer.RootElement.GetProperty("layers").EnumerateArray().ToDictionary(l => l.GetProperty("name").GetString()!);
        var sb = new StringBuilder();
        var inv = CultureInfo.InvariantCulture;
        sb.AppendLine(inv, $"## {title}");
        sb.AppendLine();
        sb.AppendLine(inv, $"- date: {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC; commit {commit}");
        sb.AppendLine(inv, $"- machine: {Machine()}");
        sb.AppendLine(inv, $"- ours: {ours.RootElement.GetProperty("device").GetString()}; peer: {peer.RootElement.GetProperty("device").GetString()}");
        sb.AppendLine(inv, $"- command: `{command}`");
        sb.AppendLine("- times are medians after warm-up; ratio = ours ÷ PyTorch (lower is better)");
        sb.AppendLine();
        sb.AppendLine("| layer | input → output | ours fwd ms | torch fwd ms | fwd ratio | ours bwd ms | torch bwd ms | bwd ratio | ours GFLOP/s |");
        sb.AppendLine("|---|---|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var l in ours.RootElement.GetProperty("layers").EnumerateArray())
        {
            string name = l.GetProperty("name").GetString()!;
            double f = l.GetProperty("forward_ms").GetDouble(), b = l.GetProperty("backward_ms").GetDouble();
            peerLayers.TryGetValue(name, out var p);
            double pf = p.ValueKind == JsonValueKind.Object ? p.GetProperty("forward_ms").GetDouble() : double.NaN;
            double pb = p.ValueKind == JsonValueKind.Object ? p.GetProperty("backward_ms").GetDouble() : double.NaN;
            sb.AppendLine(inv, $"| {name} | {l.GetProperty("input").GetString()} → {l.GetProperty("output").GetString()} | {f:F1} | {pf:F1} | {Ratio(f, pf)} | {b:F1} | {pb:F1} | {Ratio(b, pb)} | {l.GetProperty("gflops").GetDouble():F0} |");
        }
        if (ours.RootElement.TryGetProperty("iteration_ms", out var it) && it.ValueKind == JsonValueKind.Number
            && peer.RootElement.TryGetProperty("iteration_ms", out var pit) && pit.ValueKind == JsonValueKind.Number)
        {
            double oi = it.GetDouble(), pi = pit.GetDouble();
            long ob = ours.RootElement.GetProperty("peak_bytes").GetInt64(), pbytes = peer.RootElement.GetProperty("peak_bytes").GetInt64();
            sb.AppendLine();
            sb.AppendLine("| whole training iteration | ours | PyTorch | ratio |");
            sb.AppendLine("|---|---:|---:|---:|");
            sb.AppendLine(inv, $"| time (ms) | {oi:F0} | {pi:F0} | **{Ratio(oi, pi)}** |");
            sb.AppendLine(inv, $"| peak memory (MiB) | {ob / 1048576.0:F0} | {pbytes / 1048576.0:F0} | {Ratio(ob, pbytes)} |");
            if (peer.RootElement.TryGetProperty("peak_bytes_kind", out var kind))
            {
                sb.AppendLine();
                sb.AppendLine(inv, $"Peak memory: ours is the tensor pool's high-water mark; PyTorch's is {kind.GetString()}.");
            }
        }
        return sb.ToString();
    }

    private static string Ratio(double ours, double peer) =>
        double.IsFinite(peer) && peer > 0 ? (ours / peer).ToString("F2", CultureInfo.InvariantCulture) : "–";

    internal static string Machine()
    {
        string cpu = "unknown CPU";
        if (File.Exists("/proc/cpuinfo"))
        {
            cpu = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? cpu;
        }
        long gib = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes >> 30;
        return $"{cpu}, {Environment.ProcessorCount} logical cores, {gib} GiB, {System.Runtime.InteropServices.RuntimeInformation.OSDescription}";
    }
}
