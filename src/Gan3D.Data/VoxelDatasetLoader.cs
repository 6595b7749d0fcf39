using System.Security.Cryptography;
using System.Text;

namespace Gan3D.Data;

/// <summary>Settings for <see cref="VoxelDataset.Load"/>.</summary>
public sealed record VoxelLoadOptions
{
    /// <summary>Float files: a voxel is occupied when its value is greater than this (default 0.5).</summary>
    public float Threshold { get; init; } = 0.5f;

    /// <summary>How grids change resolution when one is asked for (default: nearest up, max pooling down).</summary>
    public ResampleMode Resample { get; init; } = ResampleMode.Auto;

    /// <summary>Meshes: solid (default) or surface voxels.</summary>
    public VoxelFill Fill { get; init; } = VoxelFill.Solid;

    /// <summary>Meshes: which axis is up (default +Z).</summary>
    public UpAxis Up { get; init; } = UpAxis.Z;

    /// <summary>
    /// Where voxelized meshes are cached; null for the default: <c>$GAN3D_CACHE</c>, else
    /// <c>$XDG_CACHE_HOME/gan3d/voxels</c>, else <c>~/.cache/gan3d/voxels</c>. One <c>.binvox</c> per mesh,
    /// named by a hash of the mesh's full path, size, modification time, resolution and settings.
    /// </summary>
    public string? CacheDirectory { get; init; }

    /// <summary>Use the mesh cache (default true). Failures to write it are warnings, never errors.</summary>
    public bool UseCache { get; init; } = true;

    /// <summary>Folders: also read sub-folders (default true).</summary>
    public bool Recursive { get; init; } = true;

    /// <summary>Keep all-empty grids instead of skipping them (default false).</summary>
    public bool KeepEmpty { get; init; }

    /// <summary>"procedural": shapes per family (default 100).</summary>
    public int ProceduralCountPerFamily { get; init; } = 100;

    /// <summary>"procedural": which families (null: all of <see cref="ShapeFamilies.Names"/>).</summary>
    public IReadOnlyList<string>? Families { get; init; }

    /// <summary>"procedural": the seed.</summary>
    public int Seed { get; init; }

    /// <summary>Receives warnings and progress lines (null: only <see cref="VoxelDataset.Warnings"/> keeps them).</summary>
    public Action<string>? Log { get; init; }
}

/// <summary>
/// Reads datasets for <see cref="VoxelDataset.Load"/>.
/// <list type="bullet">
/// <item><c>procedural</c>: <see cref="ShapeFamilies.CreateDataset"/> at the resolution asked (32 by default).</item>
/// <item>A <c>.npy</c>/<c>.npy.gz</c> file: every grid, labelled with the file name up to its first '-' or '.'
/// (<c>chair-train-32.npy.gz</c> → "chair").</item>
/// <item>A <c>.binvox</c> or mesh file: one grid. A folder: every such file, sorted by path; files in a
/// sub-folder are labelled with the name of the first sub-folder (ModelNet layout <c>chair/train/x.off</c>),
/// files at the top with their own name up to the first '-', '_' or '.'.</item>
/// <item>All-empty grids are skipped with a warning. Voxel files of different resolutions are refused,
/// naming the file. Meshes are voxelized at the resolution asked (else that of the voxel files, else 32)
/// and cached. The whole set is then resampled to the resolution asked, if it differs.</item>
/// </list>
/// </summary>
public static class VoxelDatasetLoader
{
    /// <summary>Default mesh resolution when nothing else decides it.</summary>
    public const int DefaultResolution = 32;

    private static readonly string[] VoxelExtensions = [".npy", ".npy.gz", ".binvox"];

    public static VoxelDataset Load(string source, int? resolution, VoxelLoadOptions options)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(options);
        if (resolution is { } r)
        {
            VoxelGrid.CheckResolution(r);
        }
        if (string.Equals(source, "procedural", StringComparison.OrdinalIgnoreCase))
        {
            return ShapeFamilies.CreateDataset(options.ProceduralCountPerFamily, resolution ?? DefaultResolution, options.Seed, options.Families);
        }
        if (Directory.Exists(source))
        {
            var files = Directory.EnumerateFiles(source, "*", options.Recursive ? SearchOption.AllDirectories : SearchOption.TopDirectoryOnly)
                .Where(f => IsVoxelFile(f) || MeshFile.IsMeshPath(f))
                .OrderBy(f => f, StringComparer.Ordinal)
                .ToList();
            if (files.Count == 0)
            {
                throw new InvalidDataException($"{source}: the folder holds no .npy, .npy.gz, .binvox, .off, .obj, .stl or .ply files");
            }
            return LoadFiles(files, source, resolution, options);
        }
        if (!File.Exists(source))
        {
            throw new FileNotFoundException($"{source}: no such file or folder (give a .npy/.npy.gz/.binvox/mesh file, a folder of them, or 'procedural')", source);
        }
        if (!IsVoxelFile(source) && !MeshFile.IsMeshPath(source))
        {
            throw new NotSupportedException($"{source}: unknown data format (expected .npy, .npy.gz, .binvox, .off, .obj, .stl or .ply)");
        }
        return LoadFiles([source], null, resolution, options);
    }

    private static bool IsVoxelFile(string path) => VoxelExtensions.Any(e => path.EndsWith(e, StringComparison.OrdinalIgnoreCase));

    private static VoxelDataset LoadFiles(List<string> files, string? root, int? resolution, VoxelLoadOptions options)
    {
        var warnings = new List<string>();
        void Warn(string message)
        {
            warnings.Add(message);
            options.Log?.Invoke("warning: " + message);
        }
        // Voxel files fix the native resolution; the first one read sets it.
        VoxelDatasetBuilder? builder = null;
        string? firstFile = null;
        var meshes = new List<string>();
        foreach (string file in files)
        {
            if (MeshFile.IsMeshPath(file))
            {
                meshes.Add(file);
                continue;
            }
            string label = Label(file, root);
            int skipped = 0;
            void Accept(int r, ReadOnlySpan<byte> occupancy)
            {
                if (builder is null)
                {
                    builder = new VoxelDatasetBuilder(r);
                    firstFile = file;
                }
                else if (builder.Resolution != r)
                {
                    throw new InvalidDataException($"{file}: grids are {r}³ but {firstFile} has {builder.Resolution}³; a dataset needs one resolution (convert one of them with 'gan3d convert')");
                }
                if (!options.KeepEmpty && occupancy.IndexOfAnyExcept((byte)0) < 0)
                {
                    skipped++;
                    return;
                }
                builder.Add(occupancy, label);
            }
            if (file.EndsWith(".binvox", StringComparison.OrdinalIgnoreCase))
            {
                var grid = BinvoxFile.Read(file).Grid;
                Accept(grid.Resolution, grid.Voxels);
            }
            else
            {
                NpyFile.ReadGrids(file, options.Threshold, (r, _, occupancy) =>
                {
                    Accept(r, occupancy);
                    return true;
                }, out _, out _);
            }
            if (skipped > 0)
            {
                Warn($"{file}: skipped {skipped} all-empty grid{(skipped == 1 ? "" : "s")}");
            }
        }
        if (meshes.Count > 0)
        {
            int meshResolution = resolution ?? builder?.Resolution ?? DefaultResolution;
            var voxelize = new VoxelizeOptions { Fill = options.Fill, Up = options.Up };
            string? cache = options.UseCache ? CacheFolder(options) : null;
            var grids = new VoxelGrid?[meshes.Count];
            int done = 0;
            var started = DateTime.UtcNow;
            for (int n = 0; n < meshes.Count; n++)
            {
                grids[n] = VoxelizeCached(meshes[n], meshResolution, voxelize, cache, Warn);
                done++;
                if (options.Log is not null && meshes.Count > 1 && (done == meshes.Count || (DateTime.UtcNow - started).TotalSeconds > 2 && done % 50 == 0))
                {
                    options.Log($"voxelized {done}/{meshes.Count} meshes");
                }
            }
            if (builder is not null && builder.Resolution != meshResolution)
            {
                // Meshes follow the resolution asked; bring the voxel files to it first.
                var earlier = builder.Build([]).Resample(meshResolution, options.Resample);
                builder = new VoxelDatasetBuilder(meshResolution);
                for (int n = 0; n < earlier.Count; n++)
                {
                    builder.AddPacked(earlier.PackedBits(n), earlier.GetLabel(n));
                }
            }
            builder ??= new VoxelDatasetBuilder(meshResolution);
            for (int n = 0; n < meshes.Count; n++)
            {
                var grid = grids[n]!;
                if (!options.KeepEmpty && grid.IsEmpty)
                {
                    Warn($"{meshes[n]}: skipped, the voxelized mesh is empty");
                    continue;
                }
                builder.Add(grid.Voxels, Label(meshes[n], root));
            }
        }
        if (builder is null || builder.Count == 0)
        {
            throw new InvalidDataException($"{root ?? files[0]}: no non-empty grids to load");
        }
        var dataset = builder.Build(warnings);
        if (resolution is { } wanted && wanted != dataset.Resolution)
        {
            options.Log?.Invoke($"resampling {dataset.Count} grids from {dataset.Resolution}³ to {wanted}³");
            warnings.Add($"resampled from {dataset.Resolution}³ to {wanted}³");
            dataset = dataset.Resample(wanted, options.Resample);
        }
        return dataset;
    }

    /// <summary>The label of a file: its first sub-folder under the root, else its name up to the first separator.</summary>
    internal static string Label(string file, string? root)
    {
        if (root is not null)
        {
            string relative = Path.GetRelativePath(root, file);
            int sep = relative.IndexOfAny(['/', '\\']);
            if (sep > 0)
            {
                return relative[..sep];
            }
        }
        string name = Path.GetFileName(file);
        int cut = name.IndexOfAny(MeshFile.IsMeshPath(file) || file.EndsWith(".binvox", StringComparison.OrdinalIgnoreCase) ? ['-', '_', '.'] : ['-', '.']);
        return cut > 0 ? name[..cut] : name;
    }

    /// <summary>The default cache folder (see <see cref="VoxelLoadOptions.CacheDirectory"/>).</summary>
    public static string DefaultCacheDirectory()
    {
        string? env = Environment.GetEnvironmentVariable("GAN3D_CACHE");
        if (!string.IsNullOrEmpty(env))
        {
            return env;
        }
        string? xdg = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
        if (!string.IsNullOrEmpty(xdg))
        {
            return Path.Combine(xdg, "gan3d", "voxels");
        }
        if (OperatingSystem.IsWindows())
        {
            return Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData), "gan3d", "cache", "voxels");
        }
        return Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "gan3d", "voxels");
    }

    private static string CacheFolder(VoxelLoadOptions options) => options.CacheDirectory ?? DefaultCacheDirectory();

    /// <summary>The cache file for a mesh: changes whenever the mesh file or any setting changes.</summary>
    internal static string CachePath(string cacheFolder, string mesh, int resolution, VoxelizeOptions voxelize)
    {
        var info = new FileInfo(mesh);
        string key = $"gan3d-voxel-cache-v1|{info.FullName}|{info.Length}|{info.LastWriteTimeUtc.Ticks}|{resolution}|{voxelize.Fill}|{voxelize.Up}|{voxelize.Margin}";
        string hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)))[..16];
        string stem = new(Path.GetFileNameWithoutExtension(mesh).Take(40).Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' ? c : '_').ToArray());
        return Path.Combine(cacheFolder, $"{stem}-{resolution}-{hash}.binvox");
    }

    private static VoxelGrid VoxelizeCached(string mesh, int resolution, VoxelizeOptions voxelize, string? cacheFolder, Action<string> warn)
    {
        string? cached = cacheFolder is null ? null : CachePath(cacheFolder, mesh, resolution, voxelize);
        if (cached is not null && File.Exists(cached))
        {
            try
            {
                var grid = BinvoxFile.Read(cached).Grid;
                if (grid.Resolution == resolution)
                {
                    return grid;
                }
            }
            catch (InvalidDataException)
            {
                // A damaged cache entry is rebuilt below.
            }
        }
        var input = MeshFile.Read(mesh);
        foreach (string warning in input.Warnings)
        {
            warn(warning);
        }
        var result = Voxelizer.VoxelizeWithTransform(input, resolution, voxelize);
        if (cached is not null)
        {
            try
            {
                BinvoxFile.Write(cached, result.Grid, [result.Translate.X, result.Translate.Y, result.Translate.Z], result.Scale);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                warn($"cannot write the voxel cache {cached}: {ex.Message}");
            }
        }
        return result.Grid;
    }
}
