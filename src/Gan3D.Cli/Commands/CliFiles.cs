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

    public static UpAxis Up(string value) => value == "y" ? UpAxis.Y : UpAxis.Z;
}
