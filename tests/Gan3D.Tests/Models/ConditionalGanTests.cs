using Gan3D.Data;
using Gan3D.Models;
using Gan3D.Tensors;
using static Gan3D.Tests.Engine.TestSupport;

namespace Gan3D.Tests.Models;

/// <summary>
/// The class-conditional 3D-GAN: G's one-hot input, D's projection term (checked in float64 from D's own responses), its
/// input gradient and the R1 penalty's gradient in the projection, codes drawn in the classes' proportions, and the
/// trainer's labels read by name.
/// </summary>
public sealed class ConditionalGanTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("gan3d-conditional-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static GanArchitecture Arch(int classes, bool minibatchStd = false, DiscriminatorNorm norm = DiscriminatorNorm.None) =>
        new GanArchitecture(32, 1.0 / 16, LatentDim: 8) { Classes = classes, MinibatchStd = minibatchStd, DiscriminatorNorm = norm };

    private static Tensor Batch(IBackend be, int n, bool grad = false) => R1PenaltyTests.Batch(be, n, grad);

    /// <summary>One-hot rows (n, k) for the given labels.</summary>
    private static Tensor OneHot(IBackend be, int k, params int[] labels)
    {
        var rows = new float[labels.Length * k];
        for (int i = 0; i < labels.Length; i++)
        {
            rows[i * k + labels[i]] = 1f;
        }
        return Tensor.FromArray(rows, new Shape(labels.Length, k), be);
    }

    private static Tensor Projection(Discriminator3D d) => d.NamedParameters().Single(p => p.Name == Discriminator3D.ProjectionName).Value;

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void TheProjectionAddsEachLabelsEmbeddingDotTheSummedResponses(bool minibatchStd)
    {
        using var be = new CpuBackend(threads: 2);
        using var d = new Discriminator3D(Arch(3, minibatchStd), be, new Rng(2));
        using var noGrad = Autograd.NoGrad();
        var x = Batch(be, 3);
        int[] labels = [2, 0, 2];
        var e = Projection(d);
        var embedding = e.ToArray();
        Assert.Equal(new Shape(3, d.Architecture.DiscriminatorChannels[^1]), e.Shape);
        Assert.Contains(embedding, v => v != 0); // drawn like the convolutions' weights, not zero
        var withProjection = d.Forward(x, OneHot(be, 3, labels)).ToArray();
        e.CopyFrom(new float[embedding.Length]);
        var without = d.Forward(x, OneHot(be, 3, labels)).ToArray();
        e.CopyFrom(embedding);
        // ⟨E[y], Σₚ h⟩ in float64 from D's last strided stage's responses.
        var h = d.StageActivations(x)[^1];
        int c = h.Shape[1], s = checked((int)h.Shape.SizeFrom(2));
        var responses = h.ToArray();
        var expected = new double[3];
        var actual = new float[3];
        for (int n = 0; n < 3; n++)
        {
            for (int ch = 0; ch < c; ch++)
            {
                double sum = 0;
                for (int p = 0; p < s; p++)
                {
                    sum += responses[(n * c + ch) * s + p];
                }
                expected[n] += embedding[labels[n] * c + ch] * sum;
            }
            actual[n] = withProjection[n] - without[n];
        }
        Assert.True(expected.Max(Math.Abs) > 1e-4, "the projection term is too small to check");
        AssertClose("D(x, y) − D(x, y; E = 0)", expected, actual, 1e-5, 1e-4);
        // A shape's logit depends on its own label: shape 1 scored as class 2 gets class 2's embedding.
        var relabelled = d.Forward(x, OneHot(be, 3, 2, 2, 2)).ToArray();
        Assert.Equal(withProjection[0], relabelled[0]);
        Assert.NotEqual(withProjection[1], relabelled[1]);
    }

    [Theory]
    [InlineData(DiscriminatorNorm.None, false)]
    [InlineData(DiscriminatorNorm.Spectral, true)]
    public void TheInputGradientIsTheTapesBackwardOfAConditionalDsLogits(DiscriminatorNorm norm, bool minibatchStd)
    {
        using var be = new CpuBackend(threads: 2);
        using var d = new Discriminator3D(Arch(4, minibatchStd, norm), be, new Rng(3));
        var x = Batch(be, 3, grad: true);
        var (logits, gradient) = d.ForwardWithInputGradient(x, OneHot(be, 4, 3, 1, 3));
        Ops.Sum(logits).Backward();
        var expected = ToDouble(x.Grad!.ToArray());
        double scale = expected.Max(Math.Abs);
        Assert.True(scale > 0);
        AssertClose($"∇ₓ Σ D(x, y), {norm}{(minibatchStd ? " + minibatch std" : "")}", expected, gradient.ToArray(), 1e-5 * scale, 1e-4);
        // The projection's part of it is not negligible: without the labels' term the gradient differs.
        using var noGrad = Autograd.NoGrad();
        var e = Projection(d);
        var embedding = e.ToArray();
        e.CopyFrom(new float[embedding.Length]);
        var unlabelled = d.ForwardWithInputGradient(x, OneHot(be, 4, 3, 1, 3)).InputGradient.ToArray();
        e.CopyFrom(embedding);
        Assert.True(expected.Zip(unlabelled, (a, b) => Math.Abs(a - b)).Max() > 1e-2 * scale, "the projection barely moves the input gradient");
    }

    [Fact]
    public void ThePenaltysGradientInTheProjectionMatchesFiniteDifferences()
    {
        // ∇ₓD is linear in E (E enters as yE at the trunk's output, and the backward from there is linear), so
        // Σ‖∇ₓD‖² is quadratic in E: central differences are exact up to rounding.
        using var be = new CpuBackend(threads: 2);
        using var d = new Discriminator3D(Arch(3, minibatchStd: true), be, new Rng(4));
        var x = Batch(be, 3);
        var labels = OneHot(be, 3, 0, 2, 0);
        Ops.Sum(Ops.Square(d.ForwardWithInputGradient(x, labels).InputGradient)).Backward();
        var e = Projection(d);
        var gradient = e.Grad!.ToArray();
        Assert.All(gradient.Skip(e.Shape[1]).Take(e.Shape[1]), v => Assert.Equal(0f, v)); // class 1 is in no row
        double Penalty()
        {
            using var noGrad = Autograd.NoGrad();
            return Ops.Sum(Ops.Square(d.ForwardWithInputGradient(x, labels).InputGradient)).Item();
        }
        var (numeric, analytic) = CentralDifferences(e, gradient, Penalty, stride: 3, eps: 1e-2f);
        double scale = numeric.Max(Math.Abs);
        Assert.True(scale > 0);
        AssertClose("d Σ‖∇ₓD‖² / dE", numeric, analytic, 2e-3 * scale, 2e-3);
    }

    [Fact]
    public void TheIlgpuKernelsGiveTheSameConditionalLogitsInputGradientAndProjectionGradient()
    {
        (float[] Logits, float[] Gradient, float[] ProjectionGradient) Run(IBackend be)
        {
            using var d = new Discriminator3D(Arch(3, minibatchStd: true, DiscriminatorNorm.Spectral), be, new Rng(6));
            var (logits, gradient) = d.ForwardWithInputGradient(Batch(be, 3), OneHot(be, 3, 1, 0, 1));
            Ops.Sum(Ops.Square(gradient)).Backward();
            return (logits.ToArray(), gradient.ToArray(), Projection(d).Grad!.ToArray());
        }
        using var cpu = new CpuBackend(threads: 2);
        using var ilgpu = IlgpuBackend.CreateCpu();
        var expected = Run(cpu);
        var actual = Run(ilgpu);
        AssertClose("D(x, y) on ILGPU", ToDouble(expected.Logits), actual.Logits, 1e-5, 1e-4);
        AssertClose("∇ₓ Σ D(x, y) on ILGPU", ToDouble(expected.Gradient), actual.Gradient, 1e-5 * expected.Gradient.Max(Math.Abs), 1e-4);
        AssertClose("d Σ‖∇ₓD‖² / dE on ILGPU", ToDouble(expected.ProjectionGradient), actual.ProjectionGradient, 1e-4 * expected.ProjectionGradient.Max(Math.Abs), 1e-3);
    }

    [Fact]
    public void LabelsAreCheckedAndGTakesThemAfterZ()
    {
        using var be = new CpuBackend(threads: 2);
        using var d = new Discriminator3D(Arch(3), be, new Rng(2));
        var x = Batch(be, 2);
        Assert.Contains("needs one-hot labels (2, 3), got none", Assert.Throws<ArgumentException>(() => d.Forward(x)).Message);
        Assert.Contains("needs one-hot labels (2, 3)", Assert.Throws<ArgumentException>(() => d.Forward(x, OneHot(be, 3, 1))).Message);
        using var plain = new Discriminator3D(Arch(0), be, new Rng(2));
        Assert.Contains("unconditional", Assert.Throws<ArgumentException>(() => plain.Forward(x, OneHot(be, 3, 1, 1))).Message);
        Assert.Contains(Discriminator3D.ConvWeightShapes(Arch(3)), w => w.Name == Discriminator3D.ProjectionName && w.Shape == new Shape(3, Arch(3).DiscriminatorChannels[^1]));

        using var g = new Generator3D(Arch(3), be, new Rng(2));
        Assert.Equal(new Shape(11, 16, 4, 4, 4), Generator3D.ConvWeightShapes(Arch(3)).First().Shape);
        Assert.Equal(new Shape(2, 1, 32, 32, 32), g.Forward(Tensor.Zeros(new Shape(2, 11), be)).Shape);
        Assert.Contains("z of 8 and a one-hot label of 3 classes", Assert.Throws<ArgumentException>(() => g.Forward(Tensor.Zeros(new Shape(2, 8), be))).Message);

        Assert.Contains("2..1024 classes", Assert.Throws<ArgumentException>(() => Arch(1).Validate()).Message);
        Assert.Contains("cannot pack", Assert.Throws<ArgumentException>(() => (Arch(3) with { DiscriminatorPack = 2 }).Validate()).Message);
    }

    [Fact]
    public void CodesCarryAOneHotLabelDrawnInTheClassesProportions()
    {
        var arch = Arch(3);
        const int count = 30_000;
        var codes = Sampling.DrawCodes(count, arch, LatentDistribution.Normal, [1, 3, 6], new Rng(9));
        Assert.Equal(count * 11, codes.Length);
        // The latent part is what the unconditional draw gives from the same stream (drawn first).
        var z = Sampling.DrawLatent(count, 8, LatentDistribution.Normal, new Rng(9));
        var perClass = new int[3];
        for (int i = 0; i < count; i++)
        {
            Assert.True(codes.AsSpan(i * 11, 8).SequenceEqual(z.AsSpan(i * 8, 8)));
            var label = codes.AsSpan(i * 11 + 8, 3);
            Assert.Equal(1f, label.ToArray().Sum());
            perClass[label.IndexOf(1f)]++;
        }
        // Shares 0.1, 0.3, 0.6: three standard deviations of a share over 30 000 draws are below 0.009.
        Assert.Equal(0.1, perClass[0] / (double)count, 0.01);
        Assert.Equal(0.3, perClass[1] / (double)count, 0.01);
        Assert.Equal(0.6, perClass[2] / (double)count, 0.01);
        // Without counts the classes come in equal shares.
        var equal = Sampling.DrawCodes(count, arch, LatentDistribution.Normal, null, new Rng(9));
        double firstShare = Enumerable.Range(0, count).Count(i => equal[i * 11 + 8] == 1f) / (double)count;
        Assert.Equal(1 / 3.0, firstShare, 0.01);
        Assert.Contains("3 positive class counts", Assert.Throws<ArgumentException>(() => Sampling.DrawCodes(2, arch, LatentDistribution.Normal, [1, 2], new Rng(1))).Message);
        Assert.Equal(16, Sampling.DrawCodes(2, Arch(0), LatentDistribution.Normal, null, new Rng(1)).Length);
    }

    [Fact]
    public void AnOrderInRunsOfOneClassKeepsEachRunToOneClassAndResumesExactly()
    {
        // 3 classes of 7, 5 and 2 shapes, runs of 3: an epoch holds 6 + 3 + 0 shapes, every run of 3 from one class.
        int[] classOf = [0, 1, 0, 2, 0, 0, 1, 0, 1, 0, 2, 1, 0, 1];
        var order = new DataOrder(classOf.Length, 11, classOf: classOf, group: 3);
        var seen = new List<int[]>();
        for (int batch = 0; batch < 9; batch++) // three epochs of three runs, a run a batch
        {
            var run = new int[3];
            order.Next(run);
            Assert.Single(run.Select(i => classOf[i]).Distinct());
            Assert.Equal(3, run.Distinct().Count());
            seen.Add(run);
        }
        for (int epoch = 0; epoch < 3; epoch++)
        {
            var shapes = seen.Skip(epoch * 3).Take(3).SelectMany(r => r).ToArray();
            Assert.Equal(9, shapes.Distinct().Count());
            Assert.Equal((6, 3, 0), (shapes.Count(i => classOf[i] == 0), shapes.Count(i => classOf[i] == 1), shapes.Count(i => classOf[i] == 2)));
        }
        Assert.NotEqual(seen.Take(3).SelectMany(r => r), seen.Skip(3).Take(3).SelectMany(r => r)); // a new order each epoch
        // (epoch, position) is the whole state: a fresh order there draws what the running one draws next.
        var resumed = new DataOrder(classOf.Length, 11, order.Epoch, order.Position, classOf, 3);
        var a = new int[6];
        var b = new int[6];
        order.Next(a);
        resumed.Next(b);
        Assert.Equal(a, b);
        Assert.Contains("no class has 8 shapes", Assert.Throws<ArgumentException>(() => new DataOrder(classOf.Length, 1, classOf: classOf, group: 8)).Message);
    }

    /// <summary>Shapes labelled "a" and "b" (12 each).</summary>
    private static VoxelDataset TwoClasses() => VoxelDataset.Concat(
    [
        (ShapeFamilies.CreateMixedDataset(12, 32, seed: 1), "a"),
        (ShapeFamilies.CreateMixedDataset(12, 32, seed: 2), "b"),
    ]);

    private static GanTrainingOptions Tiny() => new()
    {
        Architecture = new GanArchitecture(32, 1.0 / 16, LatentDim: 8) { DiscriminatorNorm = DiscriminatorNorm.None, MinibatchStd = true },
        BatchSize = 4,
        DAccuracyThreshold = 1f,
        R1Gamma = 1f,
        Latent = LatentDistribution.Normal,
        Seed = 7,
    };

    [Fact]
    public void TheTrainerReadsEachShapesLabelByItsName()
    {
        // The run's classes in another order than the data's, and one ("c") that no training shape has: the rows of E
        // and G's label inputs of "a" and "b" learn, those of "c" never see a gradient (Adam leaves them as they were).
        var options = Tiny() with { Architecture = Tiny().Architecture with { Classes = 3 }, ClassNames = ["c", "a", "b"], ClassCounts = [5, 12, 12] };
        using var be = new CpuBackend(threads: 2);
        using var t = new GanTrainer(options, TwoClasses(), be);
        float[] Rows(Tensor w, int row) => w.ToArray().AsSpan(row * (int)w.Shape.SizeFrom(1), (int)w.Shape.SizeFrom(1)).ToArray();
        var e = Projection(t.D);
        var gFirst = t.G.NamedParameters().Single(p => p.Name == "stages.0.conv.weight").Value;
        var before = Enumerable.Range(0, 3).Select(c => (E: Rows(e, c), G: Rows(gFirst, 8 + c))).ToArray();
        for (int i = 0; i < 3; i++)
        {
            var r = t.TrainStep();
            Assert.True(float.IsFinite(r.LossD) && float.IsFinite(r.LossG) && float.IsFinite(r.Penalty));
        }
        Assert.Equal(before[0].E, Rows(e, 0));
        Assert.Equal(before[0].G, Rows(gFirst, 8));
        for (int c = 1; c < 3; c++)
        {
            Assert.NotEqual(before[c].E, Rows(e, c));
            Assert.NotEqual(before[c].G, Rows(gFirst, 8 + c));
        }
        // Samples draw labels in the run's proportions: all three classes, "c" too.
        var codes = t.DrawLatent(300, new Rng(3));
        var drawn = Enumerable.Range(0, 300).Select(i => codes.AsSpan(i * 11 + 8, 3).IndexOf(1f)).ToHashSet();
        Assert.Equal([0, 1, 2], drawn.Order());
    }

    [Theory]
    [InlineData(0)]
    [InlineData(2)] // the minibatch std channel in groups of 2: batches drawn in runs of 2 shapes of one class
    public void AConditionalRunResumesExactlyAndItsCheckpointSamplesInItsProportions(int group)
    {
        using var be = new CpuBackend(threads: 2);
        var options = (Tiny() with { Architecture = Tiny().Architecture with { MinibatchStdGroup = group } }).ConditionalOn(TwoClasses(), "two classes");
        Assert.Equal(2, options.Architecture.Classes);
        Assert.Equal(["a", "b"], options.ClassNames!);
        Assert.Equal([12, 12], options.ClassCounts!);
        var continuous = new List<(float, float)>();
        using (var t = new GanTrainer(options, TwoClasses(), be))
        {
            for (int i = 0; i < 4; i++)
            {
                var r = t.TrainStep();
                continuous.Add((r.LossD, r.LossG));
            }
        }
        string ck = Path.Combine(_dir, "checkpoint.safetensors");
        var resumed = new List<(float, float)>();
        using (var t = new GanTrainer(options, TwoClasses(), be))
        {
            for (int i = 0; i < 2; i++)
            {
                var r = t.TrainStep();
                resumed.Add((r.LossD, r.LossG));
            }
            t.Save(ck);
        }
        using (var t = GanTrainer.Resume(ck, TwoClasses(), be))
        {
            for (int i = 0; i < 2; i++)
            {
                var r = t.TrainStep();
                resumed.Add((r.LossD, r.LossG));
            }
        }
        Assert.Equal(continuous, resumed);
        using var gan = TrainedGan.Load(ck, be);
        Assert.Equal(["a", "b"], gan.Classes!.Value.Names);
        Assert.Equal(10 * 10, gan.DrawLatent(10, new Rng(1)).Length);
        Assert.Equal(new Shape(10, 1, 32, 32, 32).Numel, gan.Decode(gan.DrawLatent(10, new Rng(1)), 10).Length);
        // The data must carry the run's labels.
        var shapes = ShapeFamilies.CreateMixedDataset(8, 32, seed: 1);
        var relabelled = VoxelDataset.Concat([(shapes, "a"), (shapes, "z")]);
        Assert.Contains("labelled 'z', not one of the run's 2 classes (a, b)", Assert.Throws<ArgumentException>(() => new GanTrainer(options, relabelled, be)).Message);
        var noLabels = VoxelDataset.FromGrids(Enumerable.Range(0, 8).Select(i => shapes.GetGrid(i)).ToList());
        Assert.Contains("plain.npy: a conditional GAN needs labelled shapes", Assert.Throws<ArgumentException>(() => Tiny().ConditionalOn(noLabels, "plain.npy")).Message);
        Assert.Contains("its shapes have no labels", Assert.Throws<ArgumentException>(() => new GanTrainer(options, noLabels, be)).Message);
        Assert.Contains("at least two classes", Assert.Throws<ArgumentException>(() => Tiny().ConditionalOn(VoxelDataset.Concat([(shapes, "a")]), "one.npy")).Message);
        Assert.Contains("distinct class names", Assert.Throws<ArgumentException>(() => (options with { ClassNames = ["a", "a"] }).Validate()).Message);
        Assert.Contains("conditional", Assert.Throws<ArgumentException>(() => (Tiny() with { ClassNames = ["a", "b"] }).Validate()).Message);
    }
}
