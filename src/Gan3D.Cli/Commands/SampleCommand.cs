using System.CommandLine;
using Gan3D.Data;
using Gan3D.Models;
using Gan3D.Tensors;

namespace Gan3D.Cli.Commands;

/// <summary><c>gan3d sample</c>: shapes from a trained generator.</summary>
internal static class SampleCommand
{
    public static Command Create()
    {
        var checkpoint = new Option<string>("--checkpoint", "-c") { Description = "A checkpoint written by 'gan3d train'", Required = true };
        var count = new Option<int>("--count", "-n") { Description = "Shapes to generate", DefaultValueFactory = _ => 16 };
        var output = new Option<string>("--out", "-o") { Description = "Output folder", Required = true };
        var format = new Option<string>("--format", "-f") { Description = "png, npy (probabilities), binvox, obj or ply", DefaultValueFactory = _ => "png" };
        var threshold = new Option<float>("--threshold", "-t") { Description = "Occupancy threshold for png, binvox and meshes", DefaultValueFactory = _ => 0.5f };
        var seed = new Option<ulong>("--seed", "-s") { Description = "Seed of the latent codes", DefaultValueFactory = _ => 0 };
        var className = new Option<string?>("--class") { Description = "A conditional checkpoint (train --conditional): every shape of this class (default: classes drawn in the training proportions)" };
        var dropParts = ShapeOutput.DropPartsOption();
        var device = CliDevices.Option();
        var command = new Command("sample",
            "Generate shapes from a trained checkpoint. Also writes z.npy, the latent codes used (one row per shape), " +
            "for 'gan3d arithmetic'. sample-montage.png (the shapes numbered, the first 1024 when more) is always written; --format png adds " +
            "sample-000.png ..., npy writes sample.npy, binvox/obj/ply one sample-NNN file per shape.\n" +
            "Example: gan3d sample --checkpoint runs/gan/checkpoint.safetensors --count 8 --format obj --out samples\n" +
            "Example: gan3d sample --checkpoint runs/gan/checkpoint.safetensors --class chair --out chairs")
        {
            checkpoint, count, output, format, threshold, seed, className, dropParts, device,
        };
        command.SetAction(parse =>
        {
            var o = parse.InvocationConfiguration.Output;
            int n = parse.GetValue(count);
            if (n < 1 || n > 10_000)
            {
                throw new UsageException($"--count {n} must be between 1 and 10000");
            }
            string fmt = ShapeOutput.CheckFormat(parse.GetValue(format)!);
            float t = CliFiles.CheckThreshold(parse.GetValue(threshold));
            int drop = ShapeOutput.CheckDropParts(parse.GetValue(dropParts));
            string dir = parse.GetValue(output)!, ckPath = parse.GetValue(checkpoint)!;
            string zPath = Path.Combine(dir, "z.npy");
            CliFiles.RefuseOverwritingInputs(ShapeOutput.Paths(dir, "sample", n, fmt).Append(zPath), ckPath);
            var backend = CliDevices.Create(parse.GetValue(device)!);
            using var g = TrainedGan.Load(ckPath, backend);
            int r = g.Architecture.Resolution;
            ShapeOutput.CheckCount("--count", n, r);
            var z = g.DrawLatent(n, new Rng(parse.GetValue(seed)));
            if (parse.GetValue(className) is { } name)
            {
                g.SetClass(z, n, name, ckPath);
            }
            var probabilities = g.Decode(z, n);
            ShapeOutput.DropParts(o, probabilities, n, r, t, drop);
            var written = ShapeOutput.Write(dir, "sample", probabilities, n, r, fmt, t);
            NpyFile.WriteFloat32(zPath, [n, g.Architecture.CodeSize], z);
            o.WriteLine($"{n} shapes ({r}³) from {g.Model} checkpoint → {written.Count + 1} files in {dir} (latent codes: {zPath})");
            return ExitCodes.Success;
        });
        return command;
    }
}
