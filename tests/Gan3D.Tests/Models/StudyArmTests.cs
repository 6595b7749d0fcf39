using System.Text.Json.Nodes;
using Gan3D.Data;
using Gan3D.Models;
using Gan3D.Tensors;

namespace Gan3D.Tests.Models;

/// <summary>The training settings of the recipe study (issue 17): each in the trainer, in configurations, and across a resume.</summary>
public sealed class StudyArmTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("gan3d-arms-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>A tiny 32³ GAN (width 1/16: G 16-8-4-1, D 4-8-16-1, z of 8).</summary>
    private static GanTrainingOptions Tiny() => new()
    {
        Architecture = new GanArchitecture(32, 1.0 / 16, LatentDim: 8),
        BatchSize = 4,
        LearningRateD = 1e-3f,
        Latent = LatentDistribution.Normal,
        Seed = 11,
    };

    private static readonly VoxelDataset Shapes = ShapeFamilies.CreateMixedDataset(24, 32, seed: 3);

    private static float[] Flat(Gan3D.Nn.Module m) => m.Parameters().SelectMany(p => p.ToArray()).ToArray();

    /// <summary>The configuration as a run written before <paramref name="removed"/> existed would have stored it.</summary>
    private static string Without(GanTrainingOptions options, params string[] removed)
    {
        var json = JsonNode.Parse(options.ToJson())!.AsObject();
        foreach (string path in removed)
        {
            var parts = path.Split('.');
            var node = json;
            foreach (string p in parts[..^1])
            {
                node = node[p]!.AsObject();
            }
            Assert.True(node.Remove(parts[^1]), $"{path} is not in the configuration");
        }
        return json.ToJsonString();
    }

    [Fact]
    public void TheLossIsSavedAndAnOlderConfigurationReadsAsThePapersBce()
    {
        var hinge = Tiny() with { Loss = AdversarialLoss.Hinge };
        Assert.Contains("\"Loss\": \"Hinge\"", hinge.ToJson());
        Assert.Equal(hinge, GanTrainingOptions.FromJson(hinge.ToJson(), "test"));
        Assert.Equal(AdversarialLoss.Bce, GanTrainingOptions.FromJson(Without(hinge, "Loss"), "test").Loss);
        var vae = new VaeGanTrainingOptions(hinge);
        Assert.Equal(AdversarialLoss.Hinge, VaeGanTrainingOptions.FromJson(vae.ToJson(), "test").Loss);
        Assert.Equal(AdversarialLoss.Bce, VaeGanTrainingOptions.FromJson(Without(vae, "Loss"), "test").Loss);
    }

    [Fact]
    public void StudyOverridesReplaceOnlyWhatTheyGiveOnEitherModel()
    {
        var gan = TrainingPreset.Quick.GanOptions(new TrainingOverrides());
        Assert.Equal(gan, new TrainingOverrides().ApplyStudySettings(gan));
        var overrides = new TrainingOverrides { Loss = AdversarialLoss.Hinge };
        Assert.Equal(gan with { Loss = AdversarialLoss.Hinge }, overrides.ApplyStudySettings(gan));
        var vae = overrides.ApplyStudySettings(TrainingPreset.Quick.VaeGanOptions(overrides));
        Assert.IsType<VaeGanTrainingOptions>(vae);
        Assert.Equal(AdversarialLoss.Hinge, vae.Loss);
        Assert.Equal(1e-2f, ((VaeGanTrainingOptions)vae).ReconstructionWeight);
    }

    /// <summary>The trainer's own D step and G loss on its own first batch, with the logits they see.</summary>
    private sealed class ProbeTrainer(GanTrainingOptions options, VoxelDataset data, IBackend backend)
        : AdversarialTrainer(options, data, backend, default)
    {
        public override string ModelName => GanTrainer.Model;

        public override IReadOnlyList<(string Title, string[] Columns)> PlotLayout => [];

        protected override string ConfigJson => Options.ToJson();

        public override TrainingStepReport Train() => throw new NotSupportedException();

        /// <summary>D's logits on the first batch, then what the trainer's D step and G loss make of the same batch.</summary>
        public (float[] Real, float[] Fake, (float Loss, float AccuracyReal, float AccuracyFake) DStep, float GLoss) Probe()
        {
            using var scope = MemoryScope.Begin();
            NextBatch();
            var fake = G.Forward(Z).Detach();
            var real = D.Forward(Real).ToArray();
            var fakeLogits = D.Forward(fake).ToArray();
            var step = DiscriminatorStep(fake, update: false);
            float g = WithFrozenD(() => GeneratorLoss(fake).Item());
            return (real, fakeLogits, step, g);
        }
    }

    [Theory]
    [InlineData(AdversarialLoss.Bce)]
    [InlineData(AdversarialLoss.Hinge)]
    public void DAndGLossesAreTheChosenLossOfDsLogits(AdversarialLoss loss)
    {
        using var be = new CpuBackend(threads: 2);
        using var t = new ProbeTrainer(Tiny() with { Loss = loss }, Shapes, be);
        var (real, fake, (lossD, accReal, accFake), lossG) = t.Probe();
        TestContext.Current.TestOutputHelper?.WriteLine($"{loss}: real logits {string.Join(", ", real)}; fake {string.Join(", ", fake)}");
        static double Softplus(double x) => Math.Max(x, 0) + Math.Log(1 + Math.Exp(-Math.Abs(x)));
        double expectedD = loss == AdversarialLoss.Hinge
            ? real.Average(x => Math.Max(0, 1 - (double)x)) + fake.Average(x => Math.Max(0, 1 + (double)x))
            : real.Average(x => Softplus(-x)) + fake.Average(x => Softplus(x));
        double expectedG = loss == AdversarialLoss.Hinge ? -fake.Average(x => (double)x) : fake.Average(x => Softplus(-x));
        Assert.Equal(expectedD, lossD, 5e-6);
        Assert.Equal(expectedG, lossG, 5e-6);
        // Accuracy is the share of logits of the right sign, with either loss.
        Assert.Equal(real.Count(x => x > 0) / (double)real.Length, accReal, 1e-7);
        Assert.Equal(fake.Count(x => x < 0) / (double)fake.Length, accFake, 1e-7);
    }

    [Fact]
    public void AHingeRunTrainsBothNetworks()
    {
        using var be = new CpuBackend(threads: 2);
        using var t = new GanTrainer(Tiny() with { Loss = AdversarialLoss.Hinge }, Shapes, be);
        var (g0, d0) = (Flat(t.G), Flat(t.D));
        for (int i = 0; i < 4; i++)
        {
            var r = t.TrainStep();
            Assert.True(float.IsFinite(r.LossD) && float.IsFinite(r.LossG), $"step {r.Step}: losses {r.LossD}, {r.LossG}");
            Assert.InRange(r.LossD, 0f, 100f); // both hinge terms are non-negative
        }
        Assert.NotEqual(g0, Flat(t.G));
        Assert.NotEqual(d0, Flat(t.D));
    }

    [Theory]
    [InlineData(AdversarialLoss.Hinge)]
    public void ResumingARunOfAStudySettingContinuesExactly(AdversarialLoss loss)
    {
        using var be = new CpuBackend(threads: 2);
        var options = Tiny() with { Loss = loss };
        var continuous = new List<(float, float, float)>();
        float[] dContinuous;
        using (var t = new GanTrainer(options, Shapes, be))
        {
            for (int i = 0; i < 5; i++)
            {
                var r = t.TrainStep();
                continuous.Add((r.LossD, r.LossG, r.DAccuracy));
            }
            dContinuous = Flat(t.D);
        }
        var resumed = new List<(float, float, float)>();
        string ck = Path.Combine(_dir, "checkpoint.safetensors");
        using (var t = new GanTrainer(options, Shapes, be))
        {
            for (int i = 0; i < 2; i++)
            {
                var r = t.TrainStep();
                resumed.Add((r.LossD, r.LossG, r.DAccuracy));
            }
            t.Save(ck);
        }
        using (var t = GanTrainer.Resume(ck, Shapes, be))
        {
            Assert.Equal(options, t.Options);
            for (int i = 0; i < 3; i++)
            {
                var r = t.TrainStep();
                resumed.Add((r.LossD, r.LossG, r.DAccuracy));
            }
            Assert.Equal(dContinuous, Flat(t.D));
        }
        Assert.Equal(continuous, resumed);
    }
}
