using Gan3D.Data;
using Gan3D.Models;

namespace Gan3D.Cli.Commands;

/// <summary>
/// The shape sets of features, classify and eval: one or more <c>--data</c> specs
/// (<c>procedural</c>, <c>PATH</c>, or <c>LABEL=PATH</c>) or a folder of <c>&lt;class&gt;-train-R.npy.gz</c>
/// files, all at the model's resolution.
/// </summary>
internal static class ShapeSets
{
    /// <summary>Seed of the built-in families for training sets; held-out sets use another, so they are new shapes.</summary>
    public const int TrainingSeed = 0;

    /// <summary>Seed of the built-in families for test and reference sets.</summary>
    public const int HeldOutSeed = 1;

    /// <summary>
    /// Loads and joins <paramref name="specs"/> and the files of <paramref name="dir"/> named
    /// <c>&lt;class&gt;-<paramref name="split"/>-*.npy[.gz]</c>; null when there is nothing to load.
    /// </summary>
    public static VoxelDataset? Load(IReadOnlyList<string> specs, string? dir, string split, int resolution, int proceduralSeed,
        int perFamily, TextWriter log, string option)
    {
        var parts = new List<(VoxelDataset, string?)>();
        foreach (string spec in specs)
        {
            var (label, source) = SplitSpec(spec);
            parts.Add((LoadOne(source, resolution, proceduralSeed, perFamily, log, option), label));
        }
        if (dir is not null)
        {
            if (!Directory.Exists(dir))
            {
                throw new DirectoryNotFoundException($"{dir}: no such folder");
            }
            string marker = $"-{split}-";
            var files = Directory.EnumerateFiles(dir)
                .Where(f => Path.GetFileName(f).Contains(marker, StringComparison.Ordinal)
                    && (f.EndsWith(".npy", StringComparison.OrdinalIgnoreCase) || f.EndsWith(".npy.gz", StringComparison.OrdinalIgnoreCase)))
                .Order(StringComparer.Ordinal).ToList();
            if (files.Count == 0)
            {
                throw new InvalidDataException($"{dir}: no <class>{marker}R.npy.gz files");
            }
            foreach (string file in files)
            {
                string name = Path.GetFileName(file);
                parts.Add((LoadOne(file, resolution, proceduralSeed, perFamily, log, option), name[..name.IndexOf(marker, StringComparison.Ordinal)]));
            }
        }
        return parts.Count == 0 ? null : VoxelDataset.Concat(parts);
    }

    /// <summary>The most built-in shapes a family any command draws (train, eval, classify, eval-reconstruction).</summary>
    public const int MaxPerFamily = 10_000;

    /// <summary>Refuses a --per-family outside <paramref name="min"/>..<see cref="MaxPerFamily"/> in one line.</summary>
    public static void CheckPerFamily(int perFamily, int min)
    {
        if (perFamily < min || perFamily > MaxPerFamily)
        {
            throw new UsageException($"--per-family {perFamily} must be between {min} and {MaxPerFamily}");
        }
    }

    /// <summary>
    /// Built-in shapes a family that the run of <paramref name="checkpoint"/> trained on: its note; for a run on the
    /// built-in families from before the note, its shape count over the families; else <paramref name="fallback"/>
    /// (a run on other data).
    /// </summary>
    public static int TrainedPerFamily(Checkpoint checkpoint, int fallback)
    {
        var metadata = checkpoint.Metadata;
        int? noted = TrainingCheckpoint.NoteCount(checkpoint.Path, metadata, "procedural_per_family", 1);
        if (noted is > MaxPerFamily)
        {
            throw new InvalidDataException($"{checkpoint.Path}: it notes {noted} built-in shapes a family, more than any run trains on ({MaxPerFamily})");
        }
        bool procedural = !metadata.TryGetValue(AdversarialTrainer.RunMetadataPrefix + "data", out var data)
            || string.Equals(data, "procedural", StringComparison.OrdinalIgnoreCase);
        return noted ?? (procedural && metadata.ContainsKey(AdversarialTrainer.DataCountKey) ? PerFamilyOf(checkpoint.GetInt64(AdversarialTrainer.DataCountKey)) : null) ?? fallback;
    }

    /// <summary>The same count of each built-in family that makes <paramref name="shapes"/>, or null when none does.</summary>
    public static int? PerFamilyOf(long shapes)
    {
        int families = ShapeFamilies.Names.Count;
        return shapes > 0 && shapes % families == 0 && shapes / families <= MaxPerFamily ? (int)(shapes / families) : null;
    }

    /// <summary>One spec without a label, e.g. <c>--reference</c>.</summary>
    public static VoxelDataset LoadOne(string source, int resolution, int proceduralSeed, int perFamily, TextWriter log, string option)
    {
        bool procedural = string.Equals(source, "procedural", StringComparison.OrdinalIgnoreCase);
        var options = new VoxelLoadOptions
        {
            ProceduralCountPerFamily = perFamily,
            Seed = proceduralSeed,
            Log = line => log.WriteLine("  " + line),
        };
        var data = VoxelDataset.Load(source, procedural ? resolution : null, options);
        if (data.Count == 0)
        {
            throw new InvalidDataException($"{source}: no non-empty shapes");
        }
        if (data.Resolution != resolution)
        {
            throw new InvalidDataException($"{source}: holds {data.Resolution}³ shapes but the model is {resolution}³ (given to {option})");
        }
        return data;
    }

    /// <summary>"chair=path" → ("chair", "path"); a spec that names an existing file or folder as a whole keeps no label.</summary>
    private static (string? Label, string Source) SplitSpec(string spec)
    {
        int eq = spec.IndexOf('=', StringComparison.Ordinal);
        if (eq <= 0 || File.Exists(spec) || Directory.Exists(spec))
        {
            return (null, spec);
        }
        string label = spec[..eq].Trim();
        string source = spec[(eq + 1)..];
        if (label.Length == 0 || source.Length == 0)
        {
            throw new UsageException($"'{spec}': expected LABEL=PATH");
        }
        return (label, source);
    }
}
