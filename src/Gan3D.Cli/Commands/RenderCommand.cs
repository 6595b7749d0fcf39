using System.CommandLine;
using Gan3D.Data;

namespace Gan3D.Cli.Commands;

/// <summary><c>gan3d render</c>: a picture of one grid, or a numbered montage of a batch.</summary>
internal static class RenderCommand
{
    public static Command Create()
    {
        var input = new Argument<string>("VOXELS")
        {
            Description = "Grids to draw: .npy or .npy.gz (one grid or a batch, 0/1 or probabilities), .binvox, or a mesh (voxelized first)",
        };
        var output = new Option<string>("--out", "-o") { Description = "The PNG file to write", Required = true };
        var index = new Option<int?>("--index", "-i") { Description = "Draw only grid number i of a batch (counting from 0)" };
        var threshold = new Option<float>("--threshold", "-t")
        {
            Description = "Values above this are drawn as solid (for generator outputs, which are probabilities)",
            DefaultValueFactory = _ => 0.5f,
        };
        var count = new Option<int>("--count", "-n")
        {
            Description = "Batch: how many grids the montage shows (0 = all)",
            DefaultValueFactory = _ => 16,
        };
        var start = new Option<int>("--start") { Description = "Batch: the first grid the montage shows", DefaultValueFactory = _ => 0 };
        var columns = new Option<int>("--columns") { Description = "Montage tiles per row (0 = about square)", DefaultValueFactory = _ => 0 };
        var size = new Option<int>("--size") { Description = "Pixels: the image (one grid) or each tile (montage); default 256 or 160" };
        var azimuth = new Option<float>("--azimuth") { Description = "Camera azimuth in degrees: 0 looks at the front (from −y), 90 from the right (+x)", DefaultValueFactory = _ => -40f };
        var elevation = new Option<float>("--elevation") { Description = "Camera elevation in degrees above the floor", DefaultValueFactory = _ => 30f };
        var resolution = new Option<int>("--resolution", "-r") { Description = "Mesh input: voxelize at this resolution first", DefaultValueFactory = _ => 64 };
        var command = new Command("render",
            "Draw voxel grids as a shaded PNG. A file with one grid gives one picture; a batch gives a montage of numbered tiles " +
            "(the numbers are the grid indices in the file).\nExamples: gan3d render samples.npy --out samples.png\n" +
            "          gan3d render chairs.npy.gz --index 7 --out chair7.png")
        {
            input, output, index, threshold, count, start, columns, size, azimuth, elevation, resolution,
        };
        command.SetAction(parse =>
        {
            var o = parse.InvocationConfiguration.Output;
            string inPath = parse.GetValue(input)!;
            string outPath = parse.GetValue(output)!;
            CliFiles.RequireExtension("--out", outPath, ".png");
            CliFiles.RefuseOverwritingInputs([outPath], inPath);
            float t = CliFiles.CheckThreshold(parse.GetValue(threshold));
            var view = new RenderOptions
            {
                Azimuth = CliFiles.RequireFinite("--azimuth", parse.GetValue(azimuth)),
                Elevation = CliFiles.RequireFinite("--elevation", parse.GetValue(elevation)),
            };
            int? pixels = parse.GetValue(size) is var px && px != 0 ? px : null;
            if (pixels is < 16 or > 4096)
            {
                throw new UsageException($"--size {pixels} is outside 16..4096");
            }
            VoxelDataset grids;
            if (MeshFile.IsMeshPath(inPath))
            {
                int r = parse.GetValue(resolution);
                CliFiles.RequireResolution(r);
                grids = VoxelDataset.FromGrids([Voxelizer.Voxelize(CliFiles.ReadMesh(inPath, parse.InvocationConfiguration.Error), r)]);
            }
            else
            {
                grids = VoxelFile.Read(inPath, t);
            }
            if (grids.Count == 0)
            {
                throw new InvalidDataException($"{inPath}: the file holds no grids");
            }
            int? only = parse.GetValue(index);
            if (only is { } i || grids.Count == 1)
            {
                int n = only ?? 0;
                CliFiles.RequireIndex(n, grids.Count, inPath);
                var grid = grids.GetGrid(n);
                VoxelRenderer.Render(grid, view with { Size = pixels ?? 256 }).SavePng(outPath);
                o.WriteLine($"{inPath}: grid {n} ({grid.Resolution}³, {grid.CountOccupied()} voxels set) -> {outPath}");
                return ExitCodes.Success;
            }
            int first = parse.GetValue(start), howMany = parse.GetValue(count);
            CliFiles.RequireIndex(first, grids.Count, inPath);
            if (howMany < 0)
            {
                throw new UsageException($"--count {howMany} must be 0 (all) or more");
            }
            int shown = howMany == 0 ? grids.Count - first : Math.Min(howMany, grids.Count - first);
            if (shown > 1024)
            {
                throw new UsageException($"{shown} tiles is too many for one picture; use --count and --start (at most 1024)");
            }
            var progress = new Progress(o, "rendered");
            var indices = Enumerable.Range(first, shown).ToArray();
            var montage = Montage.Create(grids, indices, new MontageOptions
            {
                Columns = parse.GetValue(columns),
                TileSize = pixels ?? 160,
                Render = view,
                Progress = progress.Report,
            });
            montage.SavePng(outPath);
            o.WriteLine($"{inPath}: grids {first}..{first + shown - 1} of {grids.Count} ({grids.Resolution}³) -> {outPath} ({montage.Width}×{montage.Height} px)");
            return ExitCodes.Success;
        });
        return command;
    }
}
