using System.Text;
using Gan3D.Data;

namespace Gan3D.Tests.Data;

public class BinvoxFileTests
{
    private static byte[] Binvox(int dim, byte[] runs, string extra = "translate 0 0 0\nscale 1\n") =>
        Encoding.ASCII.GetBytes($"#binvox 1\ndim {dim} {dim} {dim}\n{extra}data\n").Concat(runs).ToArray();

    [Fact]
    public void FileOrderIsXThenZThenYAndMapsToGridXYZ()
    {
        // binvox_rw semantics: data index = x·D² + z·D + y (y fastest), read back as array[x][y][z].
        // One voxel at (x, y, z) = (1, 2, 3) in a 4³ file sits at 1·16 + 3·4 + 2 = 30.
        using var dir = new TempDir();
        string path = dir.Write("one.binvox", Binvox(4, [0, 30, 1, 1, 0, 33]));
        var data = BinvoxFile.Read(path);
        Assert.Equal(4, data.Grid.Resolution);
        Assert.Equal(1, data.Grid.CountOccupied());
        Assert.True(data.Grid[1, 2, 3]);
    }

    [Fact]
    public void RoundTripKeepsVoxelsAndNormalisation()
    {
        using var dir = new TempDir();
        var rng = new Random(5);
        foreach (int r in new[] { 1, 7, 32 })
        {
            var grid = new VoxelGrid(r);
            for (int n = 0; n < grid.Voxels.Length; n++)
            {
                // Long runs and short ones (runs over 255 must be split).
                grid.Voxels[n] = (byte)(n % 600 < 300 ? 1 : rng.Next(2));
            }
            string path = dir.File($"g{r}.binvox");
            BinvoxFile.Write(path, grid, [0.25f, -1.5f, 3f], 2.5f);
            var back = BinvoxFile.Read(path);
            Assert.True(grid.ContentEquals(back.Grid));
            Assert.Equal([0.25f, -1.5f, 3f], back.Translate);
            Assert.Equal(2.5f, back.Scale);
            Assert.StartsWith("#binvox 1\ndim " + r, Encoding.ASCII.GetString(File.ReadAllBytes(path)));
        }
    }

    [Fact]
    public void ModelNetBinvoxAndNpyAgree()
    {
        // A ModelNet grid written as binvox and read back is the same grid in the same axes, so a
        // chair's back stays at high j (the rear) and its seat below it.
        string npy = TestData.SharedPath("voxels/modelnet10/chair-train-32.npy.gz");
        var chairs = NpyFile.ReadVoxels(npy);
        using var dir = new TempDir();
        var grid = chairs.GetGrid(6);
        BinvoxFile.Write(dir.File("c.binvox"), grid);
        var back = BinvoxFile.Read(dir.File("c.binvox")).Grid;
        Assert.True(grid.ContentEquals(back));
        // The file order is y fastest: the first run covers y at x = 0, z = 0, not z.
        var transposed = new VoxelGrid(32);
        for (int i = 0; i < 32; i++) { for (int j = 0; j < 32; j++) { for (int k = 0; k < 32; k++) { transposed[i, j, k] = grid[i, k, j]; } } }
        Assert.False(transposed.ContentEquals(back));
    }

    [Fact]
    public void VersionTwoValuesAboveZeroAreOccupied()
    {
        using var dir = new TempDir();
        var bytes = Encoding.ASCII.GetBytes("#binvox 2\ndim 2 2 2\ndata\n").Concat(new byte[] { 0, 3, 200, 2, 0, 3 }).ToArray();
        var grid = BinvoxFile.Read(dir.Write("v2.binvox", bytes)).Grid;
        Assert.Equal(2, grid.CountOccupied());
        // File positions 3 and 4: (x, z, y) = (0, 1, 1) and (1, 0, 0).
        Assert.True(grid[0, 1, 1] && grid[1, 0, 0]);
    }
}
