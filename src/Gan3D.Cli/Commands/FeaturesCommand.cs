using System.CommandLine;
using Gan3D.Data;
using Gan3D.Models;

namespace Gan3D.Cli.Commands;

/// <summary><c>gan3d features</c>: the trained discriminator as a shape descriptor.</summary>
internal static class FeaturesCommand
{
    public static Command Create()
    {
        var checkpoint = new Option<string>("--checkpoint", "-c") { Description = "A checkpoint written by 'gan3d train'", Required = true };
        var data = new Option<string>("--data", "-d") { Description = "Shapes: a .npy/.npy.gz file, a folder of voxel or mesh files, or 'procedural'", Required = true };
        var output = new Option<string>("--out", "-o") { Description = "Output .npy file: float32 (N, F)", Required = true };
        var batch = new Option<int>("--batch-size", "-b") { Description = "Shapes per forward pass", DefaultValueFactory = _ => 32 };
        var device = CliDevices.Option();
        var command = new Command("features",
            "Write the discriminator's shape descriptor of each shape: the responses of its 2nd, 3rd and 4th convolution " +
            "stages, max-pooled to 2³ each and concatenated (the paper's features). Labels, when the data has them, " +
            "go to a .labels.txt file beside the output, one per row.\n" +
            "Example: gan3d features --checkpoint runs/gan/checkpoint.safetensors --data procedural --out features.npy")
        {
            checkpoint, data, output, batch, device,
        };
        command.SetAction(parse =>
        {
            var o = parse.InvocationConfiguration.Output;
            int b = parse.GetValue(batch);
            if (b < 1 || b > 1024)
            {
                // The batch is allocated up front (B × R³ floats), whatever the data's size.
                throw new UsageException($"--batch-size {b} must be between 1 and 1024");
            }
            string outPath = parse.GetValue(output)!;
            if (!outPath.EndsWith(".npy", StringComparison.OrdinalIgnoreCase))
            {
                throw new UsageException($"--out {outPath}: the features are written as .npy");
            }
            string ckPath = parse.GetValue(checkpoint)!, dataPath = parse.GetValue(data)!;
            string labelPath = outPath[..^4] + ".labels.txt";
            CliFiles.RefuseOverwritingInputs([outPath, labelPath], ckPath, dataPath);
            var backend = CliDevices.Create(parse.GetValue(device)!);
            using var gan = TrainedGan.Load(ckPath, backend);
            var arch = gan.Architecture;
            var shapes = ShapeSets.LoadOne(dataPath, arch.Resolution, ShapeSets.TrainingSeed, 100, o, "--data");
            int f = FeatureExtractor.FeatureCount(arch);
            var x = FeatureExtractor.Extract(gan.D, shapes, b);
            string? dir = Path.GetDirectoryName(Path.GetFullPath(outPath));
            Directory.CreateDirectory(dir!);
            NpyFile.WriteFloat32(outPath, [shapes.Count, f], x);
            string layout = string.Join(" + ", FeatureExtractor.Layout(arch).Select(l => $"conv {l.Stage + 1}: {l.Channels}×2³"));
            o.WriteLine($"{shapes.Count} shapes × {f} features ({layout}) → {outPath}");
            if (shapes.Labels is { } labels)
            {
                AtomicFile.WriteAllText(labelPath, string.Join('\n', labels) + "\n");
                o.WriteLine($"labels ({shapes.ClassNames.Count} classes) → {labelPath}");
            }
            return ExitCodes.Success;
        });
        return command;
    }
}
