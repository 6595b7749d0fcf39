using System.Globalization;
using System.Reflection;
using Gan3D.Data;
using Gan3D.Models;
using Gan3D.Tensors;

namespace Gan3D.Tests.Models;

/// <summary>The training recipes a library user shares with gan3d: presets, options from overrides, resume of any model, evaluation baselines.</summary>
public sealed class RecipeTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("gan3d-recipes-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static readonly VoxelDataset Shapes = ShapeFamilies.CreateMixedDataset(12, 32, seed: 5);

    private static float[] Flat(Gan3D.Nn.Module m) => m.Parameters().SelectMany(p => p.ToArray()).ToArray();

    [Fact]
    public void PresetsHoldTheValuesTheCommandLineUsed()
    {
        // The values of gan3d train's presets before they moved into the library, written out; since then
        // the quick preset's 3D-VAE-GAN carries the reconstruction weight that was measured to work.
        Assert.Equal(new TrainingPreset("quick", 32, 0.25, 32, 0.0025f, 1e-4f, 1500, 250, 250, 50, LatentDistribution.Normal, 0.995f, 1e-2f,
            GanDiscriminator: new DiscriminatorRecipe(DiscriminatorNorm.None, 1e-3f, 1f, 10f, 4, MinibatchStd: true), GanIterations: 4500, GanBatchSize: 16, GanProceduralPerFamily: 500), TrainingPreset.Quick);
        // The quick preset's 3D-GAN trains longer than its 3D-VAE-GAN, in batches of 16 on 500 built-in shapes a family; the others train as long; a latent model has its own.
        Assert.Equal((4500L, 1500L, 3000L), (TrainingPreset.Quick.IterationsFor(false, false), TrainingPreset.Quick.IterationsFor(true, false), TrainingPreset.Quick.IterationsFor(false, true)));
        Assert.Equal((4500L, 4500L), (TrainingPreset.Standard.IterationsFor(false, false), TrainingPreset.Standard.IterationsFor(true, false)));
        Assert.Equal(new TrainingPreset("paper", 64, 1.0, 100, 0.0025f, 1e-5f, 20000, 500, 1000, 200, LatentDistribution.Uniform, 0f), TrainingPreset.Paper);
        Assert.Same(TrainingPreset.Quick, TrainingPreset.Find("QUICK"));
        Assert.Same(TrainingPreset.Paper, TrainingPreset.Find("paper"));
        Assert.Same(TrainingPreset.Standard, TrainingPreset.Find("Standard"));
        Assert.Null(TrainingPreset.Find("fast"));
        Assert.Same(TrainingPreset.Paper, TrainingPreset.For(DeviceKind.Cuda));
        Assert.Same(TrainingPreset.Quick, TrainingPreset.For(DeviceKind.Cpu));
        Assert.Same(TrainingPreset.Quick, TrainingPreset.For(DeviceKind.IlgpuCpu));
        var session = TrainingPreset.Paper.Session(checkpointEvery: 7);
        Assert.Equal((20000L, 500, 7), (session.Iterations, session.SampleEvery, session.CheckpointEvery));
    }

    [Fact]
    public void TheStandardPresetIsTheQuickRecipeWiderAndLonger()
    {
        // docs/quality.md measured "standard" as the quick recipe with only the width and the length changed:
        // every other setting (rates, batch, z, G's average, a 3D-VAE-GAN's α2) must stay the quick one's, but for
        // the 3D-GAN's D: quick's R1 D at the paper D's 1e-4 (at 1e-3 it diverged in one run of three at this width), without
        // the minibatch std channel (measured on the families only), and its batch: quick's 3D-GAN trains in batches of 16
        // (measured on the families only), standard's in the shared 32.
        var wider = new TrainingOverrides { Width = TrainingPreset.Standard.Width };
        Assert.Equal(new DiscriminatorRecipe(DiscriminatorNorm.None, 1e-4f, 1f, 10f, 4), TrainingPreset.Standard.GanDiscriminator);
        Assert.Equal(TrainingPreset.Quick.GanOptions(wider with { LearningRateD = 1e-4f, MinibatchStd = false, BatchSize = 32 }), TrainingPreset.Standard.GanOptions(new TrainingOverrides()));
        Assert.Equal((16, 32, 32), (TrainingPreset.Quick.GanOptions(new TrainingOverrides()).BatchSize, TrainingPreset.Quick.VaeGanOptions(new TrainingOverrides()).BatchSize, TrainingPreset.Quick.BatchSize));
        // --d-norm batch gives either preset the paper's D, at the same rate.
        Assert.Equal(TrainingPreset.Quick.GanOptions(wider with { DiscriminatorNorm = DiscriminatorNorm.Batch, BatchSize = 32 }),
            TrainingPreset.Standard.GanOptions(new TrainingOverrides { DiscriminatorNorm = DiscriminatorNorm.Batch }));
        Assert.Equal(TrainingPreset.Quick.VaeGanOptions(wider), TrainingPreset.Standard.VaeGanOptions(new TrainingOverrides()));
        Assert.Equal(2 * TrainingPreset.Quick.Width, TrainingPreset.Standard.Width);
        Assert.Equal(3 * TrainingPreset.Quick.Iterations, TrainingPreset.Standard.Iterations);
        Assert.Equal(TrainingPreset.Quick.ProceduralPerFamily, TrainingPreset.Standard.ProceduralPerFamily);
    }

    [Fact]
    public void APresetPlusOverridesGivesTheOptionsTheCommandLineGave()
    {
        // train --preset quick: batch 16, D without norm and with a minibatch std channel at 1e-3 on every batch, R1 γ 10 on every 4th update.
        var quick = new GanTrainingOptions
        {
            Architecture = new GanArchitecture(32, 0.25) { DiscriminatorNorm = DiscriminatorNorm.None, MinibatchStd = true },
            BatchSize = 16,
            LearningRateG = 0.0025f,
            LearningRateD = 1e-3f,
            DAccuracyThreshold = 1f,
            Latent = LatentDistribution.Normal,
            GeneratorEma = 0.995f,
            R1Gamma = 10f,
            R1Every = 4,
        };
        Assert.Equal(quick, TrainingPreset.Quick.GanOptions(new TrainingOverrides()));
        // train --preset quick --d-norm spectral --r1 0: the recipe's other settings stay.
        Assert.Equal(quick with { R1Gamma = 0f, Architecture = quick.Architecture with { DiscriminatorNorm = DiscriminatorNorm.Spectral } },
            TrainingPreset.Quick.GanOptions(new TrainingOverrides { DiscriminatorNorm = DiscriminatorNorm.Spectral, R1Gamma = 0f }));
        // The channel is the recipe's unless the overrides say (--minibatch-std false); batch norm or WGAN-GP get the paper's
        // D (batch norm, 1e-4, the 80% rule, no R1, no channel) under the overrides, the study settings among them.
        Assert.Equal(quick, TrainingPreset.Quick.GanOptions(new TrainingOverrides { MinibatchStd = true }));
        Assert.Equal(quick with { Architecture = quick.Architecture with { MinibatchStd = false } }, TrainingPreset.Quick.GanOptions(new TrainingOverrides { MinibatchStd = false }));
        var paperD = quick with { LearningRateD = 1e-4f, DAccuracyThreshold = 0.8f, R1Gamma = 0f, R1Every = 1, Architecture = new GanArchitecture(32, 0.25) };
        Assert.Equal(paperD, TrainingPreset.Quick.GanOptions(new TrainingOverrides { DiscriminatorNorm = DiscriminatorNorm.Batch }));
        Assert.Equal(paperD with { LearningRateD = 4e-4f, Architecture = paperD.Architecture with { MinibatchStd = true } },
            TrainingPreset.Quick.GanOptions(new TrainingOverrides { MinibatchStd = true, DiscriminatorNorm = DiscriminatorNorm.Batch, LearningRateD = 4e-4f }));
        // WGAN-GP's critic trains on every batch (its scores have no sign to be accurate with).
        Assert.Equal(paperD with { Loss = AdversarialLoss.WassersteinGp, DAccuracyThreshold = 1f },
            TrainingPreset.Quick.GanOptions(new TrainingOverrides { Loss = AdversarialLoss.WassersteinGp }));

        // train --preset paper --resolution 32 --width 0.5 --batch-size 8 --lr-g 0.001 --lr-d 0.002 --d-threshold 0.7 --latent normal --g-ema 0.9 --seed 5
        var overrides = new TrainingOverrides
        {
            Resolution = 32,
            Width = 0.5,
            BatchSize = 8,
            LearningRateG = 0.001f,
            LearningRateD = 0.002f,
            DAccuracyThreshold = 0.7f,
            Latent = LatentDistribution.Normal,
            GeneratorEma = 0.9f,
            Seed = 5,
        };
        var gan = new GanTrainingOptions
        {
            Architecture = new GanArchitecture(32, 0.5),
            BatchSize = 8,
            LearningRateG = 0.001f,
            LearningRateD = 0.002f,
            DAccuracyThreshold = 0.7f,
            Latent = LatentDistribution.Normal,
            GeneratorEma = 0.9f,
            Seed = 5,
        };
        Assert.Equal(gan, TrainingPreset.Paper.GanOptions(overrides));
        // The encoder's overrides are a 3D-VAE-GAN's only.
        Assert.Equal(gan, TrainingPreset.Paper.GanOptions(overrides with { ImageSize = 16, KlWeight = 1, Rgb = true }));

        // train --model vae-gan --preset quick: z ~ N(0, I), no moving average, α2 = 1e-2, the encoder's defaults.
        var vae = TrainingPreset.Quick.VaeGanOptions(new TrainingOverrides());
        Assert.Equal(new VaeGanTrainingOptions
        {
            Architecture = new GanArchitecture(32, 0.25),
            BatchSize = 32,
            LearningRateG = 0.0025f,
            LearningRateD = 1e-4f,
            Latent = LatentDistribution.Normal,
            GeneratorEma = 0f,
            ImageSize = 64,
            KlWeight = 5f,
            ReconstructionWeight = 1e-2f,
            LearningRateE = 1e-4f,
        }, vae);

        // train --model vae-gan --preset paper with every option given.
        var views = new ViewSampling { AzimuthMin = 10, AzimuthMax = 20, ElevationMin = 5, ElevationMax = 15 };
        var vaeOverrides = overrides with
        {
            GeneratorEma = null,
            ImageSize = 16,
            Rgb = true,
            KlWeight = 2f,
            ReconstructionWeight = 0.01f,
            LearningRateE = 0.003f,
            Views = views,
        };
        Assert.Equal(new VaeGanTrainingOptions
        {
            Architecture = new GanArchitecture(32, 0.5),
            BatchSize = 8,
            LearningRateG = 0.001f,
            LearningRateD = 0.002f,
            DAccuracyThreshold = 0.7f,
            Latent = LatentDistribution.Normal,
            GeneratorEma = 0f,
            Seed = 5,
            ImageSize = 16,
            Rgb = true,
            KlWeight = 2f,
            ReconstructionWeight = 0.01f,
            LearningRateE = 0.003f,
            Views = views,
        }, TrainingPreset.Paper.VaeGanOptions(vaeOverrides));
        // An explicit latent distribution and average reach the 3D-VAE-GAN too (its Validate refuses a uniform z).
        var explicitVae = TrainingPreset.Quick.VaeGanOptions(new TrainingOverrides { Latent = LatentDistribution.Uniform, GeneratorEma = 0.5f });
        Assert.Equal((LatentDistribution.Uniform, 0.5f), (explicitVae.Latent, explicitVae.GeneratorEma));
    }

    [Fact]
    public void TheVaeGanOptionsKeepEveryGanSetting()
    {
        var gan = new GanTrainingOptions
        {
            Architecture = new GanArchitecture(32, 0.5, LatentDim: 16),
            BatchSize = 7,
            LearningRateG = 0.1f,
            LearningRateD = 0.2f,
            Beta1 = 0.3f,
            Beta2 = 0.4f,
            DAccuracyThreshold = 0.6f,
            Latent = LatentDistribution.Normal,
            GeneratorEma = 0.5f,
            Seed = 9,
        };
        var vae = new VaeGanTrainingOptions(gan);
        var settings = typeof(GanTrainingOptions).GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.CanWrite).ToList();
        Assert.True(settings.Count >= 10, string.Join(", ", settings.Select(p => p.Name)));
        foreach (var p in settings)
        {
            Assert.True(Equals(p.GetValue(gan), p.GetValue(vae)), $"{p.Name}: {p.GetValue(gan)} became {p.GetValue(vae)}");
        }
        var defaults = new VaeGanTrainingOptions();
        Assert.Equal((defaults.ImageSize, defaults.Rgb, defaults.EncoderWidth, defaults.LearningRateE, defaults.KlWeight, defaults.ReconstructionWeight, defaults.Views),
            (vae.ImageSize, vae.Rgb, vae.EncoderWidth, vae.LearningRateE, vae.KlWeight, vae.ReconstructionWeight, vae.Views));
    }

    /// <summary>A tiny 32³ network (G 16-8-4-1, D 4-8-16-1, z of 8) for either model; the 3D-VAE-GAN's encoder sees 16×16 grey images.</summary>
    private static GanTrainingOptions Tiny(bool vae)
    {
        var overrides = new TrainingOverrides { Width = 1.0 / 16, BatchSize = 4, Seed = 13, ImageSize = 16 };
        var options = vae ? TrainingPreset.Quick.VaeGanOptions(overrides) : TrainingPreset.Quick.GanOptions(overrides);
        return options with { Architecture = options.Architecture with { LatentDim = 8 } };
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ResumeRestoresEitherModelItsStepWeightsAndStreams(bool vae)
    {
        using var be = new CpuBackend(threads: 2);
        var options = Tiny(vae);
        string run = Directory.CreateDirectory(Path.Combine(_dir, "run")).FullName;
        using var original = AdversarialTrainer.Create(options, Shapes, be);
        Assert.IsType(vae ? typeof(VaeGanTrainer) : typeof(GanTrainer), original);
        for (int i = 0; i < 3; i++)
        {
            original.Train();
        }
        original.RunMetadata["data"] = "procedural";
        original.RunMetadata["iterations"] = "40";
        original.RunMetadata["broken"] = "-1";
        original.Save(Path.Combine(run, "checkpoint.safetensors"));

        // A run folder opens as its checkpoint, read without building a network.
        var ck = TrainingCheckpoint.Open(run);
        Assert.Equal(Path.Combine(run, "checkpoint.safetensors"), ck.Path);
        Assert.Equal(run, ck.Folder);
        Assert.Equal(vae ? VaeGanTrainer.Model : GanTrainer.Model, ck.Model);
        Assert.Equal(vae, ck.IsVaeGan);
        Assert.Equal(options, ck.Options);
        Assert.Equal(options.GetType(), ck.Options.GetType());
        Assert.Equal((3L, (long)Shapes.Count), (ck.Step, ck.TrainedOn));
        Assert.Equal("procedural", ck.Note("data"));
        Assert.Null(ck.Note("pairs"));
        Assert.Equal(40, ck.Count("iterations", 1));
        Assert.Null(ck.Count("sample_every", 0));
        Assert.Contains("metadata 'run.broken' is '-1', not a count of 0 or more", Assert.Throws<InvalidDataException>(() => ck.Count("broken", 0)).Message);

        using var resumed = ck.Resume(Shapes, be);
        Assert.IsType(original.GetType(), resumed);
        Assert.Equal(3, resumed.Step);
        Assert.Equal(Flat(original.G), Flat(resumed.G));
        Assert.Equal(Flat(original.D), Flat(resumed.D));
        Assert.Equal(Flat(original.SamplingGenerator), Flat(resumed.SamplingGenerator));
        if (vae)
        {
            Assert.Equal(Flat(((VaeGanTrainer)original).E), Flat(((VaeGanTrainer)resumed).E));
        }
        Assert.Equal("40", resumed.RunMetadata["iterations"]);
        // The same data order, latent codes and optimiser state: the next iteration is the original's.
        Assert.Equal(original.Train().Metrics.Where(m => m.Name != "seconds"), resumed.Train().Metrics.Where(m => m.Name != "seconds"));
        Assert.Equal(Flat(original.G), Flat(resumed.G));
    }

    [Fact]
    public void WhatIsNotARunToResumeIsRefusedWithItsName()
    {
        using var be = new CpuBackend(threads: 2);
        string empty = Directory.CreateDirectory(Path.Combine(_dir, "empty")).FullName;
        Assert.Contains("empty: the folder holds no checkpoint.safetensors to resume", Assert.Throws<FileNotFoundException>(() => TrainingCheckpoint.Open(empty)).Message);
        string other = Path.Combine(_dir, "other.safetensors");
        Checkpoint.Save(other, [], [], new Dictionary<string, string> { ["model"] = "classifier" });
        Assert.Contains("other.safetensors: a 'classifier' checkpoint is not a training run to resume", Assert.Throws<InvalidDataException>(() => TrainingCheckpoint.Open(other)).Message);

        var images = TrainingImages.Rendered(Shapes, new EncoderArchitecture(16, 1, 1, 8), new ViewSampling());
        Assert.Throws<ArgumentException>(() => AdversarialTrainer.Create(Tiny(vae: false), Shapes, be, images));
        string gan = Path.Combine(_dir, "gan.safetensors");
        using (var t = AdversarialTrainer.Create(Tiny(vae: false), Shapes, be))
        {
            t.Save(gan);
        }
        Assert.Contains("trains on shapes only", Assert.Throws<ArgumentException>(() => TrainingCheckpoint.Open(gan).Resume(Shapes, be, images)).Message);
    }

    /// <summary>Per-voxel occupancy frequency in float64, counted from each grid's voxels.</summary>
    private static double[] Frequencies(VoxelDataset data)
    {
        var f = new double[data.VoxelsPerGrid];
        for (int n = 0; n < data.Count; n++)
        {
            var grid = data.GetGrid(n);
            for (int v = 0; v < f.Length; v++)
            {
                f[v] += grid.Array[v] != 0 ? 1.0 / data.Count : 0;
            }
        }
        return f;
    }

    private static double NaiveIou(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b)
    {
        double inter = 0, union = 0;
        for (int v = 0; v < a.Length; v++)
        {
            inter += a[v] != 0 && b[v] != 0 ? 1 : 0;
            union += a[v] != 0 || b[v] != 0 ? 1 : 0;
        }
        return union == 0 ? 1 : inter / union;
    }

    private static string Hash(VoxelDataset d, int i) => Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(d.GetGrid(i).Array));

    [Fact]
    public void TheBaselinesAreTrainingShapesTheMeanShapeAndNoiseAtItsOccupancy()
    {
        var train = ShapeFamilies.CreateDataset(2, 32, seed: 3, families: ["chair", "table", "sofa", "bed", "car"]);
        var reference = ShapeFamilies.CreateDataset(1, 32, seed: 9, families: ["chair", "table", "sofa", "bed", "car", "mug"]);
        var baselines = GenerationBaselines.Create(train, 6, seed: 4).ToList();
        Assert.Equal(["training_shapes", "mean_shape", "noise"], baselines.Select(b => b.Key));

        // Training shapes: 6 distinct ones of the 10.
        var ideal = baselines[0].Shapes;
        var trainHashes = Enumerable.Range(0, train.Count).Select(i => Hash(train, i)).ToHashSet();
        var picked = Enumerable.Range(0, ideal.Count).Select(i => Hash(ideal, i)).ToList();
        Assert.Equal(6, picked.Distinct().Count());
        Assert.All(picked, h => Assert.Contains(h, trainHashes));

        // The mean shape: frequencies above one half, six times; scored against the references as a float64 IoU says.
        var f = Frequencies(train);
        var expected = f.Select(x => x > 0.5 ? (byte)1 : (byte)0).ToArray();
        Assert.Contains((byte)1, expected);
        var mean = baselines[1].Shapes;
        Assert.Equal(6, mean.Count);
        for (int i = 0; i < mean.Count; i++)
        {
            Assert.Equal(expected, mean.GetGrid(i).Array);
        }
        var report = GenerationMetrics.Evaluate(ShapeSet.From(mean, ShapeDistance.Iou), ShapeSet.From(reference, ShapeDistance.Iou), ShapeDistance.Iou);
        double mmd = Enumerable.Range(0, reference.Count).Average(j => 1 - NaiveIou(expected, reference.GetGrid(j).Array));
        Assert.Equal(mmd, report.Mmd, 6);
        Assert.Equal(1.0 / reference.Count, report.Coverage, 9);

        // Noise at the mean occupancy, named with it.
        double occupancy = f.Average();
        Assert.Equal($"noise ({(occupancy * 100).ToString("F1", CultureInfo.InvariantCulture)}% occupied)", baselines[2].Name);
        var noise = baselines[2].Shapes;
        Assert.Equal(6, noise.Count);
        double occupied = Enumerable.Range(0, noise.Count).Sum(i => (double)noise.GetGrid(i).CountOccupied()) / (6.0 * noise.VoxelsPerGrid);
        Assert.InRange(occupied, occupancy - 0.005, occupancy + 0.005); // ≈ 10 standard deviations of 6·32³ draws

        // One seed, the same sets.
        var again = GenerationBaselines.Create(train, 6, seed: 4).ToList();
        Assert.Equal(baselines.Select(b => b.Shapes.ContentHash()), again.Select(b => b.Shapes.ContentHash()));
    }

    [Fact]
    public void AMeanShapeUnderOneHalfEverywhereIsCutAtHalfItsPeak()
    {
        // Three disjoint boxes: every frequency is 0 or 1/3, so 0.5 would leave the mean shape empty; at 1/6 it is their union.
        var grids = Enumerable.Range(0, 3).Select(n =>
        {
            var g = new VoxelGrid(32);
            for (int i = 0; i < 4; i++)
            {
                g[i + 8 * n, 2, 3] = true;
            }
            return g;
        }).ToList();
        var train = VoxelDataset.FromGrids(grids);
        var mean = GenerationBaselines.Create(train, 2, seed: 0).Single(b => b.Key == "mean_shape").Shapes;
        var union = new byte[32 * 32 * 32];
        foreach (var g in grids)
        {
            for (int v = 0; v < union.Length; v++)
            {
                union[v] |= g.Array[v];
            }
        }
        Assert.Equal(12, union.Count(b => b != 0));
        Assert.Equal(union, mean.GetGrid(0).Array);
        Assert.Equal(union, mean.GetGrid(1).Array);
    }

    [Fact]
    public void SampledShapesAreGsProbabilitiesThresholdedAcrossPackedChunks()
    {
        using var be = new CpuBackend(threads: 2);
        var g = new Generator3D(new GanArchitecture(32, 1.0 / 16, LatentDim: 8), be, new Rng(3));
        int count = Sampling.PackChunk + 3;
        var probabilities = Sampling.Sample(g, LatentDistribution.Normal, count, new Rng(4));
        var shapes = Sampling.Shapes(g, LatentDistribution.Normal, count, new Rng(4), threshold: 0.5f);
        Assert.Equal(count, shapes.Count);
        int vox = 32 * 32 * 32;
        long occupied = 0;
        foreach (int i in new[] { 0, 1, Sampling.PackChunk - 1, Sampling.PackChunk, count - 1 })
        {
            var expected = probabilities.AsSpan(i * vox, vox).ToArray().Select(p => p > 0.5f ? (byte)1 : (byte)0).ToArray();
            Assert.Equal(expected, shapes.GetGrid(i).Array);
            occupied += expected.Count(b => b != 0);
        }
        Assert.InRange(occupied, 1, 5L * vox - 1); // both sides of the threshold occur
    }

    [Fact]
    public void TheLibraryExampleTrainsResumesAndEvaluates()
    {
        // samples/TrainFromCode, the README's example, run as its own program would be: 3 iterations, files in a temporary folder.
        var entry = Assembly.Load("TrainFromCode").EntryPoint!;
        entry.Invoke(null, [new[] { "3", _dir }]);
        var ck = TrainingCheckpoint.Open(Path.Combine(_dir, "gan.safetensors"));
        Assert.Equal(1, ck.Step); // saved after the first half; the resumed run is not saved again
        Assert.Equal(TrainingPreset.Quick.GanOptions(new TrainingOverrides { BatchSize = 16, Seed = 1 }), ck.Options);
        Assert.True(new FileInfo(Path.Combine(_dir, "samples.png")).Length > 0);
    }
}
