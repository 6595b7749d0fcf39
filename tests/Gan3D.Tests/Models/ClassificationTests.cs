using Gan3D.Data;
using Gan3D.Models;
using Gan3D.Tensors;

namespace Gan3D.Tests.Models;

public sealed class ClassificationTests
{
    /// <summary>Gaussian blobs per class in d dimensions: class c centred at separation·e_c, unit noise.</summary>
    private static (float[] X, int[] Y) Blobs(int perClass, int classes, int d, double separation, int seed)
    {
        var rng = new Random(seed);
        var x = new float[perClass * classes * d];
        var y = new int[perClass * classes];
        for (int n = 0; n < y.Length; n++)
        {
            int c = n % classes;
            y[n] = c;
            for (int j = 0; j < d; j++)
            {
                double u1 = 1 - rng.NextDouble(), u2 = rng.NextDouble();
                double g = Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
                x[n * d + j] = (float)(g + (j == c ? separation : 0));
            }
        }
        return (x, y);
    }

    [Fact]
    public void SeparableClassesAreLearnedPerfectly()
    {
        var (x, y) = Blobs(40, 3, 10, separation: 8, seed: 1);
        var (xt, yt) = Blobs(30, 3, 10, separation: 8, seed: 2);
        var r = Classification.TrainTest(x, y, xt, yt, 10, ["a", "b", "c"], seed: 3);
        Assert.Equal(1.0, r.Accuracy);
        Assert.Equal(30, r.Confusion[1][1]);
        Assert.All(r.PerClass.Values, v => Assert.Equal(1.0, v));
    }

    [Fact]
    public void OverlappingClassesScoreBetweenChanceAndPerfect()
    {
        var (x, y) = Blobs(60, 4, 12, separation: 1.5, seed: 4);
        var r = Classification.CrossValidate(x, y, 12, ["a", "b", "c", "d"], folds: 5, seed: 5);
        Assert.InRange(r.Accuracy, 0.4, 0.95);
        Assert.Equal(240, r.Confusion.Sum(row => row.Sum()));
    }

    [Fact]
    public void LogisticRegressionReachesTheBayesBoundaryOnTwoGaussians()
    {
        // Two 1-D Gaussians at ±1 with equal variance: the optimal boundary is x = 0.
        var (x, y) = Blobs(400, 2, 2, separation: 2, seed: 6);
        var model = LogisticRegression.Fit(x, 2, y, 2, lambda: 1e-4);
        var pred = model.Predict([5f, 0f, 0f, 5f, 0.2f, 0f]);
        Assert.Equal([0, 1, 0], pred);
    }

    [Fact]
    public void StratifiedFoldsKeepClassProportions()
    {
        int[] y = [.. Enumerable.Repeat(0, 50), .. Enumerable.Repeat(1, 10)];
        var fold = Classification.StratifiedFolds(y, 2, 5, seed: 1);
        for (int k = 0; k < 5; k++)
        {
            Assert.Equal(10, Enumerable.Range(0, 60).Count(i => fold[i] == k && y[i] == 0));
            Assert.Equal(2, Enumerable.Range(0, 60).Count(i => fold[i] == k && y[i] == 1));
        }
    }

    [Fact]
    public void FeatureShapesFollowTheFormula()
    {
        Assert.Equal(8 * (64 + 128 + 256), FeatureExtractor.FeatureCount(new GanArchitecture(32, 1)));
        Assert.Equal(8 * (128 + 256 + 512), FeatureExtractor.FeatureCount(new GanArchitecture(64, 1)));
        Assert.Equal(8 * (32 + 64 + 128), FeatureExtractor.FeatureCount(new GanArchitecture(32, 0.5)));
        var arch = new GanArchitecture(32, 1.0 / 16, 8);
        using var be = new CpuBackend(threads: 2);
        using var d = new Discriminator3D(arch, be, new Rng(1));
        var data = ShapeFamilies.CreateMixedDataset(5, 32, seed: 2);
        var f = FeatureExtractor.Extract(d, data, batchSize: 2);
        int count = FeatureExtractor.FeatureCount(arch);
        Assert.Equal(5 * count, f.Length);
        // The first feature of shape 3 is the max over the first 8³ block of stage 0, channel 0.
        using var noGrad = Autograd.NoGrad();
        d.Eval();
        var one = new float[32 * 32 * 32];
        data.CopyTo(3, one);
        var stage0 = d.StageActivations(Tensor.FromArray(one, new Shape(1, 1, 32, 32, 32), be))[0].ToArray();
        float max = float.NegativeInfinity;
        for (int i = 0; i < 8; i++)
        for (int j = 0; j < 8; j++)
        for (int k = 0; k < 8; k++)
        {
            max = Math.Max(max, stage0[(i * 16 + j) * 16 + k]);
        }
        Assert.Equal(max, f[3 * count], 5);
    }

    [Fact]
    public void PooledVoxelsMarkOccupiedBlocks()
    {
        var g = new VoxelGrid(16);
        g[15, 0, 3] = true;
        var f = FeatureExtractor.PooledVoxels(VoxelDataset.FromGrids([g]));
        Assert.Equal(512, f.Length);
        Assert.Equal(1f, f[(7 * 8 + 0) * 8 + 1]);
        Assert.Equal(1f, f.Sum());
    }
}
