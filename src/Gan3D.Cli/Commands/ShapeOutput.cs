using System.CommandLine;
using Gan3D.Data;
using Gan3D.Models;

namespace Gan3D.Cli.Commands;

/// <summary>Writes generated shapes (occupancy probabilities) in the format a user asked for.</summary>
internal static class ShapeOutput
{
    public static readonly string[] Formats = ["png", "npy", "binvox", "obj", "ply"];

    /// <summary>Tiles a montage shows at most (as 'gan3d render'): 1024 tiles of 160 px are already 79 MB of pixels.</summary>
    public const int MaxMontageTiles = 1024;

    /// <summary>Most bytes of probabilities a command decodes into one array (count × R³ floats).</summary>
    public const long MaxProbabilityBytes = 2L << 30;

    /// <summary>Refuses a shape count whose probabilities (count × R³ float32) would exceed <see cref="MaxProbabilityBytes"/>.</summary>
    public static void CheckCount(string option, int count, int r)
    {
        long bytes = (long)count * r * r * r * sizeof(float);
        if (bytes > MaxProbabilityBytes)
        {
            long most = MaxProbabilityBytes / ((long)r * r * r * sizeof(float));
            throw new UsageException($"{option} {count} at {r}³ needs {bytes / (double)(1L << 30):F1} GiB of probabilities at once; at most {most} shapes a call at this resolution");
        }
    }

    /// <summary>The explicit post-processing option of the commands that generate shapes (<see cref="SmallParts"/>).</summary>
    public static Option<int> DropPartsOption() => new("--drop-parts")
    {
        Description = $"Post-process the shapes: empty every 26-connected part of at most N voxels ({FragmentReport.SpeckVoxels} = what eval counts as specks) " +
            "before anything is written or measured. 0 (the default) keeps the raw samples, which every figure in the README is of",
        DefaultValueFactory = _ => 0,
    };

    /// <summary>
    /// Applies --drop-parts <paramref name="drop"/> to <paramref name="count"/> shapes of probabilities in place (nothing
    /// when 0) and says so on <paramref name="o"/>: a post-processed output never passes for the raw samples.
    /// </summary>
    public static void DropParts(TextWriter o, float[] probabilities, int count, int r, float threshold, int drop)
    {
        if (drop > 0)
        {
            long parts = SmallParts.Drop(probabilities.AsSpan(0, count * r * r * r), count, r, threshold, drop);
            o.WriteLine($"post-processed (--drop-parts {drop}): emptied {parts} parts of at most {drop} voxels; these are not the raw samples");
        }
    }

    /// <summary>Refuses a negative --drop-parts.</summary>
    public static int CheckDropParts(int voxels) => voxels >= 0
        ? voxels
        : throw new UsageException($"--drop-parts {voxels} must be 0 (off) or a part size in voxels");

    public static string CheckFormat(string format)
    {
        string f = format.ToLowerInvariant().TrimStart('.');
        return Array.IndexOf(Formats, f) >= 0 ? f : throw new UsageException($"--format {format}: use one of {string.Join(", ", Formats)}");
    }

    public static List<VoxelGrid> Grids(float[] probabilities, int count, int r, float threshold)
    {
        int vox = r * r * r;
        var grids = new List<VoxelGrid>(count);
        for (int i = 0; i < count; i++)
        {
            grids.Add(VoxelGrid.FromProbabilities(probabilities.AsSpan(i * vox, vox), r, threshold));
        }
        return grids;
    }

    /// <summary>The files <see cref="Write"/> writes, in its order (the montage last).</summary>
    public static List<string> Paths(string dir, string stem, int count, string format)
    {
        var paths = format == "npy"
            ? [Path.Combine(dir, $"{stem}.npy")]
            : Enumerable.Range(0, count).Select(i => Path.Combine(dir, $"{stem}-{i:D3}.{format}")).ToList();
        paths.Add(Path.Combine(dir, $"{stem}-montage.png"));
        return paths;
    }

    /// <summary>
    /// png: one render per shape plus STEM-montage.png; npy: samples.npy with the probabilities (N, 1, R, R, R)
    /// float32; binvox: one grid per shape; obj/ply: one marching-cubes mesh per shape.
    /// Returns the files written.
    /// </summary>
    public static List<string> Write(string dir, string stem, float[] probabilities, int count, int r, string format, float threshold,
        IReadOnlyList<string>? captions = null)
    {
        Directory.CreateDirectory(dir);
        var written = Paths(dir, stem, count, format);
        int vox = r * r * r;
        if (format == "npy")
        {
            NpyFile.WriteFloat32(written[0], [count, 1, r, r, r], probabilities.AsSpan(0, count * vox));
        }
        else
        {
            for (int i = 0; i < count; i++)
            {
                WriteOne(written[i], probabilities.AsSpan(i * vox, vox), r, format, threshold);
            }
        }
        string montage = written[^1];
        int tiles = Math.Min(count, MaxMontageTiles);
        Montage.Create(Grids(probabilities, tiles, r, threshold), new MontageOptions
        {
            Columns = Math.Min(8, tiles),
            TileSize = r >= 64 ? 192 : 160,
            Captions = captions,
        }).SavePng(montage);
        return written;
    }

    /// <summary>
    /// One shape to <paramref name="path"/> (whose extension is the format's): npy with the
    /// probabilities (1, 1, R, R, R), png a render, binvox the grid, obj/ply a marching-cubes mesh.
    /// Every writer is atomic.
    /// </summary>
    public static void WriteOne(string path, ReadOnlySpan<float> probabilities, int r, string format, float threshold)
    {
        switch (format)
        {
            case "npy":
                NpyFile.WriteFloat32(path, [1, 1, r, r, r], probabilities);
                break;
            case "png":
                VoxelRenderer.Render(VoxelGrid.FromProbabilities(probabilities, r, threshold)).SavePng(path);
                break;
            case "binvox":
                VoxelFile.Write(path, VoxelGrid.FromProbabilities(probabilities, r, threshold));
                break;
            default:
                MeshFile.Write(path, MarchingCubes.Extract(probabilities, r, threshold));
                break;
        }
    }
}
