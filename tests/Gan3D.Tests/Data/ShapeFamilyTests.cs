using Gan3D.Data;

namespace Gan3D.Tests.Data;

public class ShapeFamilyTests(ITestOutputHelper output)
{
    [Fact]
    public void AtLeastTheRequiredFamilies()
    {
        Assert.True(ShapeFamilies.Names.Count >= 6);
        Assert.Subset(ShapeFamilies.Names.ToHashSet(), new HashSet<string> { "chair", "table", "sofa", "lamp", "vase", "mug", "airplane" });
    }

    [Fact]
    public void DeterministicPerSeedAndDifferentAcrossSeeds()
    {
        foreach (string family in ShapeFamilies.Names)
        {
            var a = ShapeFamilies.Generate(family, 32, 7);
            var b = ShapeFamilies.Generate(family, 32, 7);
            Assert.True(a.ContentEquals(b), family);
            int distinct = Enumerable.Range(0, 6).Select(s => Convert.ToHexString(ShapeFamilies.Generate(family, 32, s).Voxels)).Distinct().Count();
            Assert.True(distinct >= 5, $"{family}: only {distinct} different shapes from 6 seeds");
        }
        // Seeds are per family: the same seed gives unrelated shapes in two families.
        Assert.False(ShapeFamilies.Generate("chair", 32, 1).ContentEquals(ShapeFamilies.Generate("table", 32, 1)));
        // Family names are case-insensitive; unknown ones are refused.
        Assert.True(ShapeFamilies.Generate("Chair", 16, 3).ContentEquals(ShapeFamilies.Generate("chair", 16, 3)));
        Assert.Throws<ArgumentException>(() => ShapeFamilies.Generate("spaceship", 16, 0));
    }

    [Theory]
    [InlineData(16)]
    [InlineData(32)]
    [InlineData(64)]
    public void EveryFamilyFillsTheCubeUprightAndCentred(int r)
    {
        foreach (string family in ShapeFamilies.Names)
        {
            for (int seed = 0; seed < (r == 64 ? 2 : 6); seed++)
            {
                var g = ShapeFamilies.Generate(family, r, seed);
                var b = g.OccupiedBounds();
                Assert.True(b is not null, $"{family} {seed} at {r}: empty");
                var (i0, j0, k0, i1, j1, k1) = b.Value;
                int[] extent = [i1 - i0 + 1, j1 - j0 + 1, k1 - k0 + 1];
                // The longest extent touches both faces, like binvox -cb.
                Assert.True(extent.Max() == r, $"{family} {seed} at {r}: extents {string.Join("×", extent)}");
                // Centred: the margins on each side differ by at most one voxel.
                Assert.True(Math.Abs(i0 - (r - 1 - i1)) <= 1 && Math.Abs(j0 - (r - 1 - j1)) <= 1 && Math.Abs(k0 - (r - 1 - k1)) <= 1, $"{family} {seed} at {r}: {b}");
                // Not a speck: thin parts are widened to a voxel, so every shape keeps some body.
                Assert.True(g.CountOccupied() > r, $"{family} {seed} at {r}: only {g.CountOccupied()} voxels");
            }
        }
    }

    [Fact]
    public void FamiliesAreDistinguishableByTheirMeanShapes()
    {
        var data = ShapeFamilies.CreateDataset(24, 24, 1);
        int v = data.VoxelsPerGrid;
        var means = new Dictionary<string, float[]>();
        var grid = new float[v];
        for (int n = 0; n < data.Count; n++)
        {
            string family = data.GetLabel(n)!;
            if (!means.TryGetValue(family, out var mean))
            {
                means[family] = mean = new float[v];
            }
            data.CopyTo(n, grid);
            for (int i = 0; i < v; i++) { mean[i] += grid[i] / 24; }
        }
        Assert.Equal(ShapeFamilies.Names, means.Keys);
        // Nearest-mean classification of fresh shapes (other seeds) is mostly right.
        var test = ShapeFamilies.CreateDataset(8, 24, 99);
        int right = 0;
        for (int n = 0; n < test.Count; n++)
        {
            test.CopyTo(n, grid);
            string best = means.MinBy(kv => kv.Value.Select((m, i) => (m - grid[i]) * (m - grid[i])).Sum()).Key;
            right += best == test.GetLabel(n) ? 1 : 0;
        }
        output.WriteLine($"nearest mean shape: {right}/{test.Count}");
        Assert.True(right > test.Count * 0.7, $"{right}/{test.Count}");
    }

    [Fact]
    public void ChairsHaveLegsTablesHaveTopsLampsAreTall()
    {
        // Family traits a wrong generator would miss, averaged over seeds at 32³.
        double chairFloor = 0, tableTop = 0, lampTall = 0;
        for (int s = 0; s < 10; s++)
        {
            var chair = ShapeFamilies.Generate("chair", 32, s);
            var b = chair.OccupiedBounds()!.Value;
            // The floor layer of a chair is mostly empty (legs, runners or a star base), its middle is the seat.
            chairFloor += Layer(chair, b.K0) / (double)Layer(chair, Max(chair));
            var table = ShapeFamilies.Generate("table", 32, s);
            var tb = table.OccupiedBounds()!.Value;
            tableTop += Layer(table, tb.K1) > Layer(table, tb.K0) ? 1 : 0;
            var lamp = ShapeFamilies.Generate("lamp", 32, s);
            var lb = lamp.OccupiedBounds()!.Value;
            lampTall += lb.K1 - lb.K0 + 1 >= Math.Max(lb.I1 - lb.I0 + 1, lb.J1 - lb.J0 + 1) ? 1 : 0;
        }
        Assert.True(chairFloor / 10 < 0.5, $"chair floor/seat ratio {chairFloor / 10:F2}");
        Assert.True(tableTop >= 9, $"{tableTop}/10 tables are wider at the top");
        Assert.True(lampTall >= 6, $"{lampTall}/10 lamps are taller than wide");
    }

    private static int Layer(VoxelGrid g, int k)
    {
        int n = 0;
        for (int i = 0; i < g.Resolution; i++) { for (int j = 0; j < g.Resolution; j++) { n += g[i, j, k] ? 1 : 0; } }
        return n;
    }

    private static int Max(VoxelGrid g) => Enumerable.Range(0, g.Resolution).MaxBy(k => Layer(g, k));

    [Fact]
    public void MixedDatasetCyclesTheFamiliesWithTheSameShapesAsPerFamilyDatasets()
    {
        // The default training set: shape n is family n mod 12, and the k-th shape of a family is the
        // one CreateDataset makes k-th for it (same seeds), however the parallel generation is scheduled.
        int families = ShapeFamilies.Names.Count;
        var mixed = ShapeFamilies.CreateMixedDataset(3 * families, 32, 5);
        var byFamily = ShapeFamilies.CreateDataset(3, 32, 5);
        Assert.Equal(ShapeFamilies.Names, mixed.ClassNames);
        for (int n = 0; n < mixed.Count; n++)
        {
            int family = n % families, k = n / families;
            Assert.Equal(family, mixed.ClassIndices[n]);
            Assert.Equal(byFamily.GetGrid(family * 3 + k).Voxels.ToArray(), mixed.GetGrid(n).Voxels.ToArray());
        }
        Assert.NotEqual(mixed.GetGrid(0).Voxels.ToArray(), mixed.GetGrid(families).Voxels.ToArray());
    }
}
