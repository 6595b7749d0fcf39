using Gan3D.Data;
using Gan3D.Models;
using Gan3D.Tensors;

namespace Gan3D.Tests.Models;

public sealed class GanTrainerTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("gan3d-train-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>A tiny 32³ GAN (width 1/16: G 16-8-4-1, D 4-8-16-1, z of 8) that trains in milliseconds a step.</summary>
    private static GanTrainingOptions Tiny(float threshold = 0.8f, float lrD = 1e-5f) => new()
    {
        Architecture = new GanArchitecture(32, 1.0 / 16, LatentDim: 8),
        BatchSize = 4,
        LearningRateD = lrD,
        DAccuracyThreshold = threshold,
        Seed = 7,
    };

    private static readonly VoxelDataset Shapes = ShapeFamilies.CreateMixedDataset(24, 32, seed: 3);

    private static float[] Flat(Gan3D.Nn.Module m) => m.Parameters().SelectMany(p => p.ToArray()).ToArray();

    [Fact]
    public void FewStepsKeepLossesFiniteAndChangeTheParameters()
    {
        using var be = new CpuBackend(threads: 2);
        using var t = new GanTrainer(Tiny(), Shapes, be);
        var g0 = Flat(t.G);
        var d0 = Flat(t.D);
        for (int i = 0; i < 3; i++)
        {
            var r = t.TrainStep();
            Assert.True(float.IsFinite(r.LossD) && float.IsFinite(r.LossG), $"step {r.Step}: losses {r.LossD}, {r.LossG}");
            Assert.InRange(r.DAccuracy, 0f, 1f);
            Assert.Equal(i + 1, r.Step);
        }
        Assert.NotEqual(g0, Flat(t.G));
        Assert.NotEqual(d0, Flat(t.D));
        // At initialisation D cannot tell anything apart: its BCE is near 2·ln 2.
        var fresh = new GanTrainer(Tiny(), Shapes, be).TrainStep();
        Assert.InRange(fresh.LossD, 1.0, 2.0);
    }

    [Fact]
    public void DiscriminatorIsSkippedExactlyWhenItWasAccurateOnThePreviousBatch()
    {
        // A fast-learning D on real shapes soon separates them from an untrained G's soft blobs.
        using var be = new CpuBackend(threads: 2);
        using var t = new GanTrainer(Tiny(threshold: 0.8f, lrD: 0.01f), Shapes, be);
        float previous = 0;
        int skipped = 0;
        for (int i = 0; i < 12; i++)
        {
            var dBefore = Flat(t.D);
            var r = t.TrainStep();
            bool expectUpdate = i == 0 || previous < 0.8f;
            Assert.Equal(expectUpdate, r.DUpdated);
            Assert.Equal(expectUpdate, !dBefore.SequenceEqual(Flat(t.D)));
            skipped += r.DUpdated ? 0 : 1;
            previous = r.DAccuracy;
            TestContext.Current.TestOutputHelper?.WriteLine($"step {r.Step}: D accuracy {r.DAccuracy:F2}, updated {r.DUpdated}");
        }
        Assert.True(skipped > 0, "D was never accurate enough to be skipped");
        Assert.Equal(1 - skipped / 12.0, t.DUpdateFraction, 9);
    }

    [Theory]
    [InlineData(0f)]
    [InlineData(0.9f)]
    public void ResumingFromACheckpointContinuesExactly(float ema)
    {
        using var be = new CpuBackend(threads: 2);
        var options = Tiny() with { GeneratorEma = ema };
        var continuous = new List<(float, float, float)>();
        float[]? continuousAverage = null;
        using (var t = new GanTrainer(options, Shapes, be))
        {
            for (int i = 0; i < 6; i++)
            {
                var r = t.TrainStep();
                continuous.Add((r.LossD, r.LossG, r.DAccuracy));
            }
            continuousAverage = t.GAverage is null ? null : Flat(t.GAverage);
        }
        var resumed = new List<(float, float, float)>();
        float[]? resumedAverage = null;
        string ck = Path.Combine(_dir, "checkpoint.safetensors");
        using (var t = new GanTrainer(options, Shapes, be))
        {
            for (int i = 0; i < 3; i++)
            {
                var r = t.TrainStep();
                resumed.Add((r.LossD, r.LossG, r.DAccuracy));
            }
            t.Save(ck);
        }
        using (var t = GanTrainer.Resume(ck, Shapes, be))
        {
            Assert.Equal(3, t.Step);
            for (int i = 0; i < 3; i++)
            {
                var r = t.TrainStep();
                resumed.Add((r.LossD, r.LossG, r.DAccuracy));
            }
            resumedAverage = t.GAverage is null ? null : Flat(t.GAverage);
        }
        Assert.Equal(continuous, resumed);
        Assert.Equal(ema > 0, continuousAverage is not null);
        Assert.Equal(continuousAverage, resumedAverage);
    }

    [Fact]
    public void NewLearningRatesScaleTheNextStepAndTheCheckpointKeepsThem()
    {
        // Adam's step is lr · m̂ / (√v̂ + ε): from the same state and batch, a k-times rate moves the weights k times as far.
        // D steps before G, so changing only G's rate leaves D's step alone and G's gradient the same (and the other way round).
        using var be = new CpuBackend(threads: 2);
        var options = Tiny(threshold: 1f, lrD: 1e-4f) with { LearningRateG = 1e-3f };
        string ck = Path.Combine(_dir, "checkpoint.safetensors");
        float[] g1, d1;
        using (var t = new GanTrainer(options, Shapes, be))
        {
            t.TrainStep();
            t.Save(ck);
            (g1, d1) = (Flat(t.G), Flat(t.D));
        }
        (float[] G, float[] D) NextStep(float? lrG, float? lrD)
        {
            using var t = GanTrainer.Resume(ck, Shapes, be);
            if (lrG is not null || lrD is not null)
            {
                t.SetLearningRates(lrG ?? options.LearningRateG, lrD ?? options.LearningRateD);
            }
            t.TrainStep();
            return (Flat(t.G), Flat(t.D));
        }
        static double Misfit(float[] before, float[] scaled, float[] plain, double k)
        {
            double err = 0, norm = 0;
            for (int i = 0; i < before.Length; i++)
            {
                double a = (double)scaled[i] - before[i], b = (double)plain[i] - before[i];
                err += (a - k * b) * (a - k * b);
                norm += a * a;
            }
            Assert.True(norm > 0, "the step moved nothing");
            return Math.Sqrt(err / norm);
        }
        var plain = NextStep(null, null);
        var fasterG = NextStep(4e-3f, null);
        var slowerD = NextStep(null, 2.5e-5f);
        Assert.Equal(plain.D, fasterG.D);
        Assert.InRange(Misfit(g1, fasterG.G, plain.G, 4), 0, 1e-3);
        Assert.InRange(Misfit(d1, slowerD.D, plain.D, 0.25), 0, 1e-3);

        using (var t = GanTrainer.Resume(ck, Shapes, be))
        {
            t.SetLearningRates(4e-3f, 2.5e-5f);
            Assert.Equal(options with { LearningRateG = 4e-3f, LearningRateD = 2.5e-5f }, t.Options);
            Assert.Throws<ArgumentException>(() => t.SetLearningRates(0f, 1e-4f));
            t.TrainStep();
            t.Save(ck);
        }
        var saved = TrainingCheckpoint.Open(ck).Options;
        Assert.Equal((4e-3f, 2.5e-5f), (saved.LearningRateG, saved.LearningRateD));
    }

    [Fact]
    public void GeneratorAverageFollowsItsRecurrenceAndLeavesTrainingAlone()
    {
        const float d = 0.9f;
        using var be = new CpuBackend(threads: 2);
        using var plain = new GanTrainer(Tiny(), Shapes, be);
        using var averaged = new GanTrainer(Tiny() with { GeneratorEma = d }, Shapes, be);
        Assert.Null(plain.GAverage);
        var reference = Flat(averaged.G).Select(v => (double)v).ToArray();
        Assert.Equal(Flat(averaged.G), Flat(averaged.GAverage!));
        for (int step = 0; step < 4; step++)
        {
            var a = plain.TrainStep();
            var b = averaged.TrainStep();
            Assert.Equal((a.LossD, a.LossG, a.DAccuracy), (b.LossD, b.LossG, b.DAccuracy));
            var g = Flat(averaged.G);
            for (int i = 0; i < g.Length; i++)
            {
                reference[i] = d * reference[i] + (1 - d) * (double)g[i];
            }
        }
        Assert.Equal(Flat(plain.G), Flat(averaged.G));
        var average = Flat(averaged.GAverage!);
        Assert.NotEqual(Flat(averaged.G), average);
        for (int i = 0; i < average.Length; i++)
        {
            Assert.True(Math.Abs(average[i] - reference[i]) <= 1e-6 + 1e-5 * Math.Abs(reference[i]), $"weight {i}: {average[i]} vs {reference[i]}");
        }
        // Batch-norm running statistics are G's own.
        Assert.Equal(averaged.G.NamedBuffers().SelectMany(b => b.Tensor.ToArray()), averaged.GAverage!.NamedBuffers().SelectMany(b => b.Tensor.ToArray()));

        // Samples come from the average, during training and from the checkpoint.
        var z = averaged.DrawLatent(2, new Rng(5));
        Assert.Equal(Sampling.Decode(averaged.GAverage!, z, 2), averaged.Decode(z, 2));
        Assert.NotEqual(Sampling.Decode(averaged.G, z, 2), averaged.Decode(z, 2));
        string ck = Path.Combine(_dir, "ema.safetensors");
        averaged.Save(ck);
        using var loaded = TrainedGan.Load(ck, be);
        Assert.Equal(average, Flat(loaded.G));
    }

    [Fact]
    public void ResumeRefusesOtherDataAndOtherFiles()
    {
        using var be = new CpuBackend(threads: 1);
        string ck = Path.Combine(_dir, "c.safetensors");
        using (var t = new GanTrainer(Tiny(), Shapes, be))
        {
            t.Save(ck);
        }
        var other = ShapeFamilies.CreateMixedDataset(10, 32, seed: 1);
        var ex = Assert.Throws<ArgumentException>(() => GanTrainer.Resume(ck, other, be));
        Assert.Contains("24 shapes", ex.Message);

        string notCk = Path.Combine(_dir, "plain.safetensors");
        Gan3D.Nn.SafeTensors.Save(notCk, new Dictionary<string, Tensor> { ["x"] = Tensor.Zeros(new Shape(2), be) });
        var bad = Assert.Throws<InvalidDataException>(() => GanTrainer.Resume(notCk, Shapes, be));
        Assert.Contains("not a gan3d checkpoint", bad.Message);
    }

    [Fact]
    public void SamplesAreProbabilitiesAndDoNotDisturbTraining()
    {
        using var be = new CpuBackend(threads: 2);
        using var a = new GanTrainer(Tiny(), Shapes, be);
        using var b = new GanTrainer(Tiny(), Shapes, be);
        a.TrainStep();
        b.TrainStep();
        var s = a.Sample(3, new Rng(1));
        Assert.Equal(3 * 32 * 32 * 32, s.Length);
        Assert.All(s, v => Assert.InRange(v, 0f, 1f));
        Assert.Equal(a.TrainStep().LossG, b.TrainStep().LossG);
    }

    [Fact]
    public void BadSettingsAreClearErrors()
    {
        using var be = new CpuBackend(threads: 1);
        Assert.Contains("generator average decay 1", Assert.Throws<ArgumentException>(() => new GanTrainer(Tiny() with { GeneratorEma = 1 }, Shapes, be)).Message);
        Assert.Contains("larger than the 24 shapes", Assert.Throws<ArgumentException>(() => new GanTrainer(Tiny() with { BatchSize = 30 }, Shapes, be)).Message);
        Assert.Contains("resolution 48", Assert.Throws<ArgumentException>(() => new GanArchitecture(48).Validate()).Message);
        var shapes64 = ShapeFamilies.CreateMixedDataset(4, 64, seed: 1);
        Assert.Contains("64³ but the model is 32³", Assert.Throws<ArgumentException>(() => new GanTrainer(Tiny(), shapes64, be)).Message);
    }
}
