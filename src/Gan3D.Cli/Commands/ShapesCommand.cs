using System.CommandLine;
using Gan3D.Data;

namespace Gan3D.Cli.Commands;

/// <summary><c>gan3d shapes</c>: dump the built-in shape families (the default training data).</summary>
internal static class ShapesCommand
{
    public static Command Create()
    {
        var family = new Option<string>("--family", "-f")
        {
            Description = $"Which family: {string.Join(", ", ShapeFamilies.Names)}, or all",
            DefaultValueFactory = _ => "all",
        };
        var count = new Option<int>("--count", "-n") { Description = "Shapes per family", DefaultValueFactory = _ => 16 };
        var resolution = new Option<int>("--resolution", "-r") { Description = "Grid size R (R×R×R)", DefaultValueFactory = _ => 32 };
        var seed = new Option<int>("--seed", "-s") { Description = "Random seed: the same seed always gives the same shapes", DefaultValueFactory = _ => 0 };
        var columns = new Option<int>("--columns") { Description = "PNG: tiles per row (0 = one row per family, or six tiles a row when counts are small)", DefaultValueFactory = _ => 0 };
        var output = new Option<string>("--out", "-o")
        {
            Description = "Output: .npy or .npy.gz (uint8 array of shape (N, R, R, R), grouped by family) or .png (a labelled montage)",
            Required = true,
        };
        var command = new Command("shapes",
            "Make shapes from the built-in families, the data 'gan3d train' uses when no --data is given: parametric chairs, tables, " +
            "sofas, beds, benches, lamps, vases, mugs, monitors, bathtubs, airplanes and cars, upright (axis 2 up) and centred.\n" +
            "Example: gan3d shapes --family chair --count 16 --resolution 64 --out chairs.png")
        {
            family, count, resolution, seed, columns, output,
        };
        command.SetAction(parse =>
        {
            var o = parse.InvocationConfiguration.Output;
            string name = parse.GetValue(family)!;
            string outPath = parse.GetValue(output)!;
            int n = parse.GetValue(count), r = parse.GetValue(resolution);
            CliFiles.RequireResolution(r);
            CliFiles.RequireExtension("--out", outPath, ".npy", ".npy.gz", ".png");
            string[] families;
            if (string.Equals(name, "all", StringComparison.OrdinalIgnoreCase))
            {
                families = [.. ShapeFamilies.Names];
            }
            else if (ShapeFamilies.Names.FirstOrDefault(f => string.Equals(f, name, StringComparison.OrdinalIgnoreCase)) is { } known)
            {
                families = [known];
            }
            else
            {
                throw new UsageException($"--family {name}: unknown family (known: {string.Join(", ", ShapeFamilies.Names)}, all)");
            }
            if (n < 1 || (long)n * families.Length > 100_000)
            {
                throw new UsageException($"--count {n} must be between 1 and {100_000 / families.Length}");
            }
            var progress = new Progress(o, "rendered");
            var dataset = ShapeFamilies.CreateDataset(n, r, parse.GetValue(seed), families);
            if (CliFiles.Extension(outPath) == ".png")
            {
                if (dataset.Count > 1024)
                {
                    throw new UsageException($"{dataset.Count} tiles is too many for one picture (at most 1024); lower --count");
                }
                int cols = parse.GetValue(columns);
                if (cols <= 0 && families.Length > 1)
                {
                    // One row per family when the rows are wide enough; otherwise whole families side by side, six tiles a row.
                    cols = n is >= 4 and <= 16 ? n : n < 4 ? 6 / n * n : 0;
                }
                var image = Montage.Create(dataset, Enumerable.Range(0, dataset.Count).ToArray(), new MontageOptions
                {
                    Columns = cols,
                    TileSize = r >= 64 ? 192 : 160,
                    Progress = progress.Report,
                });
                image.SavePng(outPath);
            }
            else
            {
                dataset.SaveNpy(outPath);
            }
            o.WriteLine($"{dataset.Count} shapes ({string.Join(", ", families)}), {r}³, seed {parse.GetValue(seed)}, {progress.Seconds:F1} s -> {outPath}");
            return ExitCodes.Success;
        });
        return command;
    }
}
