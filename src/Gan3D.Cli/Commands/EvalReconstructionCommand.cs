using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Gan3D.Data;
using Gan3D.Models;
using Gan3D.Tensors;

namespace Gan3D.Cli.Commands;

/// <summary><c>gan3d eval-reconstruction</c>: single-image reconstruction IoU on held-out shapes against the mean-shape baseline.</summary>
internal static class EvalReconstructionCommand
{
    /// <summary>Seed of held-out procedural shapes: training uses seed 0, so these are other shapes of the same families.</summary>
    public const int HeldOutProceduralSeed = 1;

    public static Command Create()
    {
        var checkpoint = new Option<string>("--checkpoint", "-c") { Description = "A checkpoint written by 'gan3d train --model vae-gan'", Required = true };
        var data = new Option<string>("--data", "-d")
        {
            Description = $"Held-out shapes: a .npy/.npy.gz file, a folder of voxel/mesh files, or 'procedural' (the built-in families drawn with seed {HeldOutProceduralSeed}, not the training seed 0)",
            Required = true,
        };
        var perFamily = new Option<int>("--per-family", "--count-per-family") { Description = "'procedural': held-out shapes per family", DefaultValueFactory = _ => 20 };
        var views = new Option<int>("--views") { Description = "Rendered views a shape (random viewpoints of the training range, fixed seed)", DefaultValueFactory = _ => 1 };
        var threshold = new Option<float>("--threshold", "-t") { Description = "Occupancy threshold of the reconstructions", DefaultValueFactory = _ => 0.5f };
        var seed = new Option<ulong>("--seed", "-s") { Description = "Seed of the viewpoints", DefaultValueFactory = _ => 12345 };
        var json = new Option<bool>("--json") { Description = "Print {\"mean_iou\", \"per_class\", \"baseline_mean_shape_iou\", ...} as JSON" };
        var device = CliDevices.Option();
        var examples = new Option<string?>("--examples") { Description = "Also write one rendered held-out view per family (or the first few shapes) as PNG files to this folder, inputs for 'gan3d reconstruct'" };
        var command = new Command("eval-reconstruction",
            "Mean IoU of single-image reconstructions of held-out shapes, each rendered from random viewpoints, per family when labelled, " +
            "against a baseline that answers every image with the mean training shape (thresholded at the level with the best mean IoU " +
            "on the training shapes, chosen at training time).\n" +
            "Example: gan3d eval-reconstruction --checkpoint runs/vae-gan/checkpoint.safetensors --data procedural --json")
        {
            checkpoint, data, perFamily, views, threshold, seed, json, device, examples,
        };
        command.SetAction(parse =>
        {
            var o = parse.InvocationConfiguration.Output;
            float t = CliFiles.CheckThreshold(parse.GetValue(threshold));
            int v = parse.GetValue(views);
            if (v < 1 || v > 100)
            {
                throw new UsageException($"--views {v} must be between 1 and 100");
            }
            int n = parse.GetValue(perFamily);
            ShapeSets.CheckPerFamily(n, 1);
            var backend = CliDevices.Create(parse.GetValue(device)!);
            using var model = ShapeReconstructor.Load(parse.GetValue(checkpoint)!, backend);
            string spec = parse.GetValue(data)!;
            var shapes = VoxelDataset.Load(spec, model.Resolution, new VoxelLoadOptions { ProceduralCountPerFamily = n, Seed = HeldOutProceduralSeed });
            if (shapes.Count == 0)
            {
                throw new InvalidDataException($"{spec}: no non-empty shapes to evaluate on");
            }
            var report = ReconstructionEvaluation.Run(model, shapes, v, t, parse.GetValue(seed));
            if (parse.GetValue(examples) is { } exampleDir)
            {
                WriteExamples(exampleDir, model, shapes, parse.GetValue(seed));
            }
            if (parse.GetValue(json))
            {
                var result = new Dictionary<string, object>
                {
                    ["mean_iou"] = report.MeanIou,
                    ["per_class"] = report.PerClass,
                    ["baseline_mean_shape_iou"] = report.BaselineMeanIou,
                    ["baseline_threshold"] = report.BaselineThreshold,
                    ["baseline_mean_shape_iou_at_threshold"] = report.BaselineMeanIouAtThreshold,
                    ["per_class_baseline"] = report.PerClassBaseline,
                    ["shapes"] = report.Shapes,
                    ["views"] = report.Views,
                    ["threshold"] = report.Threshold,
                };
                o.WriteLine(JsonSerializer.Serialize(result, new JsonSerializerOptions { WriteIndented = true }));
                return ExitCodes.Success;
            }
            string F(double x) => x.ToString("F3", CultureInfo.InvariantCulture);
            o.WriteLine($"reconstruction of {report.Shapes} held-out shapes from {spec}, {report.Views} view{(report.Views == 1 ? "" : "s")} each ({model.E.Architecture} images, {model.Resolution}³)");
            o.WriteLine($"  mean IoU {F(report.MeanIou)} at threshold {report.Threshold.ToString(CultureInfo.InvariantCulture)}");
            o.WriteLine($"  baseline (mean training shape): {F(report.BaselineMeanIou)} at its best training threshold {report.BaselineThreshold.ToString(CultureInfo.InvariantCulture)}; {F(report.BaselineMeanIouAtThreshold)} at {report.Threshold.ToString(CultureInfo.InvariantCulture)}");
            foreach (var (label, iou) in report.PerClass)
            {
                o.WriteLine($"  {label,-10} {F(iou)}   (baseline {F(report.PerClassBaseline[label])})");
            }
            return ExitCodes.Success;
        });
        return command;
    }

    /// <summary>Views of the first shape of each label (or of the first 8 unlabelled shapes) at 128×128 RGB, from the training viewpoint range.</summary>
    private static void WriteExamples(string dir, ShapeReconstructor model, VoxelDataset shapes, ulong seed)
    {
        var picks = new List<(int Index, string Name)>();
        for (int i = 0; i < shapes.Count && picks.Count < 32; i++)
        {
            string? label = shapes.GetLabel(i);
            if (label is null ? picks.Count < 8 : picks.All(p => p.Name != label))
            {
                picks.Add((i, label ?? $"shape-{i:D3}"));
            }
        }
        var rng = new Rng(seed ^ 0xE7037ED1A0B428DBUL);
        foreach (var (index, name) in picks)
        {
            var (azimuth, elevation) = model.Options.Views.At(rng.NextDouble(), rng.NextDouble());
            var view = new ViewOptions { Azimuth = azimuth, Elevation = elevation, Width = 128, Height = 128, Rgb = true, Supersample = 2 };
            RgbImage.FromFloats(ViewRenderer.Render(shapes.GetGrid(index), view), 128, 128, rgb: true).SavePng(Path.Combine(dir, $"{name}.png"));
        }
    }
}
