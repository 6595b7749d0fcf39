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
}
