using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Gan3D.Data;

namespace Gan3D.Cli.Commands;

/// <summary><c>gan3d voxelize</c>: one mesh to an occupancy grid file.</summary>
internal static class VoxelizeCommand
{
    public static Command Create()
    {
        var mesh = new Argument<string>("MESH") { Description = "The mesh to voxelize: .off, .obj, .stl or .ply" };
        var resolution = new Option<int>("--resolution", "-r")
        {
            Description = "Grid size R: the output is an R×R×R grid (the shared ModelNet data is 32; the paper's GAN makes 64)",
            DefaultValueFactory = _ => 32,
        };
        var fill = new Option<string>("--fill")
        {
            Description = "solid: the surface and everything inside it (like the ModelNet data); surface: only voxels the surface touches",
            DefaultValueFactory = _ => "solid",
        };
        fill.AcceptOnlyFromAmong("solid", "surface");
        var up = new Option<string>("--up")
        {
            Description = "Which axis of the mesh points up: z (ModelNet, STL, CAD files) or y (most OBJ exports from Blender or Maya)",
            DefaultValueFactory = _ => "z",
        };
        up.AcceptOnlyFromAmong("z", "y");
        var margin = new Option<float>("--margin")
        {
            Description = "Empty voxels to leave on each side of the longest extent (default 0: the shape touches the cube, like binvox -cb)",
            DefaultValueFactory = _ => 0f,
        };
        var output = new Option<string>("--out", "-o")
        {
            Description = "Output file: .npy or .npy.gz (a uint8 R×R×R array), .binvox, or .png (a rendered picture)",
            Required = true,
        };
        var command = new Command("voxelize",
            "Turn a mesh into an R×R×R occupancy grid. The mesh is centred and scaled so its longest side spans the grid; " +
            "axis 2 of the grid is up.\nExample: gan3d voxelize chair.off --resolution 64 --out chair.npy")
        {
            mesh, resolution, fill, up, margin, output,
        };
        command.SetAction(parse =>
        {
            var o = parse.InvocationConfiguration.Output;
            string meshPath = parse.GetValue(mesh)!;
            string outPath = parse.GetValue(output)!;
            int r = parse.GetValue(resolution);
            CliFiles.RequireResolution(r);
            CliFiles.RequireExtension("--out", outPath, ".npy", ".npy.gz", ".binvox", ".png");
            CliFiles.RefuseOverwritingInputs([outPath], meshPath);
            float m = parse.GetValue(margin);
            if (!(m >= 0) || m > r / 2f)
            {
                throw new UsageException($"--margin {m} must be between 0 and half the resolution");
            }
            var clock = Stopwatch.StartNew();
            var input = CliFiles.ReadMesh(meshPath, parse.InvocationConfiguration.Error);
            var options = new VoxelizeOptions
            {
                Fill = parse.GetValue(fill) == "surface" ? VoxelFill.Surface : VoxelFill.Solid,
                Up = CliFiles.Up(parse.GetValue(up)!),
                Margin = m,
            };
            var result = Voxelizer.VoxelizeWithTransform(input, r, options);
            var grid = result.Grid;
            switch (CliFiles.Extension(outPath))
            {
                case ".binvox":
                    BinvoxFile.Write(outPath, grid, [result.Translate.X, result.Translate.Y, result.Translate.Z], result.Scale);
                    break;
                case ".png":
                    VoxelRenderer.Render(grid).SavePng(outPath);
                    break;
                default:
                    VoxelFile.Write(outPath, grid);
                    break;
            }
            int occupied = grid.CountOccupied();
            o.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{meshPath}: {input.VertexCount} vertices, {input.TriangleCount} triangles -> {r}³ grid, {occupied} voxels set ({100.0 * occupied / ((double)r * r * r):F1}%), {clock.Elapsed.TotalMilliseconds:F0} ms; wrote {outPath}"));
            return ExitCodes.Success;
        });
        return command;
    }
}
