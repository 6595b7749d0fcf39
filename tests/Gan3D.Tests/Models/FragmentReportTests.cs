using Gan3D.Data;
using Gan3D.Models;

namespace Gan3D.Tests.Models;

public sealed class FragmentReportTests
{
    /// <summary>
    /// Reference: union–find over every pair of occupied voxels at Chebyshev distance 1 (no neighbour
    /// table, no traversal order), returning the part sizes sorted.
    /// </summary>
    private static int[] PartSizesByUnionFind(VoxelGrid g)
    {
        int r = g.Resolution;
        var cells = new List<(int I, int J, int K)>();
        for (int i = 0; i < r; i++)
        for (int j = 0; j < r; j++)
        for (int k = 0; k < r; k++)
        {
            if (g[i, j, k])
            {
                cells.Add((i, j, k));
            }
        }
        var parent = Enumerable.Range(0, cells.Count).ToArray();
        int Find(int a) => parent[a] == a ? a : parent[a] = Find(parent[a]);
        for (int a = 0; a < cells.Count; a++)
        {
            for (int b = a + 1; b < cells.Count; b++)
            {
                var (p, q) = (cells[a], cells[b]);
                if (Math.Abs(p.I - q.I) <= 1 && Math.Abs(p.J - q.J) <= 1 && Math.Abs(p.K - q.K) <= 1)
                {
                    parent[Find(a)] = Find(b);
                }
            }
        }
        return Enumerable.Range(0, cells.Count).GroupBy(Find).Select(x => x.Count()).Order().ToArray();
    }

    private static int[] PartSizes(VoxelGrid g)
    {
        var data = VoxelDataset.FromGrids([g]);
        var bytes = new byte[data.VoxelsPerGrid];
        data.CopyTo(0, bytes);
        int n = data.VoxelsPerGrid;
        return FragmentReport.PartSizes(bytes, g.Resolution, new int[n], new int[n]).Order().ToArray();
    }

    private static VoxelGrid Random(int r, double density, int seed)
    {
        var rng = new Random(seed);
        var g = new VoxelGrid(r);
        for (int i = 0; i < r; i++)
        for (int j = 0; j < r; j++)
        for (int k = 0; k < r; k++)
        {
            g[i, j, k] = rng.NextDouble() < density;
        }
        return g;
    }

    [Fact]
    public void PartsMatchUnionFindOnRandomGrids()
    {
        // Sparse to dense, odd sizes: many small parts, then few large ones that touch the faces.
        foreach (var (r, density, seed) in new[] { (5, 0.1, 1), (7, 0.05, 2), (7, 0.15, 3), (9, 0.2, 4), (6, 0.5, 5) })
        {
            var g = Random(r, density, seed);
            Assert.Equal(PartSizesByUnionFind(g), PartSizes(g));
        }
    }

    [Fact]
    public void VoxelsTouchingAtACornerAreOnePart()
    {
        // Face-only (6-)connectivity would split this diagonal into four parts.
        var g = new VoxelGrid(6);
        for (int i = 0; i < 4; i++)
        {
            g[i, i, i] = true;
        }
        g[5, 0, 5] = true;
        Assert.Equal([1, 4], PartSizes(g));
    }

    [Fact]
    public void TheReportCountsPartsSpecksAndTheShareOutsideTheLargest()
    {
        var solid = new VoxelGrid(8); // one 3×3×3 block: 1 part, no speck
        var flecked = new VoxelGrid(8); // a 2×2×3 block (12 voxels), a 4-voxel speck and a 1-voxel speck
        var empty = new VoxelGrid(8); // no part at all: counted in the medians and specks, not in the share
        for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++)
        for (int k = 0; k < 3; k++)
        {
            solid[i, j, k] = true;
            flecked[i, j, k] = i < 2 && j < 2;
        }
        for (int k = 0; k < 4; k++)
        {
            flecked[6, 6, k] = true;
        }
        flecked[6, 0, 7] = true;
        Assert.Equal([1, 4, 12], PartSizesByUnionFind(flecked));

        var report = FragmentReport.Measure(VoxelDataset.FromGrids([solid, flecked, empty]));
        Assert.Equal(3, report.Shapes);
        Assert.Equal(1, report.MedianParts); // parts 0, 1, 3
        Assert.Equal(2 / 3.0, report.MeanSpecks, 12);
        Assert.Equal([0, 2, 0], report.SpecksOfEachShape); // the flecked grid's parts of 1 and 4 voxels
        Assert.Equal(2 / 3.0, report.SpeckFreeShare, 12); // the solid block and the empty grid
        Assert.Equal((0 + 5 / 17.0) / 2, report.OutsideLargestShare, 12);
    }

    [Fact]
    public void DroppingSmallPartsEmptiesExactlyTheVoxelsOfPartsThatSmall()
    {
        // Probabilities on both sides of the threshold (and exactly at it, which is empty), in sparse and dense grids.
        // References: the parts' count from the union–find above, and each occupied voxel's part grown naively.
        const float threshold = 0.4f;
        long total = 0;
        foreach (var (r, density, seed, maxVoxels) in new[] { (6, 0.1, 11, 1), (7, 0.15, 12, 4), (8, 0.2, 13, 3), (6, 0.45, 14, 10) })
        {
            var rng = new Random(seed);
            int vox = r * r * r;
            var probabilities = new float[2 * vox];
            for (int v = 0; v < probabilities.Length; v++)
            {
                double u = rng.NextDouble();
                probabilities[v] = u < density ? 0.41f + (float)(0.59 * rng.NextDouble()) : u < density + 0.05 ? threshold : (float)(threshold * rng.NextDouble());
            }
            var expected = (float[])probabilities.Clone();
            long expectedParts = 0;
            for (int shape = 0; shape < 2; shape++)
            {
                var g = new VoxelGrid(r);
                var cells = new List<int>();
                for (int v = 0; v < vox; v++)
                {
                    if (probabilities[(shape * vox) + v] > threshold)
                    {
                        g[v / (r * r), v / r % r, v % r] = true;
                        cells.Add(v);
                    }
                }
                var sizes = PartSizesByUnionFind(g);
                expectedParts += sizes.Count(s => s <= maxVoxels);
                foreach (int v in cells)
                {
                    int size = PartSizeOf(g, v, r);
                    if (size <= maxVoxels)
                    {
                        expected[(shape * vox) + v] = 0f;
                    }
                }
            }
            long dropped = SmallParts.Drop(probabilities, 2, r, threshold, maxVoxels);
            Assert.Equal(expectedParts, dropped);
            Assert.Equal(expected, probabilities);
            total += dropped;
        }
        Assert.True(total > 0, "the cases should drop some parts");
    }

    /// <summary>The size of voxel <paramref name="v"/>'s part, grown naively: sweeps over the grid until no occupied voxel within Chebyshev distance 1 of the part joins it.</summary>
    private static int PartSizeOf(VoxelGrid g, int v, int r)
    {
        var inPart = new bool[r * r * r];
        inPart[v] = true;
        bool grew = true;
        while (grew)
        {
            grew = false;
            for (int a = 0; a < inPart.Length; a++)
            {
                if (inPart[a] || !g[a / (r * r), a / r % r, a % r])
                {
                    continue;
                }
                for (int b = 0; b < inPart.Length && !inPart[a]; b++)
                {
                    if (inPart[b] && Math.Abs((a / (r * r)) - (b / (r * r))) <= 1 && Math.Abs((a / r % r) - (b / r % r)) <= 1 && Math.Abs((a % r) - (b % r)) <= 1)
                    {
                        inPart[a] = grew = true;
                    }
                }
            }
        }
        return inPart.Count(x => x);
    }

    [Fact]
    public void DroppingKeepsPartsAboveTheSizeAndZeroIsOff()
    {
        var probabilities = new float[8 * 8 * 8];
        for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++)
        for (int k = 0; k < 3; k++)
        {
            probabilities[(i * 64) + (j * 8) + k] = 0.9f; // one 27-voxel part
        }
        probabilities[(7 * 64) + (7 * 8) + 7] = 0.8f; // one speck
        var before = (float[])probabilities.Clone();
        Assert.Equal(0, SmallParts.Drop(probabilities, 1, 8, 0.5f, 0));
        Assert.Equal(before, probabilities);
        Assert.Equal(1, SmallParts.Drop(probabilities, 1, 8, 0.5f, 26)); // the speck goes, the block one voxel above the size stays
        before[(7 * 64) + (7 * 8) + 7] = 0f;
        Assert.Equal(before, probabilities);
        Assert.Throws<ArgumentException>(() => SmallParts.Drop(probabilities, 2, 8, 0.5f, 4));
    }
}
