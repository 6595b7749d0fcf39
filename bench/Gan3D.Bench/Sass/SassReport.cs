using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Gan3D.Bench.Sass;

/// <summary>One kernel assembled for the target: what ptxas said and what its SASS holds (null where ptxas failed).</summary>
internal sealed record SassKernel(string Name, string Entry, PtxasInfo? Ptxas, SassFunction? Sass, string? Error)
{
    public SassLoop? Loop => Sass?.HottestLoop;

    public double LoopFfmaShare => Loop is { Instructions: > 0 } l ? (double)l.Ffma / l.Instructions : 0;
}

/// <summary>
/// gan3d-bench sass: every kernel compiled to PTX by ILGPU, assembled for sm_90 by NVIDIA's ptxas and
/// disassembled by cuobjdump, all without a GPU. Fails on any ptxas error or spill.
/// </summary>
internal static partial class SassReport
{
    public static int Run(string toolkit, string arch, bool json, string? markdown, string? ptxDir, string command, string commit, string? filter, TextWriter o)
    {
        string ptxas = Path.Combine(toolkit, "ptxas"), cuobjdump = Path.Combine(toolkit, "cuobjdump");
        var (rc, versionText, _) = Tool(ptxas, "--version");
        var version = PtxasVersion().Match(versionText);
        if (rc != 0 || !version.Success)
        {
            Console.Error.WriteLine($"gan3d-bench: error: {ptxas}: not a working ptxas (exit code {rc})");
            return 2;
        }
        string isa = SassParser.PtxIsaFor(version.Groups[1].Value);
        string work = ptxDir ?? Directory.CreateTempSubdirectory("gan3d-sass-").FullName;
        Directory.CreateDirectory(work);
        try
        {
            // ILGPU compiles one kernel at a time (its backend is not thread-safe); ptxas and cuobjdump run in parallel.
            var modules = KernelPtx.KernelMethods().Where(m => filter is null || KernelPtx.Name(m).Contains(filter, StringComparison.Ordinal)).Select(m => (Name: KernelPtx.Name(m), Ptx: TryCompile(m, out string? error), Error: error)).ToList();
            var kernels = new SassKernel[modules.Count];
            Parallel.For(0, modules.Count, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount }, i =>
                kernels[i] = modules[i].Error is { } e
                    ? new SassKernel(modules[i].Name, "", null, null, e)
                    : Assemble(modules[i].Name, modules[i].Ptx, isa, arch, work, ptxas, cuobjdump));
            var report = new Report(version.Groups[1].Value, arch, isa, kernels);
            var model = TimeModel.Build(kernels);
            o.WriteLine(json ? Json(report) : Table(report) + Environment.NewLine + Environment.NewLine + TimeModel.Table(model));
            if (markdown is not null)
            {
                WriteAtomic(markdown, Markdown(report, command, commit) + Environment.NewLine + TimeModel.Markdown(model));
            }
            var bad = kernels.Where(k => k.Error is not null || k.Ptxas!.SpillBytes > 0).ToList();
            foreach (var k in bad)
            {
                Console.Error.WriteLine($"gan3d-bench: error: {k.Name}: {k.Error ?? $"{k.Ptxas!.SpillBytes} bytes of register spills"}");
            }
            return bad.Count == 0 ? 0 : 1;
        }
        finally
        {
            if (ptxDir is null)
            {
                Directory.Delete(work, recursive: true);
            }
        }
    }

    internal sealed record Report(string Ptxas, string Arch, string PtxIsa, IReadOnlyList<SassKernel> Kernels);

    private static string TryCompile(System.Reflection.MethodInfo method, out string? error)
    {
        try
        {
            error = null;
            return KernelPtx.Compile(method);
        }
        catch (Exception e)
        {
            // A kernel ILGPU cannot compile fails the report like a ptxas error, with ILGPU's reason.
            error = $"ILGPU could not compile it to PTX: {e.GetType().Name}: {e.Message}";
            return "";
        }
    }

    private static SassKernel Assemble(string name, string ptx, string isa, string arch, string work, string ptxas, string cuobjdump)
    {
        string entry = EntryName().Match(ptx).Groups[1].Value;
        string ptxPath = Path.Combine(work, name + ".ptx"), cubin = Path.Combine(work, name + ".cubin");
        File.WriteAllText(ptxPath, VersionLine().Replace(ptx, $".version {isa}", 1));
        var (rc, _, log) = Tool(ptxas, $"-arch={arch}", "-O3", "-v", "-o", cubin, ptxPath);
        if (rc != 0)
        {
            return new SassKernel(name, entry, null, null, $"ptxas exit code {rc}: {log.Trim()}");
        }
        var info = SassParser.ParsePtxas(log, entry);
        var (drc, listing, derr) = Tool(cuobjdump, "-sass", cubin);
        if (drc != 0)
        {
            return new SassKernel(name, entry, info, null, $"cuobjdump exit code {drc}: {derr.Trim()}");
        }
        var function = SassParser.ParseCuobjdump(listing).FirstOrDefault(f => f.Name == entry);
        return function is null
            ? new SassKernel(name, entry, info, null, $"cuobjdump listing has no function {entry}")
            : new SassKernel(name, entry, info, function, null);
    }

    private static (int ExitCode, string Stdout, string Stderr) Tool(string file, params string[] args)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string a in args)
        {
            start.ArgumentList.Add(a);
        }
        try
        {
            using var process = Process.Start(start)!;
            var stderr = process.StandardError.ReadToEndAsync();
            string stdout = process.StandardOutput.ReadToEnd();
            process.WaitForExit();
            return (process.ExitCode, stdout, stderr.Result);
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            return (127, "", e.Message);
        }
    }

    internal static string Json(Report r)
    {
        var doc = new Dictionary<string, object>
        {
            ["ptxas"] = r.Ptxas,
            ["arch"] = r.Arch,
            ["kernels"] = r.Kernels.Select(k => new Dictionary<string, object?>
            {
                ["name"] = k.Name,
                ["registers"] = k.Ptxas?.Registers,
                ["spill_bytes"] = k.Ptxas?.SpillBytes,
                ["shared_bytes"] = k.Ptxas?.SharedBytes,
                ["instructions"] = k.Sass?.Instructions,
                ["ffma"] = k.Sass?.Ffma,
                ["hmma"] = k.Sass?.Hmma,
                ["loop_instructions"] = k.Loop?.Instructions ?? 0,
                ["loop_ffma"] = k.Loop?.Ffma ?? 0,
                ["loop_hmma"] = k.Loop?.Hmma ?? 0,
                ["error"] = k.Error,
            }.Where(kv => kv.Key != "error" || kv.Value is not null).ToDictionary()).ToList(),
        };
        return JsonSerializer.Serialize(doc, new JsonSerializerOptions { WriteIndented = true });
    }

    private static string Table(Report r)
    {
        var sb = new StringBuilder();
        sb.AppendLine(CultureInfo.InvariantCulture, $"ptxas {r.Ptxas}, {r.Arch}, PTX ISA rewritten from 8.8 to {r.PtxIsa}; hottest loop = innermost loop with the most FFMA/HMMA");
        sb.AppendLine(CultureInfo.InvariantCulture, $"{"kernel",-52} {"regs",4} {"spill",5} {"smem",6} {"instr",6} {"ffma",5} {"loop",5} {"l.ffma",6} {"share",6}");
        foreach (var k in r.Kernels)
        {
            if (k.Error is not null)
            {
                sb.AppendLine(CultureInfo.InvariantCulture, $"{k.Name,-52} ERROR {k.Error}");
                continue;
            }
            sb.AppendLine(CultureInfo.InvariantCulture,
                $"{k.Name,-52} {k.Ptxas!.Registers,4} {k.Ptxas.SpillBytes,5} {k.Ptxas.SharedBytes,6} {k.Sass!.Instructions,6} {k.Sass.Ffma,5} {k.Loop?.Instructions ?? 0,5} {k.Loop?.Ffma ?? 0,6} {k.LoopFfmaShare,6:F2}");
        }
        return sb.ToString().TrimEnd();
    }

    private static string Markdown(Report r, string command, string commit)
    {
        var sb = new StringBuilder();
        sb.AppendLine(CultureInfo.InvariantCulture, $"# SASS of every kernel for {r.Arch}, without a GPU ({DateTime.UtcNow:yyyy-MM-dd})");
        sb.AppendLine();
        sb.AppendLine(CultureInfo.InvariantCulture, $"`{command}` at commit `{commit}`: ILGPU 1.5.3 PTX (ISA 8.8, header rewritten to {r.PtxIsa}),");
        sb.AppendLine(CultureInfo.InvariantCulture, $"assembled by ptxas {r.Ptxas} `-arch={r.Arch} -O3 -v`, disassembled by `cuobjdump -sass`. Static counts, not");
        sb.AppendLine("measurements: *instr* counts the kernel's instructions (NOP padding excluded); *loop* is the body of its hottest");
        sb.AppendLine("loop, the innermost backward branch's range with the most FFMA/HMMA; *share* = loop FFMA ÷ loop instructions.");
        sb.AppendLine();
        sb.AppendLine("| kernel | registers | spill B | shared B | instructions | FFMA | HMMA | loop instr | loop FFMA | loop HMMA | share |");
        sb.AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var k in r.Kernels)
        {
            if (k.Error is not null)
            {
                sb.AppendLine(CultureInfo.InvariantCulture, $"| {k.Name} | error: {k.Error.ReplaceLineEndings(" ")} |||||||||");
                continue;
            }
            var l = k.Loop;
            sb.AppendLine(CultureInfo.InvariantCulture,
                $"| {k.Name} | {k.Ptxas!.Registers} | {k.Ptxas.SpillBytes} | {k.Ptxas.SharedBytes} | {k.Sass!.Instructions} | {k.Sass.Ffma} | {k.Sass.Hmma} | {l?.Instructions ?? 0} | {l?.Ffma ?? 0} | {l?.Hmma ?? 0} | {(l is null ? "-" : k.LoopFfmaShare.ToString("F2", CultureInfo.InvariantCulture))} |");
        }
        return sb.ToString();
    }

    private static void WriteAtomic(string path, string text)
    {
        string full = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        string temp = full + ".tmp";
        File.WriteAllText(temp, text);
        File.Move(temp, full, overwrite: true);
    }

    [GeneratedRegex(@"V(\d+\.\d+\.\d+)")]
    private static partial Regex PtxasVersion();

    [GeneratedRegex(@"\.entry\s+([A-Za-z_$][\w$]*)")]
    private static partial Regex EntryName();

    [GeneratedRegex(@"^\.version \d+\.\d+", RegexOptions.Multiline)]
    private static partial Regex VersionLine();
}
