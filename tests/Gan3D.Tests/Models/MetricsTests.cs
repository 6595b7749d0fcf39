using Gan3D.Data;
using Gan3D.Models;

namespace Gan3D.Tests.Models;

public sealed class MetricsTests
{
    /// <summary>Axis-aligned boxes with random corners in an R³ grid: a simple shape distribution.</summary>
    private static VoxelDataset Boxes(int count, int r, int seed, int minSize = 2)
    {
        var rng = new Random(seed);
        var grids = new List<VoxelGrid>();
        for (int n = 0; n < count; n++)
        {
            var g = new VoxelGrid(r);
            int[] lo = new int[3], hi = new int[3];
            for (int a = 0; a < 3; a++)
            {
                int size = rng.Next(minSize, r / 2);
                lo[a] = rng.Next(0, r - size);
                hi[a] = lo[a] + size;
            }
            for (int i = lo[0]; i < hi[0]; i++)
            for (int j = lo[1]; j < hi[1]; j++)
            for (int k = lo[2]; k < hi[2]; k++)
            {
                g[i, j, k] = true;
            }
            grids.Add(g);
        }
        return VoxelDataset.FromGrids(grids);
    }

    private static VoxelDataset Single(int r, params (int I, int J, int K)[] voxels)
    {
        var g = new VoxelGrid(r);
        foreach (var (i, j, k) in voxels)
        {
            g[i, j, k] = true;
        }
        return VoxelDataset.FromGrids([g]);
    }

    [Fact]
    public void IouDistanceOfKnownOverlaps()
    {
        var a = ShapeSet.From(Single(8, (0, 0, 0), (0, 0, 1), (0, 1, 0)), ShapeDistance.Iou);
        var b = ShapeSet.From(Single(8, (0, 0, 0), (5, 5, 5)), ShapeDistance.Iou);
        var empty = ShapeSet.From(VoxelDataset.FromGrids([new VoxelGrid(8)]), ShapeDistance.Iou);
        Assert.Equal(1f - 1f / 4f, a.IouDistance(0, b, 0), 6); // 1 shared voxel of 4 in the union
        Assert.Equal(0f, a.IouDistance(0, a, 0));
        Assert.Equal(0f, empty.IouDistance(0, empty, 0));
        Assert.Equal(1f, empty.IouDistance(0, a, 0));
    }

    [Fact]
    public void ChamferMatchesBruteForceOnRandomShapes()
    {
        var data = Boxes(6, 12, seed: 4, minSize: 1);
        var set = ShapeSet.From(data, ShapeDistance.Chamfer);
        for (int a = 0; a < 6; a++)
        {
            for (int b = 0; b < 6; b++)
            {
                double expected = BruteChamfer(data.GetGrid(a), data.GetGrid(b));
                Assert.Equal(expected, set.ChamferDistance(a, set, b), 5);
            }
        }
        // Two single voxels 3 apart along one axis in a 10³ grid: (3/10)² each way.
        var p = ShapeSet.From(Single(10, (1, 2, 2)), ShapeDistance.Chamfer);
        var q = ShapeSet.From(Single(10, (4, 2, 2)), ShapeDistance.Chamfer);
        Assert.Equal(2 * 0.09, p.ChamferDistance(0, q, 0), 6);
    }

    private static double BruteChamfer(VoxelGrid a, VoxelGrid b)
    {
        static List<(int, int, int)> Surface(VoxelGrid g)
        {
            int r = g.Resolution;
            var s = new List<(int, int, int)>();
            for (int i = 0; i < r; i++)
            for (int j = 0; j < r; j++)
            for (int k = 0; k < r; k++)
            {
                if (!g[i, j, k])
                {
                    continue;
                }
                bool edge = i == 0 || j == 0 || k == 0 || i == r - 1 || j == r - 1 || k == r - 1
                    || !g[i - 1, j, k] || !g[i + 1, j, k] || !g[i, j - 1, k] || !g[i, j + 1, k] || !g[i, j, k - 1] || !g[i, j, k + 1];
                if (edge)
                {
                    s.Add((i, j, k));
                }
            }
            return s;
        }
        var sa = Surface(a);
        var sb = Surface(b);
        static double Mean(List<(int, int, int)> from, List<(int, int, int)> to) => from.Average(p => to.Min(t =>
            (double)(p.Item1 - t.Item1) * (p.Item1 - t.Item1) + (p.Item2 - t.Item2) * (p.Item2 - t.Item2) + (p.Item3 - t.Item3) * (p.Item3 - t.Item3)));
        double r2 = (double)a.Resolution * a.Resolution;
        return (Mean(sa, sb) + Mean(sb, sa)) / r2;
    }

    [Theory]
    [InlineData(ShapeDistance.Iou)]
    [InlineData(ShapeDistance.Chamfer)]
    public void ASetAgainstItsCopyHasZeroMmdFullCoverageAndZeroOneNna(ShapeDistance metric)
    {
        var data = Boxes(60, 16, seed: 1);
        var a = ShapeSet.From(data, metric);
        var b = ShapeSet.From(data, metric);
        var r = GenerationMetrics.Evaluate(a, b, metric);
        Assert.Equal(0, r.Mmd, 9);
        Assert.Equal(1, r.Coverage, 9);
        Assert.Equal(0, r.OneNna, 9);
    }

    [Fact]
    public void IndependentDrawsOfOneDistributionGiveOneNnaNearHalf()
    {
        var a = ShapeSet.From(Boxes(300, 16, seed: 2), ShapeDistance.Iou);
        var b = ShapeSet.From(Boxes(300, 16, seed: 3), ShapeDistance.Iou);
        var r = GenerationMetrics.Evaluate(a, b, ShapeDistance.Iou);
        Assert.InRange(r.OneNna, 0.40, 0.60); // ±4 standard errors of a 600-shape estimate
        Assert.InRange(r.Coverage, 0.3, 0.9);
        Assert.True(r.Mmd > 0);
    }

    [Fact]
    public void WellSeparatedSetsGiveOneNnaOfOneAndLowCoverage()
    {
        // Small boxes in one corner against large boxes: every nearest neighbour is in the own set.
        var small = Boxes(80, 16, seed: 5, minSize: 2).Resample(16);
        var shifted = VoxelDataset.FromGrids(Enumerable.Range(0, 80).Select(n =>
        {
            var g = new VoxelGrid(16);
            for (int i = 8; i < 16; i++)
            for (int j = 8; j < 16; j++)
            for (int k = 0; k < 16; k++)
            {
                g[i, j, k] = k < 8 + n % 8;
            }
            return g;
        }).ToList());
        var a = ShapeSet.From(small, ShapeDistance.Iou);
        var b = ShapeSet.From(shifted, ShapeDistance.Iou);
        var r = GenerationMetrics.Evaluate(a, b, ShapeDistance.Iou);
        Assert.True(r.OneNna > 0.97, $"1-NNA {r.OneNna}");
    }

    [Fact]
    public void CoverageByClassSaysWhichClassOfTheReferenceTheSamplesDrop()
    {
        var small = Boxes(30, 16, seed: 11);
        var large = VoxelDataset.FromGrids(Enumerable.Range(0, 20).Select(n =>
        {
            var g = new VoxelGrid(16);
            for (int i = 4; i < 16; i++)
            for (int j = 2; j < 14; j++)
            for (int k = 0; k < 6 + (n % 10); k++)
            {
                g[i, j, k] = true;
            }
            return g;
        }).ToList());
        var reference = VoxelDataset.Concat([(small, "small"), (large, "large")]);
        var refSet = ShapeSet.From(reference, ShapeDistance.Iou);

        // Copies of 10 of the small references: every one is its own nearest, and no large one is covered.
        var copies = ShapeSet.From(VoxelDataset.FromGrids(Enumerable.Range(0, 10).Select(i => small.GetGrid(3 * i)).ToList()), ShapeDistance.Iou);
        var byClass = GenerationMetrics.CoverageByClass(GenerationMetrics.Evaluate(copies, refSet, ShapeDistance.Iou), reference.ClassIndices, reference.ClassNames);
        Assert.Equal(["small", "large"], byClass.Select(c => c.Name));
        Assert.Equal((30, 10 / 30.0, 10), (byClass[0].References, byClass[0].Coverage, byClass[0].Samples));
        Assert.Equal((20, 0.0, 0), (byClass[1].References, byClass[1].Coverage, byClass[1].Samples));

        // Other shapes: the split must add up to the report's COV and agree with a brute-force nearest reference.
        var samples = ShapeSet.From(Boxes(25, 16, seed: 12), ShapeDistance.Iou);
        var report = GenerationMetrics.Evaluate(samples, refSet, ShapeDistance.Iou);
        var split = GenerationMetrics.CoverageByClass(report, reference.ClassIndices, reference.ClassNames);
        var nearest = Enumerable.Range(0, 25).Select(i => Enumerable.Range(0, 50).MinBy(j => (samples.IouDistance(i, refSet, j), j))).ToArray();
        Assert.Equal(nearest, report.NearestReference);
        Assert.Equal(nearest.Count(j => j < 30), split[0].Samples);
        Assert.Equal(nearest.Where(j => j >= 30).Distinct().Count() / 20.0, split[1].Coverage, 12);
        Assert.Equal(report.Coverage, split.Sum(c => c.Coverage * c.References) / 50, 12);
        Assert.All(split, c => Assert.True(double.IsNaN(c.MeanSpecks), "no speck counts given: no mean"));

        // With each sample's specks, a class's mean is over the samples nearest to it; a class with none has no mean.
        var specks = Enumerable.Range(0, 25).Select(i => i % 4 * (i % 3)).ToArray();
        var withSpecks = GenerationMetrics.CoverageByClass(report, reference.ClassIndices, reference.ClassNames, specks);
        for (int c = 0; c < 2; c++)
        {
            var mine = Enumerable.Range(0, 25).Where(i => (nearest[i] < 30) == (c == 0)).Select(i => (double)specks[i]).ToArray();
            Assert.Equal(mine.Length, withSpecks[c].Samples);
            if (mine.Length == 0)
            {
                Assert.True(double.IsNaN(withSpecks[c].MeanSpecks));
            }
            else
            {
                Assert.Equal(mine.Average(), withSpecks[c].MeanSpecks, 12);
            }
        }
        Assert.True(double.IsNaN(GenerationMetrics.CoverageByClass(GenerationMetrics.Evaluate(copies, refSet, ShapeDistance.Iou), reference.ClassIndices,
            reference.ClassNames, new int[10])[1].MeanSpecks), "the large class has no sample");
        Assert.Contains("24 speck counts for 25 samples",
            Assert.Throws<ArgumentException>(() => GenerationMetrics.CoverageByClass(report, reference.ClassIndices, reference.ClassNames, new int[24])).Message);
    }

    [Fact]
    public void MemorisationFindsTheCopies()
    {
        var train = Boxes(40, 16, seed: 8);
        var samples = VoxelDataset.FromGrids([train.GetGrid(7), train.GetGrid(21), Boxes(1, 16, seed: 99).GetGrid(0)]);
        var m = GenerationMetrics.Memorisation(ShapeSet.From(samples, ShapeDistance.Iou), ShapeSet.From(train, ShapeDistance.Iou), ShapeDistance.Iou, 0.1f);
        Assert.Equal(7, m.NearestIndex[0]);
        Assert.Equal(21, m.NearestIndex[1]);
        Assert.Equal(0f, m.NearestDistance[0]);
        Assert.True(m.NearCopies >= 2);
    }

    [Fact]
    public void ThousandByThousandIouPairsRunInSeconds()
    {
        // Not a timing assertion: the size that must stay practical runs here as a smoke test of the packed path.
        var a = ShapeSet.From(Boxes(300, 32, seed: 6), ShapeDistance.Iou);
        var d = GenerationMetrics.Pairwise(a, a, ShapeDistance.Iou, symmetric: true);
        Assert.Equal(0f, d[5 * 300 + 5]);
        Assert.Equal(d[3 * 300 + 17], d[17 * 300 + 3]);
    }
}
