using System.CommandLine;
using System.Diagnostics;
using System.Text.Json;
using Gan3D.Data;
using Gan3D.Models;
using Gan3D.Tensors;

namespace Gan3D.Cli.Commands;

/// <summary><c>gan3d eval</c>: how close generated shapes are to a held-out reference set.</summary>
internal static class EvalCommand
{
    /// <summary>
    /// Most generated shapes one evaluation takes: its distance matrices grow with the square of the
    /// count (10,000 samples against as many references: 1.2 GB), and its time too.
    /// </summary>
    public const int MaxSamples = 10_000;

    public static Command Create()
    {
        var checkpoint = new Option<string?>("--checkpoint", "-c") { Description = "A checkpoint written by 'gan3d train': its samples are evaluated" };
        var shapes = new Option<string?>("--shapes") { Description = "Evaluate these stored shapes instead of a checkpoint's samples (e.g. real held-out shapes, the ideal)" };
        var reference = new Option<string>("--reference", "-r") { Description = "Reference shapes the model never saw: a file, folder, or 'procedural' (new draws of the built-in families)", Required = true };
        var training = new Option<string?>("--training") { Description = "The training shapes: enables the memorisation check and the --baselines ('procedural' with --checkpoint: as many a family as the run trained on)" };
        var samples = new Option<int?>("--samples", "-n") { Description = "Generated shapes (default: as many as the reference has)" };
        var metric = new Option<string>("--metric", "-m") { Description = "iou (1 − IoU of the grids) or chamfer (surface voxels, in voxel units)", DefaultValueFactory = _ => "iou" };
        var threshold = new Option<float>("--threshold", "-t") { Description = "Occupancy threshold of generated shapes", DefaultValueFactory = _ => 0.5f };
        var nearCopy = new Option<float>("--near-copy") { Description = "A sample this close to a training shape counts as a near-copy (default 0.1 for iou, 1 voxel for chamfer)" };
        var baselines = new Option<bool>("--baselines") { Description = "Also score trivial generators: training shapes (the ideal), the mean training shape, and voxel noise at the training occupancy (needs --training)" };
        var perFamily = new Option<int>("--per-family", "--count-per-family") { Description = "'procedural': shapes per family", DefaultValueFactory = _ => 100 };
        var seed = new Option<ulong>("--seed", "-s") { Description = "Seed of the latent codes and the noise baseline", DefaultValueFactory = _ => 0 };
        var dropParts = ShapeOutput.DropPartsOption();
        var json = new Option<bool>("--json") { Description = "Print the result as JSON (fractions in 0..1)" };
        var device = CliDevices.Option();
        var command = new Command("eval",
            "Generation quality against a reference set: 1-NNA (leave-one-out 1-nearest-neighbour accuracy of telling " +
            "samples from references; 50% is ideal), COV (share of references that are some sample's nearest; higher is " +
            "better) and MMD (mean distance from each reference to its nearest sample; lower is better). Read the three " +
            "together: with 1 − IoU, noise scores a deceptively good 1-NNA.\n" +
            "Example: gan3d eval --checkpoint runs/gan/checkpoint.safetensors --reference procedural --training procedural --baselines")
        {
            checkpoint, shapes, reference, training, samples, metric, threshold, nearCopy, baselines, perFamily, seed, dropParts, json, device,
        };
        command.SetAction(parse =>
        {
            var o = parse.InvocationConfiguration.Output;
            bool asJson = parse.GetValue(json);
            var log = asJson ? TextWriter.Null : o;
            var distance = parse.GetValue(metric)!.ToLowerInvariant() switch
            {
                "iou" => ShapeDistance.Iou,
                "chamfer" => ShapeDistance.Chamfer,
                var m => throw new UsageException($"--metric {m}: use iou or chamfer"),
            };
            float t = CliFiles.CheckThreshold(parse.GetValue(threshold));
            int drop = ShapeOutput.CheckDropParts(parse.GetValue(dropParts));
            float copy = parse.GetResult(nearCopy) is null ? (distance == ShapeDistance.Iou ? 0.1f : 1f) : parse.GetValue(nearCopy);
            if (!(copy >= 0) || float.IsInfinity(copy))
            {
                throw new UsageException($"--near-copy {copy.ToString(System.Globalization.CultureInfo.InvariantCulture)} must be a finite distance of 0 or more");
            }
            int? n = parse.GetValue(samples);
            if (n is < 1 or > MaxSamples)
            {
                throw new UsageException($"--samples {n} must be between 1 and {MaxSamples}");
            }
            string? ckPath = parse.GetValue(checkpoint), shapesPath = parse.GetValue(shapes);
            if ((ckPath is null) == (shapesPath is null))
            {
                throw new UsageException("give exactly one of --checkpoint (evaluate its samples) and --shapes (evaluate stored shapes)");
            }
            if (drop > 0 && shapesPath is not null)
            {
                throw new UsageException("--drop-parts post-processes a checkpoint's samples; --shapes are evaluated as stored");
            }
            string? trainingSpec = parse.GetValue(training);
            if (parse.GetValue(baselines) && trainingSpec is null)
            {
                throw new UsageException("--baselines needs --training (the mean shape and the noise level come from it)");
            }
            int families = parse.GetValue(perFamily);
            ShapeSets.CheckPerFamily(families, 1);
            ulong s = parse.GetValue(seed);

            TrainedGan? gan = ckPath is null ? null : TrainedGan.Load(ckPath, CliDevices.Create(parse.GetValue(device)!));
            using var _ = gan;
            VoxelDataset? stored = shapesPath is null ? null : VoxelDataset.Load(shapesPath, null, new VoxelLoadOptions { ProceduralCountPerFamily = families, Seed = ShapeSets.HeldOutSeed + 1 });
            if (stored is { Count: 0 })
            {
                throw new InvalidDataException($"{shapesPath}: no non-empty shapes to evaluate");
            }
            int r = gan?.Architecture.Resolution ?? stored!.Resolution;
            string refSpec = parse.GetValue(reference)!;
            var refs = ShapeSets.LoadOne(refSpec, r, ShapeSets.HeldOutSeed, families, log, "--reference");
            // With a checkpoint, '--training procedural' is the built-in shapes its run trained on (their count a family is noted in it).
            int trainFamilies = ckPath is not null && string.Equals(trainingSpec, "procedural", StringComparison.OrdinalIgnoreCase)
                ? ShapeSets.TrainedPerFamily(gan!.Checkpoint, families)
                : families;
            var train = trainingSpec is null ? null : ShapeSets.LoadOne(trainingSpec, r, ShapeSets.TrainingSeed, trainFamilies, log, "--training");
            int count = n ?? refs.Count;
            if (count > MaxSamples)
            {
                throw new UsageException($"{refSpec} holds {refs.Count} shapes and eval draws as many samples by default, more than {MaxSamples}: give --samples");
            }
            // Refuse before the quadratic work rather than fail (or swap) halfway through it.
            double need = GenerationMetrics.EstimateBytes(count, refs.Count, train?.Count ?? 0, r, distance);
            long available = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;
            if (need > 0.75 * available)
            {
                throw new UsageException($"eval of {count} samples against {refs.Count} references{(train is null ? "" : $" and {train.Count} training shapes")} " +
                    $"needs about {need / (1L << 30):F1} GiB, more than 3/4 of the {available / (double)(1L << 30):F1} GiB available: use fewer --samples or a smaller --reference");
            }

            var clock = Stopwatch.StartNew();
            VoxelDataset generated;
            string what;
            if (gan is not null)
            {
                log.WriteLine($"eval: generating {count} shapes ({r}³) from {ckPath}");
                generated = Sampling.Shapes(gan.G, gan.DrawLatent(count, new Rng(s)), count, t, drop);
                what = drop > 0 ? $"samples, parts ≤ {drop} voxels emptied" : "samples";
            }
            else
            {
                generated = count >= stored!.Count ? stored : stored.Subset(Enumerable.Range(0, count).ToArray());
                what = shapesPath!;
            }

            var refSet = ShapeSet.From(refs, distance);
            var generatedSet = ShapeSet.From(generated, distance);
            var rows = new List<(string Name, string Key, GenerationReport Report)>
            {
                (what, "model", GenerationMetrics.Evaluate(generatedSet, refSet, distance)),
            };
            MemorisationReport? memo = null;
            if (train is not null)
            {
                memo = GenerationMetrics.Memorisation(generatedSet, ShapeSet.From(train, distance), distance, copy);
                if (parse.GetValue(baselines))
                {
                    foreach (var baseline in GenerationBaselines.Create(train, count, s))
                    {
                        rows.Add((baseline.Name, baseline.Key, GenerationMetrics.Evaluate(ShapeSet.From(baseline.Shapes, distance), refSet, distance)));
                    }
                }
            }
            var fragments = (Generated: FragmentReport.Measure(generated), Reference: FragmentReport.Measure(refs));
            // A labelled reference (the built-in families, a folder of classes) also says which classes the samples cover.
            var byClass = refs.ClassNames.Count > 1
                ? GenerationMetrics.CoverageByClass(rows[0].Report, refs.ClassIndices, refs.ClassNames, fragments.Generated.SpecksOfEachShape)
                : null;
            if (asJson)
            {
                o.WriteLine(ToJson(rows, memo, train?.Count ?? 0, fragments, byClass, drop));
                return ExitCodes.Success;
            }
            string unit = distance == ShapeDistance.Iou ? "1 − IoU" : "Chamfer, voxels";
            o.WriteLine($"{generated.Count} {what} against {refs.Count} reference shapes from {refSpec}, distance {unit} ({clock.Elapsed.TotalSeconds:F1} s)");
            o.WriteLine($"  {"set",-28} {"1-NNA",7} {"COV",7} {"MMD",8}");
            foreach (var (name, _, rep) in rows)
            {
                o.WriteLine($"  {name,-28} {rep.OneNna * 100,6:F1}% {rep.Coverage * 100,6:F1}% {rep.Mmd,8:F4}");
            }
            o.WriteLine("  (1-NNA: 50% is ideal; COV: higher is better; MMD: lower is better)");
            if (byClass is not null)
            {
                o.WriteLine($"COV by class of the reference (share of its references covered; how many of the {generated.Count} {what} are nearest to one, and their specks a shape):");
                o.WriteLine("  " + string.Join(", ", byClass.Select(c => c.Samples == 0 ? $"{c.Name} {c.Coverage * 100:F0}% (0)" : $"{c.Name} {c.Coverage * 100:F0}% ({c.Samples}; {c.MeanSpecks:F1})")));
            }
            if (memo is not null)
            {
                var d = memo.NearestDistance.Order().ToArray();
                o.WriteLine($"memorisation (against {train!.Count} training shapes): nearest training shape at distance min {d[0]:F3}, median {d[d.Length / 2]:F3}; " +
                    $"{memo.NearCopies} of {d.Length} samples within {memo.NearCopyThreshold:G3} of a training shape (near-copies)");
            }
            o.WriteLine($"fragments (26-connected parts; specks: parts of at most {FragmentReport.SpeckVoxels} voxels):");
            foreach (var (name, f) in new[] { (what, fragments.Generated), ("reference", fragments.Reference) })
            {
                o.WriteLine($"  {name,-28} median {f.MedianParts:G3} parts, {f.MeanSpecks:F1} specks a shape, {f.SpeckFreeShare * 100:F0}% speck-free, " +
                    $"{f.OutsideLargestShare * 100:F1}% of voxels outside the largest part");
            }
            return ExitCodes.Success;
        });
        return command;
    }

    private static string ToJson(List<(string Name, string Key, GenerationReport Report)> rows, MemorisationReport? memo, int trainingCount,
        (FragmentReport Generated, FragmentReport Reference) fragments, IReadOnlyList<ClassCoverage>? byClass, int dropParts)
    {
        static Dictionary<string, object> Fragments(FragmentReport f) => new()
        {
            ["median_parts"] = f.MedianParts,
            ["mean_specks"] = f.MeanSpecks,
            ["speck_free"] = f.SpeckFreeShare,
            ["outside_largest"] = f.OutsideLargestShare,
        };
        static Dictionary<string, object> Metrics(GenerationReport r) => new()
        {
            ["1nna"] = r.OneNna,
            ["cov"] = r.Coverage,
            ["mmd"] = r.Mmd,
        };
        var main = rows[0].Report;
        var value = new Dictionary<string, object>
        {
            ["metric"] = main.Metric == ShapeDistance.Iou ? "iou" : "chamfer",
            ["samples"] = main.Samples,
            ["reference"] = main.References,
            // The post-processing's part size, 0 for the raw samples: a figure of post-processed samples always says so.
            ["drop_parts"] = dropParts,
        };
        foreach (var (k, v) in Metrics(main))
        {
            value[k] = v;
        }
        if (memo is not null)
        {
            value["memorisation"] = new Dictionary<string, object>
            {
                ["training_shapes"] = trainingCount,
                ["near_copies"] = memo.NearCopies,
                ["threshold"] = memo.NearCopyThreshold,
                ["min_distance"] = memo.NearestDistance.Min(),
                ["median_distance"] = memo.NearestDistance.Order().ElementAt(memo.NearestDistance.Length / 2),
            };
        }
        value["fragments"] = new Dictionary<string, object>
        {
            ["speck_voxels"] = FragmentReport.SpeckVoxels,
            ["samples"] = Fragments(fragments.Generated),
            ["reference"] = Fragments(fragments.Reference),
        };
        if (byClass is not null)
        {
            value["cov_by_class"] = byClass.ToDictionary(c => c.Name, c => (object)new Dictionary<string, object>
            {
                ["references"] = c.References,
                ["cov"] = c.Coverage,
                ["samples"] = c.Samples,
                ["specks"] = double.IsNaN(c.MeanSpecks) ? null! : c.MeanSpecks,
            });
        }
        if (rows.Count > 1)
        {
            value["baselines"] = rows.Skip(1).ToDictionary(r => r.Key, r => (object)Metrics(r.Report));
        }
        return JsonSerializer.Serialize(value);
    }
}
