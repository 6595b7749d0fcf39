using System.CommandLine;
using Gan3D.Data;

namespace Gan3D.Cli.Commands;

/// <summary><c>gan3d convert</c>: between voxel formats, voxels to meshes, meshes to meshes or voxels.</summary>
internal static class ConvertCommand
{
    private static readonly string[] VoxelTypes = [".npy", ".npy.gz", ".binvox"];
    private static readonly string[] MeshInTypes = [".off", ".obj", ".stl", ".ply"];
    private static readonly string[] MeshOutTypes = [".obj", ".ply"];

    public static Command Create()
    {
        var input = new Argument<string>("IN") { Description = "Input: .npy, .npy.gz, .binvox (grids) or .off, .obj, .stl, .ply (meshes)" };
        var output = new Argument<string>("OUT") { Description = "Output: .npy, .npy.gz, .binvox (grids) or .obj, .ply (meshes)" };
        var cubes = new Option<bool>("--cubes") { Description = "Grid to mesh: exact voxel blocks instead of a smooth marching-cubes surface" };
        var threshold = new Option<float>("--threshold", "-t")
        {
            Description = "Values above this count as solid; also the marching-cubes surface level",
            DefaultValueFactory = _ => 0.5f,
        };
        var index = new Option<int?>("--index", "-i") { Description = "Take grid number i of a batch (needed when writing a batch to a one-grid format: .binvox, .obj, .ply)" };
        var resolution = new Option<int?>("--resolution", "-r") { Description = "Grids: resample to R×R×R (nearest up, max pooling down). Mesh to grid: voxelize at R (default 32)" };
        var up = new Option<string>("--up") { Description = "Mesh input: which axis points up, z or y (y turns it to z up)", DefaultValueFactory = _ => "z" };
        up.AcceptOnlyFromAmong("z", "y");
        var fill = new Option<string>("--fill") { Description = "Mesh to grid: solid or surface", DefaultValueFactory = _ => "solid" };
        fill.AcceptOnlyFromAmong("solid", "surface");
        var command = new Command("convert",
            "Convert between formats: grids (.npy, .npy.gz, .binvox) to grids or to meshes (.obj, .ply; smooth marching cubes, or --cubes " +
            "for blocks), and meshes to meshes or to grids.\nExamples: gan3d convert samples.npy sample3.obj --index 3\n" +
            "          gan3d convert chair.binvox chair.npy.gz --resolution 64")
        {
            input, output, cubes, threshold, index, resolution, up, fill,
        };
        command.SetAction(parse =>
        {
            var o = parse.InvocationConfiguration.Output;
            string inPath = parse.GetValue(input)!, outPath = parse.GetValue(output)!;
            string inType = CliFiles.Extension(inPath), outType = CliFiles.Extension(outPath);
            bool gridIn = VoxelTypes.Contains(inType), meshIn = MeshInTypes.Contains(inType);
            bool gridOut = VoxelTypes.Contains(outType), meshOut = MeshOutTypes.Contains(outType);
            if (!gridIn && !meshIn)
            {
                throw new UsageException($"IN {inPath}: unknown format (use {string.Join(", ", VoxelTypes.Concat(MeshInTypes))})");
            }
            if (!gridOut && !meshOut)
            {
                throw new UsageException($"OUT {outPath}: unknown format (use {string.Join(", ", VoxelTypes.Concat(MeshOutTypes))}; for pictures use 'gan3d render')");
            }
            CliFiles.RefuseOverwritingInputs([outPath], inPath);
            float t = CliFiles.CheckThreshold(parse.GetValue(threshold));
            int? r = parse.GetValue(resolution);
            if (r is { } rr)
            {
                CliFiles.RequireResolution(rr);
            }
            int? only = parse.GetValue(index);
            var upAxis = CliFiles.Up(parse.GetValue(up)!);

            if (meshIn)
            {
                var mesh = CliFiles.ReadMesh(inPath, parse.InvocationConfiguration.Error).WithUpAxis(upAxis);
                if (meshOut)
                {
                    MeshFile.Write(outPath, mesh);
                    o.WriteLine($"{inPath}: {mesh.VertexCount} vertices, {mesh.TriangleCount} triangles -> {outPath}");
                    return ExitCodes.Success;
                }
                var fillMode = parse.GetValue(fill) == "surface" ? VoxelFill.Surface : VoxelFill.Solid;
                var voxels = Voxelizer.Voxelize(mesh, r ?? 32, new VoxelizeOptions { Fill = fillMode });
                VoxelFile.Write(outPath, voxels);
                o.WriteLine($"{inPath}: voxelized at {voxels.Resolution}³, {voxels.CountOccupied()} voxels set -> {outPath}");
                return ExitCodes.Success;
            }

            var grids = VoxelFile.Read(inPath, t);
            bool singleIn = inType == ".binvox" || NpyFile.ReadHeader(inPath).Shape.Length == 3;
            if (only is { } i)
            {
                CliFiles.RequireIndex(i, grids.Count, inPath);
                grids = grids.Subset([i]);
            }
            else if (grids.Count != 1 && (meshOut || outType == ".binvox"))
            {
                throw new UsageException($"{inPath} holds {grids.Count} grids and {outPath} takes one: pick it with --index");
            }
            if (meshOut)
            {
                int which = only ?? 0;
                Mesh mesh;
                if (parse.GetValue(cubes))
                {
                    var grid = grids.GetGrid(0);
                    mesh = MarchingCubes.Cubes(r is { } size ? grid.Resample(size) : grid);
                }
                else if (r is { } size)
                {
                    mesh = MarchingCubes.Extract(grids.GetGrid(0).Resample(size), t);
                }
                else
                {
                    var (res, field) = VoxelFile.ReadField(inPath, which);
                    mesh = MarchingCubes.Extract(field, res, t);
                }
                if (mesh.TriangleCount == 0)
                {
                    throw new InvalidDataException(grids.GetGrid(0).CountOccupied() == 0
                        ? $"{inPath}: grid {which} is empty (nothing above {t}), so there is no surface to write"
                        : $"{inPath}: grid {which} has no surface at level {t} (no voxel is on the other side of it)");
                }
                MeshFile.Write(outPath, mesh);
                o.WriteLine($"{inPath}: grid {which} -> {mesh.VertexCount} vertices, {mesh.TriangleCount} triangles ({(parse.GetValue(cubes) ? "voxel cubes" : "marching cubes")}) -> {outPath}");
                return ExitCodes.Success;
            }
            if (r is { } target && target != grids.Resolution)
            {
                grids = grids.Resample(target);
            }
            if (grids.Count == 1 && (singleIn || only is not null))
            {
                VoxelFile.Write(outPath, grids.GetGrid(0));
            }
            else
            {
                VoxelFile.Write(outPath, grids);
            }
            o.WriteLine($"{inPath}: {grids.Count} grid{(grids.Count == 1 ? "" : "s")} at {grids.Resolution}³ -> {outPath}");
            return ExitCodes.Success;
        });
        return command;
    }
}
