using Gan3D.Data;
using Gan3D.Models;
using Gan3D.Tensors;

namespace Gan3D.Tests.Models;

/// <summary>The latent model (issue 17): its prior against float64 references, its encoder, its training and its checkpoints.</summary>
public sealed class LatentModelTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("gan3d-latent-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static readonly VoxelDataset Shapes = ShapeFamilies.CreateMixedDataset(24, 32, seed: 3);

    /// <summary>A tiny 32³ autoencoder (width 1/16, z of 8) that trains in milliseconds a step.</summary>
    private static LatentModelOptions Tiny(float lr = 1e-3f) => new(new GanTrainingOptions
    {
        Architecture = new GanArchitecture(32, 1.0 / 16, LatentDim: 8),
        BatchSize = 4,
        LearningRateG = lr,
        LearningRateD = lr,
        Beta1 = 0.9f,
        Seed = 7,
    })
    { Neighbours = 3 };

    private static float[] RandomCodes(int n, int z, ulong seed)
    {
        var rng = new Rng(seed);
        return Enumerable.Range(0, n * z).Select(_ => (float)(rng.NextDouble() * 4 - 2)).ToArray();
    }

    private static double Distance2(float[] codes, int z, int a, int b)
    {
        double s = 0;
        for (int k = 0; k < z; k++)
        {
            double t = (double)codes[a * z + k] - codes[b * z + k];
            s += t * t;
        }
        return s;
    }

    [Fact]
    public void NeighboursAreTheNearestCodesByAFloat64Reference()
    {
        const int n = 40, z = 7, m = 5;
        var codes = RandomCodes(n, z, 11);
        var prior = new NeighbourMixPrior(codes, n, z, m, 0.25f);
        for (int i = 0; i < n; i++)
        {
            var expected = Enumerable.Range(0, n).Where(j => j != i).OrderBy(j => Distance2(codes, z, i, j)).ThenBy(j => j).Take(m).ToArray();
            Assert.Equal(expected, prior.NearestOf(i).ToArray());
        }
    }

    [Theory]
    [InlineData(0f)]
    [InlineData(0.25f)]
    [InlineData(0.5f)]
    public void EveryDrawLiesBetweenACodeAndOneOfItsNeighboursWithinTheMargin(float margin)
    {
        const int n = 30, z = 6, m = 4;
        var codes = RandomCodes(n, z, 5);
        var prior = new NeighbourMixPrior(codes, n, z, m, margin);
        var draws = prior.Sample(200, new Rng(9));
        Assert.Equal(200 * z, draws.Length);
        double lowest = 1, highest = 0;
        for (int s = 0; s < 200; s++)
        {
            // The pair (a, b) and t whose point (1 − t)·a + t·b is nearest the draw, by float64 least squares.
            double bestResidual = double.PositiveInfinity, bestT = 0;
            for (int a = 0; a < n; a++)
            {
                foreach (int b in prior.NearestOf(a))
                {
                    double dot = 0, len = 0;
                    for (int k = 0; k < z; k++)
                    {
                        double ab = (double)codes[b * z + k] - codes[a * z + k];
                        dot += ((double)draws[s * z + k] - codes[a * z + k]) * ab;
                        len += ab * ab;
                    }
                    double t = dot / len, residual = 0;
                    for (int k = 0; k < z; k++)
                    {
                        double p = codes[a * z + k] + t * ((double)codes[b * z + k] - codes[a * z + k]);
                        residual += (draws[s * z + k] - p) * (draws[s * z + k] - p);
                    }
                    if (residual < bestResidual)
                    {
                        (bestResidual, bestT) = (residual, t);
                    }
                }
            }
            Assert.True(bestResidual < 1e-9, $"draw {s} is {Math.Sqrt(bestResidual):G3} away from every segment to a neighbour");
            Assert.InRange(bestT, margin - 1e-5, 1 - margin + 1e-5);
            lowest = Math.Min(lowest, bestT);
            highest = Math.Max(highest, bestT);
        }
        // t covers its range (200 draws of U[margin, 1 − margin)).
        Assert.InRange(lowest, margin - 1e-5, margin + 0.05);
        Assert.InRange(highest, 1 - margin - 0.05, 1 - margin + 1e-5);
    }

    [Fact]
    public void BadPriorSettingsAreClearErrors()
    {
        var codes = RandomCodes(5, 2, 1);
        Assert.Contains("neighbours 5 must be between 1 and 4", Assert.Throws<ArgumentException>(() => new NeighbourMixPrior(codes, 5, 2, 5, 0.25f)).Message);
        Assert.Contains("margin 0.6 must be in [0, 0.5]", Assert.Throws<ArgumentException>(() => new NeighbourMixPrior(codes, 5, 2, 2, 0.6f)).Message);
        Assert.Contains("are not 4 ≥ 2 codes of size 2", Assert.Throws<ArgumentException>(() => new NeighbourMixPrior(codes, 4, 2, 2, 0.25f)).Message);
        Assert.Contains("G's moving average (0.9) must be off", Assert.Throws<ArgumentException>(() => (Tiny() with { GeneratorEma = 0.9f }).Validate()).Message);
        Assert.Contains("the occupied voxels' weight 0 must be in (0, 100]", Assert.Throws<ArgumentException>(() => (Tiny() with { OccupiedWeight = 0 }).Validate()).Message);
        Assert.Contains("weight NaN must be in (0, 100]", Assert.Throws<ArgumentException>(() => (Tiny() with { OccupiedWeight = float.NaN }).Validate()).Message);
        Assert.Contains("D's outputs 3 must be 1 (a logit) or the latent size 8",
            Assert.Throws<ArgumentException>(() => new GanArchitecture(32, 0.25, 8) { DiscriminatorOutputs = 3 }.Validate()).Message);
    }

    [Fact]
    public void TheEncoderIsDsNetworkWithTheLatentSizeAsOutputs()
    {
        using var be = new CpuBackend(threads: 2);
        var arch = Tiny().Architecture;
        Assert.Equal(8, arch.DiscriminatorOutputs);
        using var e = new Discriminator3D(arch, be, new Rng(1));
        var stored = e.NamedParameters().Where(p => p.Name.EndsWith(".conv.weight", StringComparison.Ordinal)).Select(p => (p.Name, p.Value.Shape)).ToList();
        Assert.Equal(Discriminator3D.ConvWeightShapes(arch).ToList(), stored);
        Assert.Equal(new Shape(8, 16, 4, 4, 4), stored[^1].Shape); // (Z, the last stage's 256/16 channels, 4³)
        var codes = LatentModelTrainer.EncodeAll(e, Shapes.Subset([0, 1, 2]));
        Assert.Equal(3 * 8, codes.Length);
        // The shapes differ, so their codes do; each row is the encoder's own forward of that shape.
        e.Eval();
        var x = new float[32 * 32 * 32];
        Shapes.CopyTo(1, x);
        using var scope = MemoryScope.Begin();
        var one = e.Forward(Tensor.FromArray(x, new Shape(1, 1, 32, 32, 32), be)).ToArray();
        Assert.Equal(one, codes.AsSpan(8, 8).ToArray());
        Assert.NotEqual(codes.AsSpan(0, 8).ToArray(), codes.AsSpan(8, 8).ToArray());
    }

    [Fact]
    public void TheAutoencoderLearnsToReconstructItsShapes()
    {
        using var be = new CpuBackend(threads: 2);
        using var t = new LatentModelTrainer(Tiny(lr: 1e-2f), Shapes, be);
        var losses = Enumerable.Range(0, 60).Select(_ => t.Train()["loss_recon"]).ToList();
        TestContext.Current.TestOutputHelper?.WriteLine($"BCE first {losses[0]:F4}, last {losses[^1]:F4}");
        Assert.All(losses, l => Assert.True(double.IsFinite(l)));
        // At initialisation the output is near 0.5 everywhere: BCE ≈ ln 2. Learning must take it well below.
        Assert.InRange(losses[0], 0.5, 0.9);
        Assert.True(losses.TakeLast(5).Average() < 0.5 * losses[0], $"BCE went from {losses[0]:F4} to {losses.TakeLast(5).Average():F4}");
    }

    [Fact]
    public void WeighingOccupiedVoxelsMoreFillsMoreOfTheGrid()
    {
        // Same seed, same batches: only the loss's weight differs. With p > 1 the optimum of each voxel's
        // probability moves up (to p·q / (p·q + 1 − q) for an occupancy rate q), so the decoder, in the
        // same number of steps, predicts more occupied voxels; a weight that is ignored gives the same
        // grids, a weight applied to the wrong class fewer.
        using var be = new CpuBackend(threads: 2);
        double MeanOccupancy(float weight)
        {
            using var t = new LatentModelTrainer(Tiny(lr: 1e-2f) with { OccupiedWeight = weight }, Shapes, be);
            for (int i = 0; i < 40; i++)
            {
                t.Train();
            }
            var codes = LatentModelTrainer.EncodeAll(t.D, Shapes);
            return t.Decode(codes, Shapes.Count).Average(p => (double)p);
        }
        double plain = MeanOccupancy(1f), weighted = MeanOccupancy(3f);
        TestContext.Current.TestOutputHelper?.WriteLine($"mean occupancy: plain {plain:F4}, occupied weighted 3: {weighted:F4}");
        Assert.True(weighted > 1.2 * plain, $"occupancy {weighted:F4} with weight 3 against {plain:F4} with 1");
    }

    [Fact]
    public void ResumingFromACheckpointContinuesExactly()
    {
        using var be = new CpuBackend(threads: 2);
        List<double> continuous, resumed = [];
        float[] continuousCodes;
        using (var t = new LatentModelTrainer(Tiny(), Shapes, be))
        {
            continuous = Enumerable.Range(0, 6).Select(_ => t.Train()["loss_recon"]).ToList();
            continuousCodes = t.Prior.Codes.ToArray();
        }
        string ck = Path.Combine(_dir, "checkpoint.safetensors");
        using (var t = new LatentModelTrainer(Tiny(), Shapes, be))
        {
            resumed.AddRange(Enumerable.Range(0, 3).Select(_ => t.Train()["loss_recon"]));
            t.Save(ck);
        }
        using (var t = LatentModelTrainer.Resume(ck, Shapes, be))
        {
            Assert.Equal(3, t.Step);
            resumed.AddRange(Enumerable.Range(0, 3).Select(_ => t.Train()["loss_recon"]));
            Assert.Equal(continuousCodes, t.Prior.Codes.ToArray());
        }
        Assert.Equal(continuous, resumed);
        var checkpoint = TrainingCheckpoint.Open(ck);
        Assert.True(checkpoint.IsLatent);
        Assert.Equal(Tiny(), checkpoint.Options);
    }

    [Fact]
    public void TheCheckpointSamplesExactlyAsTheTrainerDoes()
    {
        using var be = new CpuBackend(threads: 2);
        string ck = Path.Combine(_dir, "checkpoint.safetensors");
        using var t = new LatentModelTrainer(Tiny(), Shapes, be);
        for (int i = 0; i < 4; i++)
        {
            t.Train();
        }
        t.Save(ck);
        // The stored codes are the training shapes' codes under the saved encoder, in eval mode.
        Assert.Equal(LatentModelTrainer.EncodeAll(t.D, Shapes), t.Prior.Codes.ToArray());
        using var gan = TrainedGan.Load(ck, be);
        Assert.Equal(LatentModelTrainer.Model, gan.Model);
        Assert.NotNull(gan.Prior);
        Assert.Equal(t.Prior.Codes.ToArray(), gan.Prior!.Codes.ToArray());
        var z = gan.DrawLatent(5, new Rng(3));
        Assert.Equal(t.DrawLatent(5, new Rng(3)), z);
        Assert.Equal(t.Decode(z, 5), gan.Decode(z, 5));
        // A latent model draws between its codes, not from N(0, I): every draw lies inside the codes' bounding box.
        var codes = t.Prior.Codes.ToArray();
        for (int k = 0; k < 8; k++)
        {
            var column = Enumerable.Range(0, Shapes.Count).Select(i => codes[i * 8 + k]).ToArray();
            for (int s = 0; s < 5; s++)
            {
                Assert.InRange(z[s * 8 + k], column.Min() - 1e-6f, column.Max() + 1e-6f);
            }
        }
    }

    [Fact]
    public void MontagesShowTheCurrentEncodersDrawNotTheFirstOnes()
    {
        // The encoder's codes move as it trains: codes drawn once at the start decode to nothing later.
        using var be = new CpuBackend(threads: 2);
        using var t = new LatentModelTrainer(Tiny(lr: 1e-2f), Shapes, be);
        using var folder = RunFolder.Claim(Path.Combine(_dir, "run"), RunFolderMode.New);
        var options = new TrainingSessionOptions { Iterations = 30, SampleEvery = 0, CheckpointEvery = 0, SampleCount = 4 };
        var session = new TrainingSession(t, folder, options);
        var first = t.DrawLatent(4, new Rng(options.SampleSeed));
        for (int i = 0; i < 30; i++)
        {
            t.Train();
        }
        session.WriteMontage(Path.Combine(_dir, "montage.png"), out var shown);
        var current = t.DrawLatent(4, new Rng(options.SampleSeed));
        Assert.NotEqual(first, current);
        Assert.Equal(t.Decode(current, 4), shown);
    }

    [Fact]
    public void ACheckpointWithoutUsableCodesIsAClearError()
    {
        using var be = new CpuBackend(threads: 2);
        string ck = Path.Combine(_dir, "checkpoint.safetensors");
        using var t = new LatentModelTrainer(Tiny(), Shapes, be);
        t.Train();
        t.Save(ck);
        var metadata = Gan3D.Nn.SafeTensors.ReadMetadata(ck);
        string missing = Path.Combine(_dir, "missing.safetensors"), nan = Path.Combine(_dir, "nan.safetensors");
        Checkpoint.Save(missing, [("G", t.G), ("D", t.D)], [], metadata);
        var message = Assert.Throws<InvalidDataException>(() => TrainedGan.Load(missing, be)).Message;
        Assert.Equal($"{missing}: a latent model needs its training codes 'latent.codes' as (N > 3, 8)", message);
        var codes = t.Prior.Codes.ToArray();
        codes[5] = float.NaN;
        using var bad = Tensor.FromArray(codes, new Shape(Shapes.Count, 8), CpuBackend.Default);
        Checkpoint.Save(nan, [("G", t.G), ("D", t.D)], [], metadata, [(LatentModelTrainer.CodesKey, bad)]);
        message = Assert.Throws<InvalidDataException>(() => TrainedGan.Load(nan, be)).Message;
        Assert.StartsWith($"{nan}: tensor 'latent.codes' holds NaN (element 5 of {Shapes.Count * 8})", message);
    }

    [Fact]
    public void ThePresetsGiveTheLatentModelAnAutoencodersOptimiser()
    {
        var options = TrainingPreset.Quick.LatentOptions(new TrainingOverrides());
        Assert.Equal(new GanArchitecture(32, 0.25) { DiscriminatorOutputs = 200 }, options.Architecture);
        Assert.Equal((1e-3f, 1e-3f, 0.9f, 0.999f, 0f), (options.LearningRateG, options.LearningRateD, options.Beta1, options.Beta2, options.GeneratorEma));
        Assert.Equal((10, 0.25f), (options.Neighbours, options.Margin));
        Assert.Equal(32, options.BatchSize);
        Assert.Equal(6f, options.OccupiedWeight);
        Assert.Equal(1.5f, TrainingPreset.Quick.LatentOptions(new TrainingOverrides { OccupiedWeight = 1.5f }).OccupiedWeight);
        // A run written before the setting existed trained on plain cross entropy, and resumes as that.
        var json = System.Text.Json.Nodes.JsonNode.Parse(options.ToJson())!.AsObject();
        Assert.True(json.Remove("OccupiedWeight"));
        Assert.Equal(1f, LatentModelOptions.FromJson(json.ToJsonString(), "old.json").OccupiedWeight);
        var wider = TrainingPreset.Standard.LatentOptions(new TrainingOverrides { LearningRateG = 5e-4f, Seed = 3 });
        Assert.Equal((0.5, 5e-4f, 1e-3f, 3UL), (wider.Architecture.Width, wider.LearningRateG, wider.LearningRateD, wider.Seed));
        options.Validate();
    }
}
