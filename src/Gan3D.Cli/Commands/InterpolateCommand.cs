using System.CommandLine;
using Gan3D.Data;
using Gan3D.Models;
using Gan3D.Tensors;

namespace Gan3D.Cli.Commands;

/// <summary><c>gan3d interpolate</c>: shapes along a path between two latent codes.</summary>
internal static class InterpolateCommand
{
    public static Command Create()
    {
        var checkpoint = new Option<string>("--checkpoint", "-c") { Description = "A checkpoint written by 'gan3d train'", Required = true };
        var steps = new Option<int>("--steps", "-k") { Description = "Shapes along the path, ends included", DefaultValueFactory = _ => 8 };
        var output = new Option<string>("--out", "-o") { Description = "Output folder", Required = true };
        var mode = new Option<string>("--mode") { Description = "linear, slerp or both", DefaultValueFactory = _ => "both" };
        var from = new Option<string?>("--from") { Description = "Start code: a .npy of shape (Z) or (N, Z) (rows are averaged); default: drawn from --seed" };
        var to = new Option<string?>("--to") { Description = "End code, as --from" };
        var seed = new Option<ulong>("--seed", "-s") { Description = "Seed of the codes not given", DefaultValueFactory = _ => 0 };
        var threshold = new Option<float>("--threshold", "-t") { Description = "Occupancy threshold of the renders", DefaultValueFactory = _ => 0.5f };
        var dropParts = ShapeOutput.DropPartsOption();
        var device = CliDevices.Option();
        var command = new Command("interpolate",
            "Render the shapes along a linear and/or spherical path between two latent codes as montages " +
            "(interpolation-linear-montage.png, interpolation-slerp-montage.png) and save their probabilities " +
            "(interpolation-linear.npy, interpolation-slerp.npy).\n" +
            "Example: gan3d interpolate --checkpoint runs/gan/checkpoint.safetensors --steps 8 --out interp")
        {
            checkpoint, steps, output, mode, from, to, seed, threshold, dropParts, device,
        };
        command.SetAction(parse =>
        {
            var o = parse.InvocationConfiguration.Output;
            int k = parse.GetValue(steps);
            if (k < 2 || k > 64)
            {
                throw new UsageException($"--steps {k} must be between 2 and 64");
            }
            string m = parse.GetValue(mode)!.ToLowerInvariant();
            string[] modes = m switch
            {
                "both" => ["linear", "slerp"],
                "linear" or "slerp" => [m],
                _ => throw new UsageException($"--mode {m}: use linear, slerp or both"),
            };
            float t = CliFiles.CheckThreshold(parse.GetValue(threshold));
            int drop = ShapeOutput.CheckDropParts(parse.GetValue(dropParts));
            string dir = parse.GetValue(output)!, ckPath = parse.GetValue(checkpoint)!;
            string? fromPath = parse.GetValue(from), toPath = parse.GetValue(to);
            CliFiles.RefuseOverwritingInputs(modes.SelectMany(name => ShapeOutput.Paths(dir, $"interpolation-{name}", k, "npy")), ckPath, fromPath, toPath);
            var backend = CliDevices.Create(parse.GetValue(device)!);
            using var g = TrainedGan.Load(ckPath, backend);
            int zd = g.Architecture.CodeSize, r = g.Architecture.Resolution;
            var drawn = g.DrawLatent(2, new Rng(parse.GetValue(seed)));
            var a = LatentFile.ReadOr(fromPath, zd, drawn.AsSpan(0, zd));
            var b = LatentFile.ReadOr(toPath, zd, drawn.AsSpan(zd, zd));
            foreach (var name in modes)
            {
                var z = new float[k * zd];
                for (int i = 0; i < k; i++)
                {
                    double frac = (double)i / (k - 1);
                    var zi = name == "linear" ? LatentSpace.Lerp(a, b, frac) : LatentSpace.Slerp(a, b, frac);
                    zi.CopyTo(z, i * zd);
                }
                var p = g.Decode(z, k);
                ShapeOutput.DropParts(o, p, k, r, t, drop);
                var captions = Enumerable.Range(0, k).Select(i => $"T={(double)i / (k - 1):0.##}").ToArray();
                ShapeOutput.Write(dir, $"interpolation-{name}", p, k, r, "npy", t, captions);
                o.WriteLine($"{name}: {k} shapes → {Path.Combine(dir, $"interpolation-{name}-montage.png")}");
            }
            return ExitCodes.Success;
        });
        return command;
    }
}

/// <summary>Latent codes stored as .npy: (Z) or (N, Z), several rows averaged.</summary>
internal static class LatentFile
{
    public static float[] Read(string path, int latentDim)
    {
        var (shape, data) = NpyFile.ReadFloat32(path);
        bool fits = (shape.Length == 1 && shape[0] == latentDim) || (shape.Length == 2 && shape[1] == latentDim && shape[0] > 0);
        if (!fits)
        {
            throw new InvalidDataException($"{path}: latent codes must have shape ({latentDim}) or (N, {latentDim}), not ({string.Join(", ", shape)})");
        }
        // A NaN code decodes to an all-NaN grid, which every writer would store without complaint.
        int bad = Array.FindIndex(data, v => !float.IsFinite(v));
        if (bad >= 0)
        {
            throw new InvalidDataException($"{path}: latent code value {bad} (row {bad / latentDim}, column {bad % latentDim}) is {data[bad]}; codes must be finite");
        }
        return LatentSpace.MeanRow(data, latentDim);
    }

    public static float[] ReadOr(string? path, int latentDim, ReadOnlySpan<float> fallback) =>
        path is null ? fallback.ToArray() : Read(path, latentDim);
}
