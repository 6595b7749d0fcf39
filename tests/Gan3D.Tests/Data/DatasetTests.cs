using Gan3D.Data;

namespace Gan3D.Tests.Data;

public class DatasetTests
{
    private static VoxelGrid Grid(int r, params (int I, int J, int K)[] set)
    {
        var g = new VoxelGrid(r);
        foreach (var (i, j, k) in set) { g[i, j, k] = true; }
        return g;
    }

    [Fact]
    public void FillBatchWritesNcdhwInIndexOrderWithoutAllocating()
    {
        // R = 3 (27 voxels, not a multiple of 8) checks the bit packing's tail too.
        foreach (int r in new[] { 3, 4, 16 })
        {
            var grids = new[] { Grid(r, (0, 0, 1)), Grid(r, (r - 1, 0, 0), (0, r - 1, 0)), Grid(r, (r - 1, r - 1, r - 1)) };
            var data = VoxelDataset.FromGrids(grids, ["a", "b", "a"]);
            int v = r * r * r;
            var batch = new float[4 * v];
            data.FillBatch([2, 0, 1, 2], batch);
            long before = GC.GetAllocatedBytesForCurrentThread();
            data.FillBatch([2, 0, 1, 2], batch);
            Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
            // Batch item b, voxel (i, j, k) at b·R³ + (i·R + j)·R + k.
            Assert.Equal(1f, batch[0 * v + ((r - 1) * r + r - 1) * r + r - 1]);
            Assert.Equal(1f, batch[1 * v + 1]);
            Assert.Equal(1f, batch[2 * v + (r - 1) * r * r]);
            Assert.Equal(1f, batch[2 * v + (r - 1) * r]);
            Assert.Equal(5, batch.Sum());
            Assert.Equal(["a", "b"], data.ClassNames);
            Assert.Equal([0, 1, 0], data.ClassIndices);
        }
    }

    [Fact]
    public void FillBatchRefusesASmallBuffer()
    {
        var data = VoxelDataset.FromGrids([Grid(4)]);
        Assert.Throws<ArgumentException>(() => data.FillBatch([0, 0], new float[64 + 63]));
        Assert.Throws<ArgumentOutOfRangeException>(() => data.FillBatch([1], new float[64]));
    }

    [Fact]
    public void ResampleUpIsNearestDownIsMaxOrMajority()
    {
        var g = Grid(4, (1, 2, 3));
        var up = g.Resample(8);
        Assert.Equal(8, up.CountOccupied());
        Assert.True(up[2, 4, 6] && up[3, 5, 7] && !up[4, 4, 6]);
        var down = up.Resample(4);
        Assert.True(down.ContentEquals(g));
        // Max pooling keeps a single voxel; majority needs half of each 2×2×2 block.
        var thin = Grid(8, (0, 0, 0));
        Assert.Equal(1, thin.Resample(4).CountOccupied());
        Assert.Equal(0, thin.Resample(4, ResampleMode.Majority).CountOccupied());
        var half = Grid(8, (0, 0, 0), (0, 0, 1), (0, 1, 0), (0, 1, 1));
        Assert.Equal(1, half.Resample(4, ResampleMode.Majority).CountOccupied());
        // A dataset resamples every grid and keeps labels.
        var data = VoxelDataset.FromGrids([g, thin.Resample(4)], ["x", "y"]).Resample(8);
        Assert.Equal((2, 8), (data.Count, data.Resolution));
        Assert.Equal(["x", "y"], data.Labels);
        Assert.True(data.GetGrid(0).ContentEquals(up));
    }

    [Fact]
    public void LoadFolderLabelsSkipsEmptyAndRefusesMixedResolutions()
    {
        using var dir = new TempDir();
        Directory.CreateDirectory(dir.File("mugs"));
        VoxelDataset.FromGrids([Grid(8, (1, 1, 1)), new VoxelGrid(8), Grid(8, (2, 2, 2))]).SaveNpy(dir.File("cups-train-8.npy.gz"));
        VoxelFile.Write(dir.File("mugs/m1.binvox"), Grid(8, (3, 3, 3)));
        VoxelFile.Write(dir.File("mugs/m2.npy"), Grid(8, (4, 4, 4)));
        var logged = new List<string>();
        var data = VoxelDataset.Load(dir.Path, options: new VoxelLoadOptions { Log = logged.Add });
        Assert.Equal(4, data.Count);
        Assert.Equal(["cups", "cups", "mugs", "mugs"], data.Labels);
        Assert.Contains("cups-train-8.npy.gz: skipped 1 all-empty grid", Assert.Single(data.Warnings));
        Assert.Single(logged);
        Assert.True(data.GetGrid(2)[3, 3, 3]);

        var up = VoxelDataset.Load(dir.Path, 16);
        Assert.Equal((4, 16), (up.Count, up.Resolution));
        Assert.Equal(8, up.CountOccupied(0));

        VoxelFile.Write(dir.File("mugs/odd.npy"), Grid(6, (1, 1, 1)));
        var ex = Assert.Throws<InvalidDataException>(() => VoxelDataset.Load(dir.Path));
        Assert.StartsWith(dir.File("mugs/odd.npy") + ": grids are 6³", ex.Message);
    }

    [Fact]
    public void LoadMeshesVoxelizesOnceIntoTheCache()
    {
        using var dir = new TempDir();
        Directory.CreateDirectory(dir.File("data/box"));
        string mesh = dir.File("data/box/b_1.off");
        File.WriteAllText(mesh, "OFF\n8 6 0\n0 0 0\n2 0 0\n2 1 0\n0 1 0\n0 0 1\n2 0 1\n2 1 1\n0 1 1\n4 0 3 2 1\n4 4 5 6 7\n4 0 1 5 4\n4 2 3 7 6\n4 1 2 6 5\n4 0 4 7 3\n");
        var options = new VoxelLoadOptions { CacheDirectory = dir.File("cache") };
        var data = VoxelDataset.Load(dir.File("data"), 8, options);
        Assert.Equal((1, 8), (data.Count, data.Resolution));
        Assert.Equal("box", data.GetLabel(0));
        Assert.Equal(8 * 4 * 4, data.CountOccupied(0));
        var cached = Assert.Single(Directory.GetFiles(dir.File("cache")));
        Assert.EndsWith(".binvox", cached);
        // The cache is read back: a cached grid with a marker voxel comes out as is.
        var marked = data.GetGrid(0);
        marked[0, 0, 0] = true;
        BinvoxFile.Write(cached, marked);
        Assert.True(VoxelDataset.Load(dir.File("data"), 8, options).GetGrid(0)[0, 0, 0]);
        // Another resolution or a changed mesh is another cache entry.
        VoxelDataset.Load(dir.File("data"), 16, options);
        File.AppendAllText(mesh, "# edited\n");
        File.SetLastWriteTimeUtc(mesh, DateTime.UtcNow.AddMinutes(1));
        Assert.False(VoxelDataset.Load(dir.File("data"), 8, options).GetGrid(0)[0, 0, 0]);
        Assert.Equal(3, Directory.GetFiles(dir.File("cache")).Length);
    }

    [Fact]
    public void LoadProceduralAndSingleFiles()
    {
        var data = VoxelDataset.Load("procedural", 16, new VoxelLoadOptions { ProceduralCountPerFamily = 2, Families = ["vase", "car"], Seed = 3 });
        Assert.Equal(["vase", "vase", "car", "car"], data.Labels);
        Assert.True(data.GetGrid(1).ContentEquals(ShapeFamilies.CreateDataset(2, 16, 3, ["vase"]).GetGrid(1)));
        using var dir = new TempDir();
        data.SaveNpy(dir.File("four.npy"));
        var back = VoxelDataset.Load(dir.File("four.npy"));
        Assert.Equal(4, back.Count);
        Assert.Equal("four", back.GetLabel(0));
        Assert.Throws<FileNotFoundException>(() => VoxelDataset.Load(dir.File("missing.npy")));
        Assert.Throws<NotSupportedException>(() => VoxelDataset.Load(dir.Write("notes.txt", "hello")));
    }

    [Fact]
    public void AtomicWritesLeaveNoHalfFile()
    {
        using var dir = new TempDir();
        string path = dir.File("x.npy");
        NpyFile.WriteFloat32(path, [2], [1f, 2f]);
        var before = File.ReadAllBytes(path);
        Assert.Throws<IOException>(() => AtomicFile.Write(path, s =>
        {
            s.Write(new byte[1000]);
            throw new IOException("disk full");
        }));
        Assert.Equal(before, File.ReadAllBytes(path));
        Assert.Equal([path], Directory.GetFiles(dir.Path));
        AtomicFile.WriteAllText(dir.File("sub/t.txt"), "ok");
        Assert.Equal("ok", File.ReadAllText(dir.File("sub/t.txt")));
    }
}
