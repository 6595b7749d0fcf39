using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Gan3D.Bench;

/// <summary>
/// Side-by-side table of two profile JSON files (ours from <c>gan3d profile --json</c>, the peer's from
/// <c>bench/peer/torch_gan.py</c>): per layer forward and backward time with the ratio ours ÷ peer, and
/// the whole training iteration with peak memory, from rounds that alternate ours and the peer, each in
/// a fresh process (<c>--iteration-only</c>), so that load drifting during the run hits both sides alike
/// and each process's peak RSS is the iteration's own.
/// </summary>
internal static class CompareReport
{
    public static string Markdown(string oursPath, string peerPath, string title, string command, string commit,
        IReadOnlyList<string> oursRounds, IReadOnlyList<string> peerRounds)
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
        if (oursRounds.Count > 0 || peerRounds.Count > 0)
        {
            AppendIteration(sb, oursRounds, peerRounds);
        }
        return sb.ToString();
    }

    /// <summary>One row per round and the median ratio with its spread; memory as process peak RSS against process peak RSS.</summary>
    private static void AppendIteration(StringBuilder sb, IReadOnlyList<string> oursRounds, IReadOnlyList<string> peerRounds)
    {
        if (oursRounds.Count != peerRounds.Count)
        {
            throw new ArgumentException($"{oursRounds.Count} rounds of ours but {peerRounds.Count} of the peer: each round runs both");
        }
        var inv = CultureInfo.InvariantCulture;
        var ours = oursRounds.Select(f => Round(f, pool: true)).ToList();
        var peer = peerRounds.Select(f => Round(f, pool: false)).ToList();
        var ratios = ours.Zip(peer, (o, p) => o.Ms / p.Ms).ToList();
        sb.AppendLine();
        sb.AppendLine(inv, $"Whole training iteration (D step on real and fake, G step, Adam), {ours.Count} rounds alternating ours and PyTorch, each a fresh process timing its median after warm-up:");
        sb.AppendLine();
        sb.AppendLine("| round | ours ms | PyTorch ms | ratio | ours peak RSS MiB | PyTorch peak RSS MiB | ours pool peak MiB |");
        sb.AppendLine("|---:|---:|---:|---:|---:|---:|---:|");
        for (int i = 0; i < ours.Count; i++)
        {
            sb.AppendLine(inv, $"| {i + 1} | {ours[i].Ms:F0} | {peer[i].Ms:F0} | {ratios[i]:F2} | {Mib(ours[i].Rss)} | {Mib(peer[i].Rss)} | {Mib(ours[i].Pool)} |");
        }
        double oursRss = Median(ours.Select(o => (double)o.Rss)), peerRss = Median(peer.Select(p => (double)p.Rss));
        sb.AppendLine();
        sb.AppendLine("| whole training iteration | ours | PyTorch | ratio |");
        sb.AppendLine("|---|---:|---:|---:|");
        sb.AppendLine(inv, $"| time (ms, median of rounds) | {Median(ours.Select(o => o.Ms)):F0} | {Median(peer.Select(p => p.Ms)):F0} | **{Median(ratios):F2}** (rounds {ratios.Min():F2}–{ratios.Max():F2}) |");
        sb.AppendLine(inv, $"| peak RSS of the process (MiB, median) | {Mib((long)oursRss)} | {Mib((long)peerRss)} | {Ratio(oursRss, peerRss)} |");
        sb.AppendLine(inv, $"| tensor pool high-water mark (MiB, median) | {Mib((long)Median(ours.Select(o => (double)o.Pool)))} | – | |");
        sb.AppendLine();
        sb.AppendLine("Ratio = ours ÷ PyTorch, per round and as the median of the rounds' ratios. PyTorch's RSS includes Python and torch themselves.");
    }

    /// <summary>A round's median time, its process's peak RSS and (for ours) the tensor pool's high-water mark.</summary>
    private static (double Ms, long Rss, long Pool) Round(string path, bool pool)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(path));
        var r = doc.RootElement;
        if (!r.TryGetProperty("iteration_ms", out var ms) || ms.ValueKind != JsonValueKind.Number)
        {
            throw new ArgumentException($"{path}: no iteration_ms (run with --iteration-only)");
        }
        long rss = r.GetProperty("peak_process_bytes").GetInt64();
        return (ms.GetDouble(), rss, pool ? r.GetProperty("peak_bytes").GetInt64() : 0);
    }

    private static double Median(IEnumerable<double> values)
    {
        var s = values.Order().ToList();
        return s.Count % 2 == 1 ? s[s.Count / 2] : (s[s.Count / 2 - 1] + s[s.Count / 2]) / 2;
    }

    private static string Mib(long bytes) => (bytes / 1048576.0).ToString("F0", CultureInfo.InvariantCulture);

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
