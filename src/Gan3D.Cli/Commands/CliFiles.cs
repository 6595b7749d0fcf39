using Gan3D.Data;

namespace Gan3D.Cli.Commands;

/// <summary>Checks shared by the data commands: output extensions and grid indices, as usage errors.</summary>
internal static class CliFiles
{
    public static string Extension(string path) =>
        path.EndsWith(".npy.gz", StringComparison.OrdinalIgnoreCase) ? ".npy.gz" : Path.GetExtension(path).ToLowerInvariant();

    public static void RequireExtension(string option, string path, params string[] allowed)
    {
        if (!allowed.Contains(Extension(path)))
        {
            throw new UsageException($"{option} {path}: the file name must end in {string.Join(", ", allowed)}");
        }
    }

    public static void RequireIndex(int index, int count, string path)
    {
        if (index < 0 || index >= count)
        {
            throw new UsageException($"--index {index} is out of range: {path} holds {count} grid{(count == 1 ? "" : "s")} (0..{count - 1})");
        }
    }

    public static void RequireResolution(int resolution)
    {
        if (resolution < 1 || resolution > VoxelGrid.MaxResolution)
        {
            throw new UsageException($"--resolution {resolution} is outside 1..{VoxelGrid.MaxResolution}");
        }
    }

    /// <summary>
    /// An occupancy threshold: a number strictly between 0 and 1 (NaN compares false with every
    /// value, so it would draw or mesh nothing, silently; 0 or 1 would keep everything or nothing).
    /// </summary>
    public static float CheckThreshold(float threshold) => threshold is > 0f and < 1f
        ? threshold
        : throw new UsageException($"--threshold {threshold.ToString(System.Globalization.CultureInfo.InvariantCulture)} must be a number between 0 and 1 (exclusive)");

    /// <summary>Reads a mesh, showing what the reader skipped as "gan3d: warning: ..." lines on <paramref name="error"/>.</summary>
    public static Mesh ReadMesh(string path, TextWriter error)
    {
        var mesh = MeshFile.Read(path);
        foreach (string warning in mesh.Warnings)
        {
            error.WriteLine($"gan3d: warning: {warning}");
        }
        return mesh;
    }

    /// <summary>A number option that must be finite (NaN and infinity parse as floats but mean nothing here).</summary>
    public static float RequireFinite(string option, float value) => float.IsFinite(value)
        ? value
        : throw new UsageException($"{option} {value.ToString(System.Globalization.CultureInfo.InvariantCulture)} must be a finite number");

    public static UpAxis Up(string value) => value == "y" ? UpAxis.Y : UpAxis.Z;

    /// <summary>
    /// Refuses, before anything is read or written, an output that is one of the command's inputs:
    /// the atomic writers would replace the input with no error (same full path, or the same file
    /// through a symbolic link).
    /// </summary>
    /// <param name="outputs">Every file the command will write.</param>
    /// <param name="inputs">Every file it reads (null entries and non-files such as 'procedural' are ignored).</param>
    public static void RefuseOverwritingInputs(IEnumerable<string> outputs, params string?[] inputs) =>
        RefuseOverwritingInputs(outputs, (IEnumerable<string?>)inputs);

    public static void RefuseOverwritingInputs(IEnumerable<string> outputs, IEnumerable<string?> inputs)
    {
        var ins = inputs.Where(i => !string.IsNullOrEmpty(i)).Select(i => (Path: i!, Full: Canonical(i!))).ToList();
        foreach (string output in outputs)
        {
            string full = Canonical(output);
            foreach (var (path, inFull) in ins)
            {
                if (string.Equals(full, inFull, PathComparison))
                {
                    throw new UsageException($"{output}: this output would overwrite the input {path}; write somewhere else");
                }
            }
        }
    }

    /// <summary>Whether two paths name the same file (full paths, symbolic links resolved).</summary>
    public static bool SameFile(string a, string b) => string.Equals(Canonical(a), Canonical(b), PathComparison);

    private static StringComparison PathComparison =>
        OperatingSystem.IsWindows() || OperatingSystem.IsMacOS() ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal;

    /// <summary>The full path, with a symbolic link to a file (the file itself or its folder) resolved.</summary>
    private static string Canonical(string path)
    {
        string full = Path.GetFullPath(path);
        try
        {
            string? dir = Path.GetDirectoryName(full);
            if (dir is not null && Directory.Exists(dir) && new DirectoryInfo(dir).ResolveLinkTarget(returnFinalTarget: true) is { } target)
            {
                full = Path.Combine(target.FullName, Path.GetFileName(full));
            }
            if (File.Exists(full) && new FileInfo(full).ResolveLinkTarget(returnFinalTarget: true) is { } fileTarget)
            {
                full = fileTarget.FullName;
            }
        }
        catch (IOException)
        {
            // A broken or looping link: compare the path as written.
        }
        return full;
    }
}
