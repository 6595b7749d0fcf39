using System.Text.Json.Nodes;
using Gan3D.Data;
using Gan3D.Models;
using Gan3D.Tensors;
using Gan3D.Tests.Engine;

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

        /// <summary>What D sees of <paramref name="x"/> at this step.</summary>
        public Tensor AsDSees(Tensor x) => AsDSeesIt(x);

        /// <summary>The trainer's 2×2×2 block means of <paramref name="x"/>.</summary>
        public Tensor Blocks(Tensor x) => BlockMeans(x);

        /// <summary>Counts an iteration without training.</summary>
        public void Advance() => EndStep(0, 0);

        public ulong StreamOffset => LatentRng.Offset;

        /// <summary>The trainer's WGAN-GP penalty between two batches, and the float64 penalty of D's input gradients at its own mixes of them.</summary>
        public (float Penalty, double Expected) Penalty(float[] real, float[] fake, float[] epsilon)
        {
            int n = epsilon.Length, v = real.Length / n;
            var shape = new Shape(n, 1, 32, 32, 32);
            float penalty = GradientPenalty(Tensor.FromArray(real, shape, Backend), Tensor.FromArray(fake, shape, Backend), epsilon).Item();
            var mixed = new float[real.Length];
            for (int i = 0; i < mixed.Length; i++)
            {
                double e = epsilon[i / v];
                mixed[i] = (float)(e * real[i] + (1 - e) * fake[i]);
            }
            var g = D.ForwardWithInputGradient(Tensor.FromArray(mixed, shape, Backend)).InputGradient.ToArray();
            double expected = Enumerable.Range(0, n)
                .Select(i => Math.Sqrt(g.Skip(i * v).Take(v).Sum(x => (double)x * x)) - 1)
                .Average(d => d * d);
            return (penalty, expected);
        }

        /// <summary>
        /// An update of D on the next batch: the penalty the trainer reports after it, and the float64 R1 term γ/2 · mean ‖∇ₓD(x)‖²
        /// of D's input gradient on the same real shapes before it.
        /// </summary>
        public (float Reported, double Expected) R1Update()
        {
            using var scope = MemoryScope.Begin();
            NextBatch();
            var fake = G.Forward(Z).Detach();
            float[] g;
            using (Autograd.NoGrad())
            {
                g = D.ForwardWithInputGradient(Real).InputGradient.ToArray();
            }
            double expected = Options.R1Gamma / 2.0 * g.Sum(x => (double)x * x) / Options.BatchSize;
            DiscriminatorStep(fake, update: true);
            return (PenaltyResult(ReadBack()), expected);
        }

        /// <summary>An update of D on the next batch and codes, as the trainer's D step does it.</summary>
        public void DStep()
        {
            using var scope = MemoryScope.Begin();
            NextBatch();
            Tensor fake;
            using (Autograd.NoGrad())
            {
                fake = G.Forward(Z);
            }
            DiscriminatorStep(fake, update: true);
        }

        /// <summary>G's shapes and the codes they come from, for the first batch.</summary>
        public (float[] Fake, float[] Z) FirstBatch()
        {
            using var scope = MemoryScope.Begin();
            NextBatch();
            using var noGrad = Autograd.NoGrad();
            return (G.Forward(Z).ToArray(), Z.ToArray());
        }

        /// <summary>D's logits on the first batch, then what the trainer's D step and G loss make of the same batch.</summary>
        public (float[] Real, float[] Fake, (float Loss, float AccuracyReal, float AccuracyFake) DStep, float GLoss) Probe()
        {
            using var scope = MemoryScope.Begin();
            NextBatch();
            var fake = G.Forward(Z).Detach();
            var real = D.Forward(Real).ToArray();
            var fakeLogits = D.Forward(fake).ToArray();
            DiscriminatorStep(fake, update: false);
            var step = DiscriminatorResults(ReadBack());
            float g = WithFrozenD(() => GeneratorLoss(fake).Item());
            return (real, fakeLogits, step, g);
        }
    }

    [Theory]
    [InlineData(AdversarialLoss.Bce)]
    [InlineData(AdversarialLoss.Hinge)]
    [InlineData(AdversarialLoss.WassersteinGp)]
    public void DAndGLossesAreTheChosenLossOfDsLogits(AdversarialLoss loss)
    {
        using var be = new CpuBackend(threads: 2);
        using var t = new ProbeTrainer(loss == AdversarialLoss.WassersteinGp ? WithSetting("wgan-gp") : Tiny() with { Loss = loss }, Shapes, be);
        var (real, fake, (lossD, accReal, accFake), lossG) = t.Probe();
        TestContext.Current.TestOutputHelper?.WriteLine($"{loss}: real logits {string.Join(", ", real)}; fake {string.Join(", ", fake)}");
        static double Softplus(double x) => Math.Max(x, 0) + Math.Log(1 + Math.Exp(-Math.Abs(x)));
        // (The loss D reports; WGAN-GP's penalty is added for its update only.)
        double expectedD = loss switch
        {
            AdversarialLoss.Hinge => real.Average(x => Math.Max(0, 1 - (double)x)) + fake.Average(x => Math.Max(0, 1 + (double)x)),
            AdversarialLoss.WassersteinGp => fake.Average(x => (double)x) - real.Average(x => (double)x),
            _ => real.Average(x => Softplus(-x)) + fake.Average(x => Softplus(x)),
        };
        double expectedG = loss == AdversarialLoss.Bce ? fake.Average(x => Softplus(-x)) : -fake.Average(x => (double)x);
        Assert.Equal(expectedD, lossD, 5e-6);
        Assert.Equal(expectedG, lossG, 5e-6);
        // Accuracy is the share of logits of the right sign, with either loss.
        Assert.Equal(real.Count(x => x > 0) / (double)real.Length, accReal, 1e-7);
        Assert.Equal(fake.Count(x => x < 0) / (double)fake.Length, accFake, 1e-7);
    }

    [Fact]
    public void TheWganGpPenaltyIsTheMeanSquaredDistanceOfDsGradientNormFromOneBetweenRealAndFake()
    {
        using var be = new CpuBackend(threads: 2);
        using var t = new ProbeTrainer(WithSetting("wgan-gp"), Shapes, be);
        var real = new float[3 * 32 * 32 * 32];
        var fake = new float[real.Length];
        Shapes.FillBatch([0, 1, 2], real);
        Shapes.FillBatch([5, 9, 14], fake);
        // ε picks the point: all real, all fake, and mixes (a wrong pairing of ε and shapes fails the mixed case).
        foreach (var epsilon in new[] { new[] { 1f, 1f, 1f }, new[] { 0f, 0f, 0f }, new[] { 0.3f, 0.9f, 0.55f } })
        {
            var (penalty, expected) = t.Penalty(real, fake, epsilon);
            Assert.True(expected > 0.1, $"the penalty {expected} should be far from 0 for a fresh D (gradient norms near 0)");
            Assert.Equal(expected, penalty, 1e-5 * expected);
        }
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

    /// <summary>The tiny run with one study setting, by name.</summary>
    private static GanTrainingOptions WithSetting(string setting)
    {
        var tiny = Tiny();
        return setting switch
        {
            "hinge" => tiny with { Loss = AdversarialLoss.Hinge },
            "spectral" => tiny with { Architecture = tiny.Architecture with { DiscriminatorNorm = DiscriminatorNorm.Spectral } },
            "none" => tiny with { Architecture = tiny.Architecture with { DiscriminatorNorm = DiscriminatorNorm.None } },
            "spectral+hinge" => tiny with { Loss = AdversarialLoss.Hinge, Architecture = tiny.Architecture with { DiscriminatorNorm = DiscriminatorNorm.Spectral } },
            "mbstd" => tiny with { Architecture = tiny.Architecture with { MinibatchStd = true } },
            "noise" => tiny with { InstanceNoise = 0.2f, InstanceNoiseIterations = 4 },
            // On every other update of D: a resume must keep the lazy schedule's place.
            "wgan-gp" => tiny with { Loss = AdversarialLoss.WassersteinGp, DAccuracyThreshold = 1f, Architecture = tiny.Architecture with { DiscriminatorNorm = DiscriminatorNorm.None } },
            "wgan-gp+3 d steps" => WithSetting("wgan-gp") with { DSteps = 3 },
            // The rule's decision holds for every D step of an iteration, and R1's lazy schedule counts D's updates.
            "r1+2 d steps" => WithSetting("r1") with { DSteps = 2, DAccuracyThreshold = 0.6f },
            // Half resolution for 2 iterations, fading over 2 more: the 5 steps cross every phase.
            "r1+grow" => WithSetting("r1") with { GrowIterations = 2 },
            "r1" => tiny with { R1Gamma = 10f, R1Every = 2, Architecture = tiny.Architecture with { DiscriminatorNorm = DiscriminatorNorm.None } },
            "r1+mbstd" => tiny with { R1Gamma = 10f, R1Every = 2, Architecture = tiny.Architecture with { DiscriminatorNorm = DiscriminatorNorm.None, MinibatchStd = true } },
            "r1+mbstd groups" => tiny with
            {
                R1Gamma = 10f,
                R1Every = 2,
                Architecture = tiny.Architecture with { DiscriminatorNorm = DiscriminatorNorm.None, MinibatchStd = true, MinibatchStdGroup = 2 },
            },
            "r1+mbstd+pack" => tiny with
            {
                R1Gamma = 10f,
                R1Every = 2,
                Architecture = tiny.Architecture with { DiscriminatorNorm = DiscriminatorNorm.None, MinibatchStd = true, DiscriminatorPack = 2 },
            },
            "r1+mode seeking" => tiny with { R1Gamma = 10f, R1Every = 2, ModeSeeking = 0.05f, Architecture = tiny.Architecture with { DiscriminatorNorm = DiscriminatorNorm.None } },
            "spectral+hinge+mbstd" => tiny with
            {
                Loss = AdversarialLoss.Hinge,
                Architecture = tiny.Architecture with { DiscriminatorNorm = DiscriminatorNorm.Spectral, MinibatchStd = true },
            },
            _ => throw new ArgumentException(setting),
        };
    }

    [Theory]
    [InlineData("hinge")]
    [InlineData("spectral")]
    [InlineData("none")]
    [InlineData("spectral+hinge")]
    [InlineData("mbstd")]
    [InlineData("spectral+hinge+mbstd")]
    [InlineData("noise")]
    [InlineData("r1")]
    [InlineData("r1+mbstd")]
    [InlineData("r1+mbstd groups")]
    [InlineData("r1+mbstd+pack")]
    [InlineData("r1+mode seeking")]
    [InlineData("wgan-gp")]
    [InlineData("wgan-gp+3 d steps")]
    [InlineData("r1+2 d steps")]
    [InlineData("r1+grow")]
    public void ResumingARunOfAStudySettingContinuesExactly(string setting)
    {
        using var be = new CpuBackend(threads: 2);
        var options = WithSetting(setting);
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

    [Fact]
    public void ASpectralDHasNoBatchNormAndKeepsItsVectorsInTheCheckpoint()
    {
        using var be = new CpuBackend(threads: 2);
        var options = WithSetting("spectral");
        using var t = new GanTrainer(options, Shapes, be);
        var parameters = t.D.NamedParameters().Select(p => p.Name).ToList();
        Assert.DoesNotContain(parameters, n => n.Contains(".norm.", StringComparison.Ordinal));
        Assert.Equal(["stages.0.conv.weight", "stages.0.conv.bias", "stages.1.conv.weight", "stages.1.conv.bias",
            "stages.2.conv.weight", "stages.2.conv.bias", "stages.3.conv.weight", "stages.3.conv.bias"], parameters);
        var buffers = t.D.NamedBuffers().Select(b => b.Name).ToList();
        Assert.Equal(Enumerable.Range(0, 4).SelectMany(i => new[] { $"stages.{i}.conv.weight_u", $"stages.{i}.conv.weight_v" }), buffers);
        // Unit vectors, u of each layer's output channels, v of the rest of its weight.
        foreach (var (name, tensor) in t.D.NamedBuffers())
        {
            Assert.Equal(1.0, Math.Sqrt(tensor.ToArray().Sum(x => (double)x * x)), 1e-5);
        }
        // The paper's D is unchanged: batch norm after the inner convolutions, which have no bias.
        using var paper = new GanTrainer(Tiny(), Shapes, be);
        Assert.Equal(["stages.0.conv.weight", "stages.0.conv.bias", "stages.1.conv.weight", "stages.1.norm.weight", "stages.1.norm.bias",
            "stages.2.conv.weight", "stages.2.norm.weight", "stages.2.norm.bias", "stages.3.conv.weight", "stages.3.conv.bias"],
            paper.D.NamedParameters().Select(p => p.Name));

        var u0 = t.D.NamedBuffers().First().Tensor.ToArray();
        t.TrainStep();
        var u1 = t.D.NamedBuffers().First().Tensor.ToArray();
        Assert.NotEqual(u0, u1); // a power iteration per training forward

        // A reader of the checkpoint builds the same D and, in eval mode, uses the stored vectors.
        string ck = Path.Combine(_dir, "spectral.safetensors");
        t.Save(ck);
        using var loaded = TrainedGan.Load(ck, be);
        Assert.Equal(DiscriminatorNorm.Spectral, loaded.Architecture.DiscriminatorNorm);
        var batch = new float[4 * 32 * 32 * 32];
        Shapes.FillBatch([0, 1, 2, 3], batch);
        t.D.Eval();
        float[] expected, actual;
        using (Autograd.NoGrad())
        {
            var x = Tensor.FromArray(batch, new Shape(4, 1, 32, 32, 32), be);
            expected = t.D.Forward(x).ToArray();
            actual = loaded.D.Forward(x).ToArray();
        }
        Assert.Equal(expected, actual);
        Assert.Equal(u1, loaded.D.NamedBuffers().First().Tensor.ToArray());
    }

    [Fact]
    public void AnOlderConfigurationReadsAsThePapersD()
    {
        var spectral = WithSetting("spectral");
        Assert.Contains("\"DiscriminatorNorm\": \"Spectral\"", spectral.ToJson());
        Assert.Equal(spectral, GanTrainingOptions.FromJson(spectral.ToJson(), "test"));
        Assert.Equal(DiscriminatorNorm.Batch, GanTrainingOptions.FromJson(Without(spectral, "Architecture.DiscriminatorNorm"), "test").Architecture.DiscriminatorNorm);
        Assert.Equal(new GanArchitecture(32, 1.0 / 16, 8), GanTrainingOptions.FromJson(Without(spectral, "Architecture.DiscriminatorNorm"), "test").Architecture);
    }

    [Fact]
    public void WithMinibatchStdDsLogitForAShapeDependsOnTheRestOfItsBatch()
    {
        using var be = new CpuBackend(threads: 2);
        var arch = WithSetting("mbstd").Architecture;
        using var d = new Discriminator3D(arch, be, new Rng(3));
        Assert.Equal(new Shape(1, 16 + 1, 4, 4, 4), d.NamedParameters().Single(p => p.Name == "stages.3.conv.weight").Value.Shape);
        Assert.Equal(new Shape(1, 17, 4, 4, 4), Discriminator3D.ConvWeightShapes(arch).Last().Shape);
        d.Eval(); // batch norm on running statistics: without the layer, shape 0's logit would not depend on shape 1
        var batch = new float[2 * 32 * 32 * 32];
        Shapes.FillBatch([0, 1], batch);
        float[] Logits(float[] data)
        {
            using var noGrad = Autograd.NoGrad();
            return d.Forward(Tensor.FromArray(data, new Shape(2, 1, 32, 32, 32), be)).ToArray();
        }
        var before = Logits(batch);
        Shapes.FillBatch([0, 5], batch);
        var after = Logits(batch);
        Assert.NotEqual(before[0], after[0]);

        // The D of the paper: shape 0's eval-mode logit is its own.
        using var paper = new Discriminator3D(Tiny().Architecture, be, new Rng(3));
        paper.Eval();
        Shapes.FillBatch([0, 1], batch);
        using (Autograd.NoGrad())
        {
            var a = paper.Forward(Tensor.FromArray(batch, new Shape(2, 1, 32, 32, 32), be)).ToArray();
            Shapes.FillBatch([0, 5], batch);
            var b = paper.Forward(Tensor.FromArray(batch, new Shape(2, 1, 32, 32, 32), be)).ToArray();
            Assert.Equal(a[0], b[0]);
        }
    }

    [Fact]
    public void WithMinibatchStdGroupsDsLogitForAShapeDependsOnItsGroupOnly()
    {
        // Groups of 2 in a batch of 4 (eval mode: no batch norm statistics in between): replacing shape 1 moves shape 0's
        // logit (same group), replacing shape 3 does not (the other group), and the whole-batch channel moves with both.
        using var be = new CpuBackend(threads: 2);
        float[] Logits(GanArchitecture arch, int[] shapes)
        {
            using var d = new Discriminator3D(arch, be, new Rng(3));
            d.Eval();
            var batch = new float[4 * 32 * 32 * 32];
            Shapes.FillBatch(shapes, batch);
            using var noGrad = Autograd.NoGrad();
            return d.Forward(Tensor.FromArray(batch, new Shape(4, 1, 32, 32, 32), be)).ToArray();
        }
        var whole = WithSetting("mbstd").Architecture;
        var pairs = whole with { MinibatchStdGroup = 2 };
        var reference = Logits(pairs, [0, 1, 2, 3]);
        Assert.NotEqual(reference[0], Logits(pairs, [0, 5, 2, 3])[0]);
        Assert.Equal(reference[0], Logits(pairs, [0, 1, 2, 7])[0]);
        Assert.NotEqual(Logits(whole, [0, 1, 2, 3])[0], Logits(whole, [0, 1, 2, 7])[0]);
    }

    [Fact]
    public void APackedDJudgesEachRunOfShapesTogether()
    {
        // Pack 2 on a batch of 4: two logits, the first from shapes 0 and 1 stacked as D's two input channels.
        using var be = new CpuBackend(threads: 2);
        var arch = WithSetting("r1+mbstd+pack").Architecture with { MinibatchStd = false };
        using var d = new Discriminator3D(arch, be, new Rng(3));
        Assert.Equal(new Shape(4, 2, 4, 4, 4), d.NamedParameters().Single(p => p.Name == "stages.0.conv.weight").Value.Shape);
        Assert.Equal(new Shape(4, 2, 4, 4, 4), Discriminator3D.ConvWeightShapes(arch).First().Shape);
        float[] Logits(int[] shapes)
        {
            var batch = new float[shapes.Length * 32 * 32 * 32];
            Shapes.FillBatch(shapes, batch);
            using var noGrad = Autograd.NoGrad();
            var y = d.Forward(Tensor.FromArray(batch, new Shape(shapes.Length, 1, 32, 32, 32), be));
            Assert.Equal(new Shape(shapes.Length / 2, 1), y.Shape);
            return y.ToArray();
        }
        var reference = Logits([0, 1, 2, 3]);
        var second = Logits([0, 5, 2, 3]);
        Assert.NotEqual(reference[0], second[0]);
        Assert.Equal(reference[1], second[1]);
        Assert.Equal(reference[0], Logits([0, 1, 6, 7])[0]);
        Assert.NotEqual(reference[0], Logits([1, 0, 2, 3])[0]); // the pack's order is its channels' order
        var odd = new float[3 * 32 * 32 * 32];
        Assert.Contains("a multiple of 2, got 3", Assert.Throws<ArgumentException>(() => d.Forward(Tensor.FromArray(odd, new Shape(3, 1, 32, 32, 32), be))).Message);
        Assert.Contains("no responses of a single shape", Assert.Throws<InvalidOperationException>(() => d.StageActivations(Tensor.FromArray(odd[..(2 * 32 * 32 * 32)], new Shape(2, 1, 32, 32, 32), be))).Message);
    }

    [Fact]
    public void APackedDsAccuracyCountsPacks()
    {
        // Two logits a half: D's accuracy is a multiple of 1/4 and reaches above 1/2 (counted over the batch's 4 shapes
        // instead of its 2 packs it could not).
        using var be = new CpuBackend(threads: 2);
        using var t = new GanTrainer(WithSetting("r1+mbstd+pack"), Shapes, be);
        var accuracies = Enumerable.Range(0, 8).Select(_ => t.TrainStep().DAccuracy).ToArray();
        Assert.All(accuracies, a => Assert.Equal(0, a * 4 % 1, 6));
        Assert.Contains(accuracies, a => a > 0.5f);
    }

    [Fact]
    public void AnOlderConfigurationHasNoMinibatchStd()
    {
        var mbstd = WithSetting("mbstd");
        Assert.Contains("\"MinibatchStd\": true", mbstd.ToJson());
        Assert.Equal(mbstd, GanTrainingOptions.FromJson(mbstd.ToJson(), "test"));
        Assert.False(GanTrainingOptions.FromJson(Without(mbstd, "Architecture.MinibatchStd"), "test").Architecture.MinibatchStd);
        // Its group: the whole batch unless saved.
        var groups = WithSetting("r1+mbstd groups");
        Assert.Equal(groups, GanTrainingOptions.FromJson(groups.ToJson(), "test"));
        Assert.Equal(0, GanTrainingOptions.FromJson(Without(groups, "Architecture.MinibatchStdGroup"), "test").Architecture.MinibatchStdGroup);
        // Its pack: one shape a logit unless saved.
        var pack = WithSetting("r1+mbstd+pack");
        Assert.Equal(pack, GanTrainingOptions.FromJson(pack.ToJson(), "test"));
        Assert.Equal(1, GanTrainingOptions.FromJson(Without(pack, "Architecture.DiscriminatorPack"), "test").Architecture.DiscriminatorPack);
    }

    [Fact]
    public void AMinibatchStdGroupAndAPackAreChecked()
    {
        var groups = WithSetting("r1+mbstd groups");
        groups.Validate();
        string Refusal(GanTrainingOptions o) => Assert.Throws<ArgumentException>(o.Validate).Message;
        Assert.Contains("group 1 must be 0 (the whole batch) or 2 or more", Refusal(groups with { Architecture = groups.Architecture with { MinibatchStdGroup = 1 } }));
        Assert.Contains("needs D's minibatch standard deviation channel", Refusal(groups with { Architecture = groups.Architecture with { MinibatchStd = false } }));
        Assert.Contains($"batch size {groups.BatchSize} must be a multiple of the minibatch standard deviation's group size 3",
            Refusal(groups with { Architecture = groups.Architecture with { MinibatchStdGroup = 3 } }));

        var pack = WithSetting("r1+mbstd+pack");
        pack.Validate();
        Assert.Contains("D's 2 packs a batch (batch size 4, 2 shapes a pack) must be a multiple of the minibatch standard deviation's group size 4",
            Refusal(pack with { Architecture = pack.Architecture with { MinibatchStdGroup = 4 } }));
        Assert.Contains("batch size 4 must be a multiple of D's pack 3", Refusal(pack with { Architecture = pack.Architecture with { DiscriminatorPack = 3 } }));
        Assert.Contains("D's pack 9 must be in 1..8", Refusal(pack with { Architecture = pack.Architecture with { DiscriminatorPack = 9 } }));
        Assert.Contains("cannot serve as an encoder", Refusal(pack with { Architecture = pack.Architecture with { DiscriminatorOutputs = 8 } }));
        Assert.Contains("does not take a D that packs 2 shapes", Refusal(pack with { Loss = AdversarialLoss.WassersteinGp, R1Gamma = 0f }));
        Assert.Contains("gives D's batch norm one pack of 4 shapes; it needs at least 2 (a batch of 8 or more)",
            Refusal(Tiny() with { Architecture = Tiny().Architecture with { DiscriminatorPack = 4 } }));
        (Tiny() with { BatchSize = 8, Architecture = Tiny().Architecture with { DiscriminatorPack = 4 } }).Validate();
    }

    /// <summary>
    /// MSGAN's term with squared distances, in float64: λ / (r + ε), r = mean (a − b)² / mean (z_a − z_b)² over the pairs of the
    /// batch's halves (shape i with shape half + i), and its gradient in each shape.
    /// </summary>
    private static (double Term, double[] Gradient) ModeSeekingReference(float[] fake, float[] z, int n, double weight)
    {
        int half = n / 2, v = fake.Length / n, k = z.Length / n;
        double MeanSquared(float[] x, int per) =>
            Enumerable.Range(0, half * per).Average(j => Math.Pow((double)x[j] - x[half * per + j], 2));
        double dz = MeanSquared(z, k), r = MeanSquared(fake, v) / dz;
        double term = weight / (r + GanTrainingOptions.ModeSeekingEpsilon);
        var gradient = new double[fake.Length];
        for (int j = 0; j < half * v; j++)
        {
            // d term / d a_j = −λ / (r + ε)² · 2 (a_j − b_j) / (half·v·dz); b_j gets the opposite.
            double g = -weight / Math.Pow(r + GanTrainingOptions.ModeSeekingEpsilon, 2) * 2 * ((double)fake[j] - fake[half * v + j]) / (half * v * dz);
            gradient[j] = g;
            gradient[half * v + j] = -g;
        }
        return (term, gradient);
    }

    [Fact]
    public void TheModeSeekingTermIsMsgansWithSquaredDistancesAndItsGradientFollows()
    {
        using var be = new CpuBackend(threads: 2);
        var rng = new Random(5);
        // Five shapes: pairs (0, 2) and (1, 3); the odd one out gets no gradient.
        const int n = 5;
        var fake = Enumerable.Range(0, n * 2 * 3 * 3).Select(_ => (float)(0.05 + 0.9 * rng.NextDouble())).ToArray();
        var z = Enumerable.Range(0, n * 6).Select(_ => (float)(rng.NextDouble() * 4 - 2)).ToArray();
        var fakeTensor = Tensor.FromArray(fake, new Shape(n, 1, 2, 3, 3), be);
        fakeTensor.RequiresGrad = true;
        var term = AdversarialTrainer.ModeSeekingTerm(fakeTensor, Tensor.FromArray(z, new Shape(n, 6), be), 0.3f);
        term.Backward();
        var (expected, gradient) = ModeSeekingReference(fake, z, n, 0.3);
        Assert.Equal(expected, term.Item(), 1e-5 * expected);
        TestSupport.AssertClose("d term / d shapes", gradient, fakeTensor.Grad!.ToArray(), 1e-5 * gradient.Max(Math.Abs), 1e-4);
        Assert.All(fakeTensor.Grad!.ToArray()[(4 * 18)..], g => Assert.Equal(0f, g));
    }

    [Fact]
    public void AModeSeekingRunReportsItsTermOnItsFirstBatchAndChangesOnlyGsUpdate()
    {
        using var be = new CpuBackend(threads: 2);
        var options = WithSetting("r1+mode seeking");
        float[] fake, z;
        using (var probe = new ProbeTrainer(options, Shapes, be))
        {
            (fake, z) = probe.FirstBatch();
        }
        using var t = new GanTrainer(options, Shapes, be);
        using var plain = new GanTrainer(options with { ModeSeeking = 0 }, Shapes, be);
        var r = t.TrainStep();
        var p = plain.TrainStep();
        Assert.Equal(ModeSeekingReference(fake, z, options.BatchSize, options.ModeSeeking).Term, r.ModeSeeking, 1e-4 * r.ModeSeeking);
        // loss_g is the adversarial part alone; the report has the term beside it.
        Assert.Equal((p.LossD, p.LossG), (r.LossD, r.LossG));
        Assert.Contains(("loss_mode_seeking", (double)r.ModeSeeking), r.ToReport(true).Metrics);
        Assert.DoesNotContain(p.ToReport(true).Metrics, c => c.Name == "loss_mode_seeking");
        Assert.Equal(Flat(plain.D), Flat(t.D));
        Assert.NotEqual(Flat(plain.G), Flat(t.G));
    }

    [Fact]
    public void AModeSeekingTermThatOverflowsStopsTheRun()
    {
        // λ is finite but the term λ / (r + ε) is not: G's update took it, so the run must stop as for a non-finite loss.
        using var be = new CpuBackend(threads: 2);
        using var t = new GanTrainer(WithSetting("r1+mode seeking") with { ModeSeeking = 1e38f }, Shapes, be);
        var ex = Assert.Throws<TrainingDivergedException>(() => t.TrainStep());
        Assert.Contains("the G mode-seeking loss became Infinity at iteration 1", ex.Message);
    }

    [Fact]
    public void SeveralDStepsAGStepTakeABatchEachBeforeGsStep()
    {
        using var be = new CpuBackend(threads: 2);
        var options = WithSetting("wgan-gp+3 d steps");
        using var t = new GanTrainer(options, Shapes, be);
        var g0 = Flat(t.G);
        var r = t.TrainStep();
        // D after one iteration is D after three updates on the next three batches and codes of a run with G left alone
        // (the critic's steps come first; G's step leaves D as it is).
        using (var probe = new ProbeTrainer(options with { DSteps = 1 }, Shapes, be))
        {
            var d0 = Flat(probe.D);
            probe.DStep();
            probe.DStep();
            Assert.NotEqual(Flat(probe.D), Flat(t.D));
            probe.DStep();
            Assert.Equal(Flat(probe.D), Flat(t.D));
            Assert.NotEqual(d0, Flat(t.D));
        }
        Assert.Equal((3L, 1L), (t.OptD.StepCount, t.OptG.StepCount));
        Assert.NotEqual(g0, Flat(t.G));
        Assert.Equal(1.0, r.DUpdateFraction);
    }

    /// <summary>Each 2×2×2 block of (N, 1, D, H, W) replaced by its mean, in float64.</summary>
    private static double[] NaiveBlockMeans(float[] x, int n, int d, int h, int w)
    {
        var y = new double[x.Length];
        for (int b = 0; b < n; b++)
        for (int z = 0; z < d; z += 2)
        for (int r = 0; r < h; r += 2)
        for (int c = 0; c < w; c += 2)
        {
            double sum = 0;
            for (int i = 0; i < 8; i++)
            {
                sum += x[((b * d + z + (i >> 2)) * h + r + ((i >> 1) & 1)) * w + c + (i & 1)];
            }
            for (int i = 0; i < 8; i++)
            {
                y[((b * d + z + (i >> 2)) * h + r + ((i >> 1) & 1)) * w + c + (i & 1)] = sum / 8;
            }
        }
        return y;
    }

    [Fact]
    public void BlockMeansAreEachBlocksMeanAndTheirGradientIsTheBlockMeansOfTheUpstreamGradient()
    {
        using var be = new CpuBackend(threads: 2);
        using var t = new ProbeTrainer(Tiny(), Shapes, be);
        var rng = new Random(5);
        var x = Enumerable.Range(0, 2 * 6 * 4 * 8).Select(_ => (float)rng.NextDouble()).ToArray();
        var up = Enumerable.Range(0, x.Length).Select(_ => (float)(rng.NextDouble() - 0.5)).ToArray();
        var shape = new Shape(2, 1, 6, 4, 8);
        var xt = Tensor.FromArray(x, shape, be);
        xt.RequiresGrad = true;
        var y = t.Blocks(xt);
        Engine.TestSupport.AssertClose("block means", NaiveBlockMeans(x, 2, 6, 4, 8), y.ToArray(), 1e-6, 1e-6);
        // The map is symmetric (an orthogonal projection): its backward is itself.
        y.Backward(Tensor.FromArray(up, shape, be));
        Engine.TestSupport.AssertClose("block means' backward", NaiveBlockMeans(up, 2, 6, 4, 8), xt.Grad!.ToArray(), 1e-6, 1e-6);
        Assert.Throws<ArgumentException>(() => t.Blocks(Tensor.FromArray(new float[2 * 5 * 4 * 4], new Shape(2, 1, 5, 4, 4), be)));
    }

    [Fact]
    public void WhileTheResolutionGrowsDSeesBlockMeansFadingIntoTheShapes()
    {
        var grow = Tiny() with { GrowIterations = 4 };
        Assert.Equal([1f, 1f, 1f, 0.75f, 0.5f, 0.25f, 0f, 0f], new long[] { 0, 3, 4, 5, 6, 7, 8, 20 }.Select(grow.CoarseBlendAt));
        Assert.Equal(0f, Tiny().CoarseBlendAt(0));
        Assert.Contains("iterations at half resolution -1 must be ≥ 0", Assert.Throws<ArgumentException>((grow with { GrowIterations = -1 }).Validate).Message);
        Assert.Equal(grow, GanTrainingOptions.FromJson(grow.ToJson(), "test"));
        Assert.Equal(0L, GanTrainingOptions.FromJson(Without(grow, "GrowIterations"), "test").GrowIterations);

        using var be = new CpuBackend(threads: 2);
        using var t = new ProbeTrainer(grow, Shapes, be);
        var shapes = new float[4 * 32 * 32 * 32];
        Shapes.FillBatch([0, 1, 2, 3], shapes);
        var x = Tensor.FromArray(shapes, new Shape(4, 1, 32, 32, 32), be);
        var blocks = NaiveBlockMeans(shapes, 4, 32, 32, 32);
        double[] Blend(double alpha) => shapes.Select((v, i) => v + alpha * (blocks[i] - v)).ToArray();
        foreach (var (step, alpha) in new[] { (0, 1.0), (4, 1.0), (5, 0.75), (7, 0.25), (8, 0.0) })
        {
            while (t.Step < step)
            {
                t.Advance();
            }
            Engine.TestSupport.AssertClose($"what D sees at step {step}", Blend(alpha), t.AsDSees(x).ToArray(), 1e-6, 1e-6);
        }
    }

    [Fact]
    public void DStepsAreCheckedSavedAndAnOlderConfigurationHasOne()
    {
        var steps = WithSetting("wgan-gp+3 d steps");
        Assert.Equal(steps, GanTrainingOptions.FromJson(steps.ToJson(), "test"));
        Assert.Equal(1, GanTrainingOptions.FromJson(Without(steps, "DSteps"), "test").DSteps);
        string Refusal(GanTrainingOptions o) => Assert.Throws<ArgumentException>(o.Validate).Message;
        Assert.Contains("D's updates a G step 0 must be in 1..20", Refusal(steps with { DSteps = 0 }));
        Assert.Contains("D's updates a G step 21 must be in 1..20", Refusal(steps with { DSteps = 21 }));
        Assert.Contains("2 D updates a G step are a 3D-GAN's", Refusal(new VaeGanTrainingOptions(Tiny() with { DSteps = 2 })));
        Assert.Contains("2 D updates a G step are a 3D-GAN's", Refusal(new LatentModelOptions(Tiny() with { DSteps = 2 })));
    }

    [Fact]
    public void TheModeSeekingWeightIsCheckedSavedAndAnOlderConfigurationHasNone()
    {
        var ms = WithSetting("r1+mode seeking");
        Assert.Equal(ms, GanTrainingOptions.FromJson(ms.ToJson(), "test"));
        Assert.Equal(0f, GanTrainingOptions.FromJson(Without(ms, "ModeSeeking"), "test").ModeSeeking);
        string Refusal(GanTrainingOptions o) => Assert.Throws<ArgumentException>(o.Validate).Message;
        Assert.Contains("mode-seeking weight -1 must be finite and non-negative", Refusal(ms with { ModeSeeking = -1f }));
        Assert.Contains("must be finite", Refusal(ms with { ModeSeeking = float.PositiveInfinity }));
        Assert.Contains("must be finite", Refusal(ms with { ModeSeeking = float.NaN }));
        Assert.Contains("the 3D-VAE-GAN's G learns its variety from the reconstruction term", Refusal(new VaeGanTrainingOptions(Tiny() with { ModeSeeking = 1f })));
        Assert.Contains("a latent model's G is a decoder without an adversarial loss", Refusal(new LatentModelOptions(Tiny() with { ModeSeeking = 1f })));
    }

    [Fact]
    public void InstanceNoiseFallsLinearlyToZeroOverItsIterations()
    {
        var noise = Tiny() with { InstanceNoise = 0.4f, InstanceNoiseIterations = 4 };
        Assert.Equal([0.4f, 0.3f, 0.2f, 0.1f, 0f, 0f], new long[] { 0, 1, 2, 3, 4, 9 }.Select(noise.InstanceNoiseAt));
        Assert.Equal(0.4f, (noise with { InstanceNoiseIterations = 0 }).InstanceNoiseAt(1000)); // 0: constant
        Assert.Equal(0f, Tiny().InstanceNoiseAt(0));
        Assert.Throws<ArgumentException>(() => (Tiny() with { InstanceNoise = -0.1f }).Validate());
        Assert.Throws<ArgumentException>(() => (Tiny() with { InstanceNoise = float.NaN }).Validate());
        Assert.Equal(noise, GanTrainingOptions.FromJson(noise.ToJson(), "test"));
        var old = GanTrainingOptions.FromJson(Without(noise, "InstanceNoise", "InstanceNoiseIterations"), "test");
        Assert.Equal((0f, 0L), (old.InstanceNoise, old.InstanceNoiseIterations));
    }

    [Fact]
    public void DSeesGaussianNoiseOfTheIterationsLevelAndNoneOnceItIsAnnealed()
    {
        using var be = new CpuBackend(threads: 2);
        using var t = new ProbeTrainer(Tiny() with { InstanceNoise = 0.4f, InstanceNoiseIterations = 4 }, Shapes, be);
        var shapes = new float[4 * 32 * 32 * 32];
        Shapes.FillBatch([0, 1, 2, 3], shapes);
        var x = Tensor.FromArray(shapes, new Shape(4, 1, 32, 32, 32), be);
        (double Mean, double Std) NoiseOf(Tensor noisy)
        {
            var d = noisy.ToArray().Select((v, i) => (double)v - shapes[i]).ToArray();
            double mean = d.Average();
            return (mean, Math.Sqrt(d.Select(v => (v - mean) * (v - mean)).Average()));
        }
        // 131072 draws: the sample σ is within 1% of the true one with overwhelming probability.
        var (m0, s0) = NoiseOf(t.AsDSees(x));
        Assert.InRange(s0, 0.4 * 0.99, 0.4 * 1.01);
        Assert.InRange(m0, -0.01, 0.01);
        t.Advance();
        t.Advance();
        var (_, s2) = NoiseOf(t.AsDSees(x));
        Assert.InRange(s2, 0.2 * 0.99, 0.2 * 1.01);
        t.Advance();
        t.Advance();
        ulong offset = t.StreamOffset;
        Assert.Same(x, t.AsDSees(x)); // annealed: the shapes themselves, and nothing drawn
        Assert.Equal(offset, t.StreamOffset);

        // With noise, D's loss at the first step is not the noise-free one; the same seed without noise gives that.
        using var noisy = new ProbeTrainer(Tiny() with { InstanceNoise = 0.5f, InstanceNoiseIterations = 4 }, Shapes, be);
        using var clean = new ProbeTrainer(Tiny(), Shapes, be);
        var (realClean, fakeClean, cleanStep, _) = clean.Probe();
        var (_, _, noisyStep, _) = noisy.Probe();
        Assert.NotEqual(cleanStep.Loss, noisyStep.Loss);
        Assert.True(realClean.Length == 4 && fakeClean.Length == 4);
    }

    [Fact]
    public void TheR1PenaltyIsCheckedSavedAndOffInAnOlderConfiguration()
    {
        var r1 = WithSetting("r1");
        r1.Validate();
        Assert.Equal(r1, GanTrainingOptions.FromJson(r1.ToJson(), "test"));
        var old = GanTrainingOptions.FromJson(Without(r1, "R1Gamma", "R1Every"), "test");
        Assert.Equal((0f, 1), (old.R1Gamma, old.R1Every));
        Assert.Contains("batch norm", Assert.Throws<ArgumentException>(() => (Tiny() with { R1Gamma = 1f }).Validate()).Message);
        (r1 with { Architecture = r1.Architecture with { MinibatchStd = true } }).Validate(); // its gradient is written out too
        Assert.Throws<ArgumentException>(() => (r1 with { R1Gamma = -1f }).Validate());
        Assert.Throws<ArgumentException>(() => (r1 with { R1Gamma = float.PositiveInfinity }).Validate());
        Assert.Throws<ArgumentException>(() => (r1 with { R1Every = 0 }).Validate());
        (Tiny() with { R1Every = 4 }).Validate(); // an interval without a penalty is harmless
    }

    [Fact]
    public void TheLoggedPenaltyIsTheR1TermOfItsLastPenalisedUpdate()
    {
        using var be = new CpuBackend(threads: 2);
        // γ 10 on every 2nd update: updates 1 and 3 are penalised, update 2 reports update 1's term again.
        using var t = new ProbeTrainer(WithSetting("r1"), Shapes, be);
        var first = t.R1Update();
        var second = t.R1Update();
        var third = t.R1Update();
        TestContext.Current.TestOutputHelper?.WriteLine($"reported {first.Reported}, {second.Reported}, {third.Reported}; expected {first.Expected:G6}, {third.Expected:G6}");
        Assert.True(first.Expected > 0);
        Assert.Equal(first.Expected, first.Reported, 1e-5 * first.Expected);
        Assert.Equal(first.Reported, second.Reported);
        Assert.Equal(third.Expected, third.Reported, 1e-5 * third.Expected);
        Assert.NotEqual(first.Reported, third.Reported);

        // Only a run with a penalty logs the column, and the first row of a WGAN-GP run has one.
        using var r1 = new GanTrainer(WithSetting("r1"), Shapes, be);
        using var plain = new GanTrainer(WithSetting("none"), Shapes, be);
        using var wgan = new GanTrainer(WithSetting("wgan-gp"), Shapes, be);
        Assert.Contains(r1.Train().Metrics, m => m.Name == "loss_penalty" && m.Value > 0);
        Assert.DoesNotContain(plain.Train().Metrics, m => m.Name == "loss_penalty");
        Assert.Contains(wgan.Train().Metrics, m => m.Name == "loss_penalty" && m.Value > 0);
    }

    [Fact]
    public void AStrongR1PenaltyFlattensDAroundRealShapes()
    {
        // The same run with and without the penalty: D's input gradient on real shapes must come out much
        // smaller with it (a penalty left out of D's loss, or with its sign flipped, fails this).
        using var be = new CpuBackend(threads: 2);
        double SquaredGradient(float gamma)
        {
            var options = WithSetting("r1") with { R1Gamma = gamma, R1Every = 1, DAccuracyThreshold = 1f };
            using var t = new GanTrainer(options, Shapes, be);
            for (int i = 0; i < 6; i++)
            {
                t.TrainStep();
            }
            var batch = new float[4 * 32 * 32 * 32];
            Shapes.FillBatch([0, 1, 2, 3], batch);
            using var noGrad = Autograd.NoGrad();
            var g = t.D.ForwardWithInputGradient(Tensor.FromArray(batch, new Shape(4, 1, 32, 32, 32), be)).InputGradient.ToArray();
            return g.Sum(v => (double)v * v) / 4;
        }
        double without = SquaredGradient(0f), with = SquaredGradient(1e4f);
        TestContext.Current.TestOutputHelper?.WriteLine($"mean ‖∇ₓD‖² after 6 steps: γ 0 {without:G4}, γ 1e4 {with:G4}");
        Assert.True(with < without / 4, $"γ 1e4 left mean ‖∇ₓD‖² at {with:G4} against {without:G4} without the penalty");
    }

    [Fact]
    public void AVaeGanTrainsWithTheStudysDAndLoss()
    {
        using var be = new CpuBackend(threads: 2);
        var gan = WithSetting("spectral+hinge+mbstd") with { InstanceNoise = 0.1f, InstanceNoiseIterations = 10 };
        var options = new VaeGanTrainingOptions(gan) { ImageSize = 16 };
        using var t = new VaeGanTrainer(options, Shapes, be);
        var d0 = Flat(t.D);
        for (int i = 0; i < 2; i++)
        {
            var r = t.TrainStep();
            Assert.True(float.IsFinite(r.LossD) && float.IsFinite(r.LossTotal), $"step {r.Step}: losses {r.LossD}, {r.LossTotal}");
        }
        Assert.NotEqual(d0, Flat(t.D));
        string ck = Path.Combine(_dir, "vae.safetensors");
        t.Save(ck);
        using var resumed = VaeGanTrainer.Resume(ck, Shapes, be);
        Assert.Equal(options, resumed.VaeOptions);
        Assert.Equal(t.TrainStep().LossTotal, resumed.TrainStep().LossTotal);
    }
}
