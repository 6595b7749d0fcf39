using Gan3D.Data;

namespace Gan3D.Tests.Data;

/// <summary>The four data commands end to end, in-process.</summary>
public class CliDataCommandTests
{
    [Fact]
    public void ShapesWritesNpyAndMontage()
    {
        using var dir = new TempDir();
        var (code, output, err) = Cli.Run("shapes", "--family", "lamp", "--count", "3", "--resolution", "24", "--seed", "9", "--out", dir.File("lamps.npy.gz"));
        Assert.Equal(0, code);
        Assert.Empty(err);
        Assert.Contains("3 shapes (lamp), 24³, seed 9", output);
        var lamps = VoxelFile.Read(dir.File("lamps.npy.gz"));
        Assert.Equal((3, 24), (lamps.Count, lamps.Resolution));
        Assert.True(lamps.GetGrid(2).ContentEquals(ShapeFamilies.CreateDataset(3, 24, 9, ["lamp"]).GetGrid(2)));

        (code, _, err) = Cli.Run("shapes", "--count", "1", "--out", dir.File("all.png"));
        Assert.Equal(0, code);
        var (format, width, height) = ImageFile.ReadHeader(dir.File("all.png"));
        // One shape per family, six tiles of 160 px a row with 2 px gaps, a caption strip under each.
        Assert.Equal(("png", 6 * 162 + 2), (format, width));
        Assert.True(height > ShapeFamilies.Names.Count / 6 * 162);
    }

    [Fact]
    public void VoxelizeEveryOutputFormat()
    {
        using var dir = new TempDir();
        MeshFile.Write(dir.File("box.obj"), TestData.Box(new(0, 0, 0), new(2, 1, 1)));
        foreach (string name in new[] { "b.npy", "b.npy.gz", "b.binvox", "b.png" })
        {
            var (code, output, err) = Cli.Run("voxelize", dir.File("box.obj"), "--resolution", "8", "--out", dir.File(name));
            Assert.Equal(0, code);
            Assert.Empty(err);
            Assert.Contains("8³ grid, 128 voxels set", output);
        }
        Assert.Equal([8L, 8, 8], NpyFile.ReadHeader(dir.File("b.npy")).Shape);
        Assert.True(VoxelFile.Read(dir.File("b.npy")).GetGrid(0).ContentEquals(BinvoxFile.Read(dir.File("b.binvox")).Grid));
        // The binvox header records the normalisation: voxel v maps to v/8·scale + translate = the mesh's coordinates.
        var bv = BinvoxFile.Read(dir.File("b.binvox"));
        Assert.Equal(2f, bv.Scale, 5);
        Assert.Equal([0f, -0.5f, -0.5f], bv.Translate);
        var (surfaceCode, surfaceOut, _) = Cli.Run("voxelize", dir.File("box.obj"), "-r", "8", "--fill", "surface", "--up", "y", "-o", dir.File("s.npy"));
        Assert.Equal(0, surfaceCode);
        // An 8×4×4 box: its shell is 128 − 6·2·2 voxels.
        Assert.Contains("8³ grid, 104 voxels set", surfaceOut);
    }

    [Fact]
    public void RenderOneGridAMontageAndAnIndex()
    {
        using var dir = new TempDir();
        ShapeFamilies.CreateDataset(3, 16, 0, ["chair", "table"]).SaveNpy(dir.File("six.npy"));
        var (code, output, _) = Cli.Run("render", dir.File("six.npy"), "--out", dir.File("m.png"), "--columns", "2", "--size", "64");
        Assert.Equal(0, code);
        Assert.Contains("grids 0..5 of 6", output);
        Assert.Equal(("png", 2 * 66 + 2, 3 * 66 + 2), ImageFile.ReadHeader(dir.File("m.png")));
        (code, output, _) = Cli.Run("render", dir.File("six.npy"), "--index", "4", "--out", dir.File("one.png"));
        Assert.Equal(0, code);
        Assert.Contains("grid 4", output);
        Assert.Equal(("png", 256, 256), ImageFile.ReadHeader(dir.File("one.png")));
        var (bad, _, err) = Cli.Run("render", dir.File("six.npy"), "--index", "6", "--out", dir.File("x.png"));
        Assert.Equal(2, bad);
        Assert.Equal($"gan3d: error: --index 6 is out of range: {dir.File("six.npy")} holds 6 grids (0..5)", Assert.Single(err));
    }

    [Fact]
    public void ConvertBetweenGridsAndMeshes()
    {
        using var dir = new TempDir();
        var probabilities = ShapeFamilies.Generate("vase", 20, 2).ToFloats().Select(v => v * 0.8f + 0.1f).ToArray();
        NpyFile.WriteFloat32(dir.File("g.npy"), [2, 1, 20, 20, 20], [.. probabilities, .. probabilities]);

        var (code, _, err) = Cli.Run("convert", dir.File("g.npy"), dir.File("g.obj"));
        Assert.Equal(2, code);
        Assert.Contains("--index", Assert.Single(err));

        Assert.Equal(0, Cli.Run("convert", dir.File("g.npy"), dir.File("g.obj"), "--index", "1").Code);
        var smooth = MeshFile.Read(dir.File("g.obj"));
        var (uses, _) = TestData.EdgeUse(smooth);
        Assert.All(uses.Values, n => Assert.Equal(2, n));
        Assert.Equal(0, Cli.Run("convert", dir.File("g.npy"), dir.File("g.ply"), "--index", "0", "--cubes").Code);
        var blocks = MeshFile.Read(dir.File("g.ply"));
        Assert.Equal(ShapeFamilies.Generate("vase", 20, 2).CountOccupied() / 8000.0, blocks.SignedVolume(), 5);

        // Grid formats: a batch to .npy.gz keeps the batch; one grid to binvox, resampled.
        Assert.Equal(0, Cli.Run("convert", dir.File("g.npy"), dir.File("g.npy.gz")).Code);
        Assert.Equal(2, VoxelFile.Read(dir.File("g.npy.gz")).Count);
        Assert.Equal(0, Cli.Run("convert", dir.File("g.npy"), dir.File("g.binvox"), "--index", "1", "--resolution", "40").Code);
        var big = BinvoxFile.Read(dir.File("g.binvox")).Grid;
        Assert.Equal(40, big.Resolution);
        Assert.Equal(ShapeFamilies.Generate("vase", 20, 2).CountOccupied() * 8, big.CountOccupied());

        // Meshes: to another mesh format, or voxelized to a grid.
        Assert.Equal(0, Cli.Run("convert", dir.File("g.ply"), dir.File("again.obj")).Code);
        Assert.Equal(blocks.TriangleCount, MeshFile.Read(dir.File("again.obj")).TriangleCount);
        Assert.Equal(0, Cli.Run("convert", dir.File("g.ply"), dir.File("back.npy"), "--resolution", "20").Code);
        Assert.True(VoxelFile.Read(dir.File("back.npy")).CountOccupied(0) > 0);
    }

    [Fact]
    public void HelpExplainsTheCommands()
    {
        foreach (string command in new[] { "voxelize", "render", "convert", "shapes" })
        {
            var (code, output, _) = Cli.Run(command, "--help");
            Assert.Equal(0, code);
            Assert.Contains("Example", output);
            Assert.Contains(command == "convert" ? "<OUT>" : "--out", output, StringComparison.Ordinal);
        }
    }
}
