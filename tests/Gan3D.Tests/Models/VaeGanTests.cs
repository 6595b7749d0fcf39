using Gan3D.Data;
using Gan3D.Models;
using Gan3D.Tensors;
using Gan3D.Tests.Engine;

namespace Gan3D.Tests.Models;

public sealed class VaeGanTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("gan3d-vae-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>A tiny 32³ VAE-GAN: G 16-8-4-1, D 4-8-16-1, z of 8, 16×16 grey images (E 4-8).</summary>
    internal static VaeGanTrainingOptions Tiny(float klWeight = 5f, float reconWeight = 1e-4f) => new()
    {
        Architecture = new GanArchitecture(32, 1.0 / 16, LatentDim: 8),
        BatchSize = 4,
        ImageSize = 16,
        KlWeight = klWeight,
        ReconstructionWeight = reconWeight,
        Seed = 11,
    };

    private static readonly VoxelDataset Shapes = ShapeFamilies.CreateMixedDataset(12, 32, seed: 5);

    private static float[] Flat(Gan3D.Nn.Module m) => m.Parameters().SelectMany(p => p.ToArray()).ToArray();

    [Fact]
    public void ReparameterisationGradientsMatchFiniteDifferences()
    {
        var rng = new Random(3);
        var be = CpuBackend.Default;
        double[] mu = TestSupport.RandomArray(rng, 6), logVar = TestSupport.RandomArray(rng, 6, -2, 1), eps = TestSupport.RandomArray(rng, 6, -2, 2);
        GradCheck.Check("reparameterize", be, t => ImageEncoder.Reparameterize(t[0], t[1], t[2]),
            [mu, logVar, eps], [[2, 3], [2, 3], [2, 3]], eps: 1e-2, tol: 1e-2, differentiable: [true, true, false]);

        // The closed form: dz/dμ = 1 and dz/d log σ² = ½ exp(½ log σ²) ε, checked elementwise in float64.
        var m = TestSupport.Param(be, mu, 2, 3);
        var lv = TestSupport.Param(be, logVar, 2, 3);
        Ops.Sum(ImageEncoder.Reparameterize(m, lv, TestSupport.Make(be, eps, 2, 3))).Backward();
        TestSupport.AssertClose("dz/dμ", Enumerable.Repeat(1.0, 6).ToArray(), m.Grad!.ToArray());
        var rounded = TestSupport.Rounded(logVar);
        var roundedEps = TestSupport.Rounded(eps);
        TestSupport.AssertClose("dz/dlogvar", rounded.Select((v, i) => 0.5 * Math.Exp(0.5 * v) * roundedEps[i]).ToArray(), lv.Grad!.ToArray());
    }

    [Fact]
    public void KlOfTheEncoderOutputMatchesFloat64AndFiniteDifferences()
    {
        // The VAE objective's two halves as the trainer wires them: KL(μ, log σ²) plus a loss on the reparameterised z.
        var rng = new Random(8);
        var be = CpuBackend.Default;
        double[] mu = TestSupport.RandomArray(rng, 8), logVar = TestSupport.RandomArray(rng, 8, -1.5, 1), eps = TestSupport.RandomArray(rng, 8, -2, 2);
        GradCheck.Check("kl + |z|²", be, t => Ops.Add(Ops.KlDivergenceStandardNormal(t[0], t[1]),
                Ops.Sum(Ops.Square(ImageEncoder.Reparameterize(t[0], t[1], t[2])))),
            [mu, logVar, eps], [[2, 4], [2, 4], [2, 4]], eps: 1e-2, tol: 1e-2, differentiable: [true, true, false]);

        // Value: −½ Σ (1 + lv − μ² − e^lv) summed over z, averaged over the batch of 2.
        double expected = 0;
        var rm = TestSupport.Rounded(mu);
        var rl = TestSupport.Rounded(logVar);
        for (int i = 0; i < 8; i++)
        {
            expected += -0.5 * (1 + rl[i] - rm[i] * rm[i] - Math.Exp(rl[i]));
        }
        expected /= 2;
        float kl = Ops.KlDivergenceStandardNormal(TestSupport.Make(be, mu, 2, 4), TestSupport.Make(be, logVar, 2, 4)).Item();
        Assert.Equal(expected, kl, 4);
    }

    [Fact]
    public void EncoderMapsImagesToMeanAndLogVarianceWithGradientsToTheInput()
    {
        using var be = new CpuBackend(threads: 1);
        var arch = new EncoderArchitecture(16, 3, 1.0 / 16, 5);
        Assert.Equal([4, 8], arch.ConvChannels);
        var e = new ImageEncoder(arch, be, new Rng(2));
        var rng = new Random(4);
        // In eval mode (running statistics) the encoder is a fixed function of the image: check d/d image.
        e.Eval();
        GradCheck.Check("encoder μ", be, t => e.Encode(t[0]).Mu, [TestSupport.RandomArray(rng, 2 * 3 * 16 * 16, 0, 1)], [[2, 3, 16, 16]],
            eps: 1e-2, tol: 3e-2);
        var (mu, logVar) = e.Encode(Tensor.Zeros(new Shape(3, 3, 16, 16), be));
        Assert.Equal(new Shape(3, 5), mu.Shape);
        Assert.Equal(new Shape(3, 5), logVar.Shape);
        Assert.Contains("expected images (N, 3, 16, 16)", Assert.Throws<ArgumentException>(() => e.Encode(Tensor.Zeros(new Shape(1, 1, 16, 16), be))).Message);
        Assert.Contains("power of two", Assert.Throws<ArgumentException>(() => new EncoderArchitecture(48).Validate()).Message);
    }

    [Fact]
    public void TrainingStepOnCpuLogsEachTermAndTrainsEveryNetwork()
    {
        using var be = new CpuBackend(threads: 2);
        using var t = new VaeGanTrainer(Tiny(), Shapes, be);
        var (e0, g0, d0) = (Flat(t.E), Flat(t.G), Flat(t.D));
        var r = t.TrainStep();
        Assert.Equal(1, r.Step);
        Assert.True(r.DUpdated);
        foreach (var v in new[] { r.LossD, r.LossGan, r.LossKl, r.LossReconstruction })
        {
            Assert.True(float.IsFinite(v) && v > 0, $"loss {v}");
        }
        // The total is the weighted sum of the logged terms (KL per latent dimension, squared error per shape).
        Assert.Equal(r.LossGan + 5f * r.LossKl + 1e-4f * r.LossReconstruction, r.LossTotal, 3);
        // A squared error per shape cannot exceed the voxel count.
        Assert.InRange(r.LossReconstruction, 1f, 32f * 32 * 32);
        Assert.NotEqual(e0, Flat(t.E));
        Assert.NotEqual(g0, Flat(t.G));
        Assert.NotEqual(d0, Flat(t.D));
        var report = r.ToReport();
        Assert.Equal(["loss_d", "loss_gan", "loss_kl", "loss_recon", "loss_total"], report.Metrics.Select(m => m.Name).Take(5));
    }

    [Fact]
    public void WithoutKlAndReconstructionTheEncoderGetsNoGradient()
    {
        // E is trained only through α1·KL and α2·reconstruction: with both weights zero it must not move,
        // and with only the KL weight it must (a wiring check of the joint loss).
        using var be = new CpuBackend(threads: 2);
        using (var t = new VaeGanTrainer(Tiny(0f, 0f), Shapes, be))
        {
            var e0 = Flat(t.E);
            t.TrainStep();
            Assert.Equal(e0, Flat(t.E));
        }
        using (var t = new VaeGanTrainer(Tiny(5f, 0f), Shapes, be))
        {
            var e0 = Flat(t.E);
            t.TrainStep();
            Assert.NotEqual(e0, Flat(t.E));
        }
    }

    [Fact]
    public void ResumingContinuesExactlyAndReconstructorRefusesAGanCheckpoint()
    {
        using var be = new CpuBackend(threads: 2);
        var continuous = new List<float>();
        using (var t = new VaeGanTrainer(Tiny(), Shapes, be))
        {
            for (int i = 0; i < 4; i++)
            {
                continuous.Add(t.TrainStep().LossTotal);
            }
        }
        string ck = Path.Combine(_dir, "vae.safetensors");
        var resumed = new List<float>();
        using (var t = new VaeGanTrainer(Tiny(), Shapes, be))
        {
            resumed.Add(t.TrainStep().LossTotal);
            resumed.Add(t.TrainStep().LossTotal);
            t.Save(ck);
        }
        using (var t = VaeGanTrainer.Resume(ck, Shapes, be))
        {
            Assert.Equal(2, t.Step);
            resumed.Add(t.TrainStep().LossTotal);
            resumed.Add(t.TrainStep().LossTotal);
        }
        Assert.Equal(continuous, resumed);

        // The reconstructor loads E and the mean shape; on a 3D-GAN checkpoint it says why it cannot work.
        using (var rec = ShapeReconstructor.Load(ck, be))
        {
            Assert.Equal(MeanShape.Compute(Shapes), rec.MeanShape);
            var probabilities = rec.Reconstruct(new float[2 * 16 * 16], 2);
            Assert.Equal(2 * 32 * 32 * 32, probabilities.Length);
        }
        string gan = Path.Combine(_dir, "gan.safetensors");
        using (var g = new GanTrainer(new GanTrainingOptions { Architecture = Tiny().Architecture, BatchSize = 4 }, Shapes, be))
        {
            g.Save(gan);
        }
        Assert.Contains("no image encoder", Assert.Throws<InvalidDataException>(() => ShapeReconstructor.Load(gan, be)).Message);
        Assert.Contains("cannot resume 3d-vae-gan", Assert.Throws<InvalidDataException>(() => VaeGanTrainer.Resume(gan, Shapes, be)).Message);
    }

    [Fact]
    public void RenderedTrainingImagesAreViewsOfTheBatchShapes()
    {
        var arch = new EncoderArchitecture(16, 1, 1, 8);
        var views = new ViewSampling { AzimuthMin = 30, AzimuthMax = 30, ElevationMin = 15, ElevationMax = 15 };
        var images = TrainingImages.Rendered(Shapes, arch, views);
        var batch = new float[2 * 256];
        images.Fill([3, 7], new Rng(1), batch);
        var expected = ViewRenderer.Render(Shapes.GetGrid(7), new ViewOptions { Azimuth = 30, Elevation = 15, Width = 16, Height = 16 });
        Assert.Equal(expected, batch.AsSpan(256, 256).ToArray());
        Assert.NotEqual(expected, batch.AsSpan(0, 256).ToArray());
    }

    [Fact]
    public void MeanShapeBaselineIsTheOccupancyFrequencyAndItsBestThreshold()
    {
        // Three 32³ shapes: two identical boxes and one disjoint box. Frequencies 2/3 and 1/3; any threshold
        // in [1/3, 2/3) predicts the first box: IoU 1, 1, 0.
        var a = new VoxelGrid(32);
        var b = new VoxelGrid(32);
        for (int i = 0; i < 4; i++)
        {
            a[i, 0, 0] = true;
            b[i + 10, 5, 5] = true;
        }
        var data = VoxelDataset.FromGrids([a, a, b]);
        var mean = MeanShape.Compute(data);
        Assert.Equal(2f / 3, mean[a.Index(0, 0, 0)], 6);
        Assert.Equal(1f / 3, mean[b.Index(10, 5, 5)], 6);
        var (threshold, iou) = MeanShape.BestThreshold(mean, data);
        Assert.InRange(threshold, 1f / 3, 2f / 3);
        Assert.Equal(2.0 / 3, iou, 9);
        Assert.Equal(0.5, Iou.Of(mean, 0.2f, a.Array), 9);
    }
}
