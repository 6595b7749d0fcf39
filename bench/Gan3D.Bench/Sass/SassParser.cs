using System.Globalization;
using System.Text.RegularExpressions;

namespace Gan3D.Bench.Sass;

/// <summary>One SASS instruction: its byte address, opcode (with modifiers, without predicate) and, for a branch, its target.</summary>
internal sealed record SassInstruction(int Address, string Opcode, int? Target)
{
    /// <summary>The opcode without modifiers: FFMA for FFMA.FTZ, LDS for LDS.U.128.</summary>
    public string Base => Opcode.Split('.')[0];
}

/// <summary>A loop found from a backward branch: every instruction from the target up to the branch, inclusive.</summary>
internal sealed record SassLoop(int Start, int End, int Instructions, int Ffma, int Hmma)
{
    public bool Contains(SassLoop other) => other != this && Start <= other.Start && other.End <= End;
}

/// <summary>One function of a cuobjdump -sass listing and its counts.</summary>
internal sealed record SassFunction(string Name, IReadOnlyList<SassInstruction> Code)
{
    /// <summary>Issued instructions, without the NOP padding after the final self-branch.</summary>
    public int Instructions => Code.Count(i => i.Base != "NOP");

    public int Ffma => Code.Count(i => i.Base == "FFMA");

    public int Hmma => Code.Count(i => i.Base == "HMMA");

    /// <summary>Every backward branch's range (the trap loop <c>BRA self</c> at the end excluded).</summary>
    public IReadOnlyList<SassLoop> Loops =>
        Code.Where(i => i.Base == "BRA" && i.Target is { } t && t < i.Address)
            .Select(i => Body(i.Target!.Value, i.Address))
            .Distinct()
            .ToList();

    /// <summary>
    /// The loop whose body runs most often, approximated as the innermost loop (no loop inside it) with
    /// the most FFMA and HMMA, then the most instructions; null for a kernel without loops.
    /// </summary>
    public SassLoop? HottestLoop
    {
        get
        {
            var loops = Loops;
            return loops.Where(l => !loops.Any(l.Contains))
                .OrderByDescending(l => l.Ffma + l.Hmma)
                .ThenByDescending(l => l.Instructions)
                .FirstOrDefault();
        }
    }

    private SassLoop Body(int start, int end)
    {
        var body = Code.Where(i => i.Address >= start && i.Address <= end && i.Base != "NOP").ToList();
        return new SassLoop(start, end, body.Count, body.Count(i => i.Base == "FFMA"), body.Count(i => i.Base == "HMMA"));
    }
}

/// <summary>What <c>ptxas -v</c> says about one entry function (callees' spills included).</summary>
internal sealed record PtxasInfo(int Registers, int SpillBytes, int SharedBytes, int StackBytes);

/// <summary>Parses the text output of NVIDIA's ptxas -v and cuobjdump -sass (CUDA 12.x formats).</summary>
internal static partial class SassParser
{
    /// <summary>Every function in a cuobjdump -sass listing, in order.</summary>
    public static IReadOnlyList<SassFunction> ParseCuobjdump(string listing)
    {
        var functions = new List<SassFunction>();
        string? name = null;
        var code = new List<SassInstruction>();
        foreach (string line in listing.Split('\n'))
        {
            if (FunctionLine().Match(line) is { Success: true } f)
            {
                if (name is not null)
                {
                    functions.Add(new SassFunction(name, code));
                }
                name = f.Groups[1].Value.Trim();
                code = [];
                continue;
            }
            if (name is null || InstructionLine().Match(line) is not { Success: true } m)
            {
                continue;
            }
            int address = int.Parse(m.Groups[1].Value, NumberStyles.HexNumber, CultureInfo.InvariantCulture);
            string text = Predicate().Replace(m.Groups[2].Value.Trim(), "");
            int space = text.IndexOf(' ', StringComparison.Ordinal);
            string opcode = space < 0 ? text : text[..space];
            int? target = null;
            if (opcode.Split('.')[0] == "BRA" && HexOperand().Matches(text) is { Count: > 0 } hex)
            {
                target = int.Parse(hex[^1].Groups[1].Value, NumberStyles.HexNumber, CultureInfo.InvariantCulture);
            }
            code.Add(new SassInstruction(address, opcode, target));
        }
        if (name is not null)
        {
            functions.Add(new SassFunction(name, code));
        }
        return functions;
    }

    /// <summary>The registers, spills, shared memory and stack of <paramref name="entry"/> in ptxas -v output.</summary>
    public static PtxasInfo ParsePtxas(string verbose, string entry)
    {
        int registers = -1, shared = 0, spills = 0, stack = 0;
        bool inEntry = false;
        foreach (string line in verbose.Split('\n'))
        {
            if (CompilingLine().Match(line) is { Success: true } c)
            {
                inEntry = c.Groups[1].Value == entry;
                continue;
            }
            if (PropertiesLine().Match(line) is { Success: true } p)
            {
                // Spills of called functions count: they run inside the kernel.
                spills += Int(p.Groups[2]) + Int(p.Groups[3]);
                if (inEntry)
                {
                    stack = Math.Max(stack, Int(p.Groups[1]));
                }
                continue;
            }
            if (inEntry && UsedLine().Match(line) is { Success: true } u)
            {
                registers = Int(u.Groups[1]);
                if (SmemField().Match(line) is { Success: true } s)
                {
                    shared = Int(s.Groups[1]);
                }
                inEntry = false;
            }
        }
        if (registers < 0)
        {
            throw new FormatException($"ptxas -v output has no register count for {entry}");
        }
        return new PtxasInfo(registers, spills, shared, stack);
    }

    /// <summary>The newest PTX ISA a ptxas release accepts (ILGPU writes 8.8; our kernels use nothing newer than 8.0).</summary>
    internal static string PtxIsaFor(string ptxasVersion)
    {
        var parts = ptxasVersion.Split('.').Select(p => int.Parse(p, CultureInfo.InvariantCulture)).ToArray();
        int major = parts[0], minor = parts.Length > 1 ? parts[1] : 0;
        return major > 12 ? "8.8" : major < 12 ? "7.8" : minor switch
        {
            <= 4 => $"8.{minor}",
            5 or 6 => "8.5",
            7 or 8 => "8.7",
            _ => "8.8",
        };
    }

    private static int Int(Group g) => int.Parse(g.Value, CultureInfo.InvariantCulture);

    [GeneratedRegex(@"^\s*Function\s*:\s*(\S+)")]
    private static partial Regex FunctionLine();

    [GeneratedRegex(@"^\s*/\*([0-9a-fA-F]{4,})\*/\s+([^;]*);")]
    private static partial Regex InstructionLine();

    [GeneratedRegex(@"^@!?U?P[0-9T]\s+")]
    private static partial Regex Predicate();

    [GeneratedRegex(@"0x([0-9a-fA-F]+)")]
    private static partial Regex HexOperand();

    [GeneratedRegex(@"Compiling entry function '([^']+)'")]
    private static partial Regex CompilingLine();

    [GeneratedRegex(@"(\d+) bytes stack frame, (\d+) bytes spill stores, (\d+) bytes spill loads")]
    private static partial Regex PropertiesLine();

    [GeneratedRegex(@"Used (\d+) registers")]
    private static partial Regex UsedLine();

    [GeneratedRegex(@"(\d+) bytes smem")]
    private static partial Regex SmemField();
}
