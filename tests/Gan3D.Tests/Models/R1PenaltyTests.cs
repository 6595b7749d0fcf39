using Gan3D.Data;
using Gan3D.Models;
using Gan3D.Tensors;
using static Gan3D.Tests.Engine.TestSupport;

namespace Gan3D.Tests.Models;

/// <summary>
/// The R1 gradient penalty: D's input gradient written as a graph of ordinary ops (checked against the tape's
/// own backward), its derivative in D's weights (finite differences here; PyTorch's double backward in
/// GoldenTests), and the trainer's use of it.
/// </summary>
public sealed class R1PenaltyTests
{
    private static readonly VoxelDataset Shapes = ShapeFamilies.CreateMixedDataset(24, 32, seed: 3);

    private static GanArchitecture Arch(DiscriminatorNorm norm, bool minibatchStd = false, int group = 0, int pack = 1) =>
        new GanArchitecture(32, 1.0 / 16, LatentDim: 8) { DiscriminatorNorm = norm, MinibatchStd = minibatchStd, MinibatchStdGroup = group, DiscriminatorPack = pack };

    /// <summary>Shapes 0..n−1 of a mixed built-in set with a little noise (D's inputs are not binary under instance noise).</summary>
    internal static Tensor Batch(IBackend be, int n, bool grad = false)
    {
        var data = new float[n * 32 * 32 * 32];
        Shapes.FillBatch(Enumerable.Range(0, n).ToArray(), data);
        var rng = new Random(5);
        for (int i = 0; i < data.Length; i++)
        {
            data[i] += (float)(0.05 * (rng.NextDouble() - 0.5));
        }
        var x = Tensor.FromArray(data, new Shape(n, 1, 32, 32, 32), be);
        x.RequiresGrad = grad;
        return x;
    }

    [Theory]
    [InlineData(DiscriminatorNorm.None, false, 0, 1)]
    [InlineData(DiscriminatorNorm.Spectral, false, 0, 1)]
    [InlineData(DiscriminatorNorm.None, true, 0, 1)] // every logit also sees the batch's spread: the tape goes through Ops.MinibatchStdDev's backward
    [InlineData(DiscriminatorNorm.None, true, 2, 1)] // two groups of two: each logit sees its pair's spread
    [InlineData(DiscriminatorNorm.None, true, 0, 2)] // packs of two shapes: the gradient is read back as one per shape
    public void TheInputGradientIsTheTapesBackwardOfDsLogits(DiscriminatorNorm norm, bool minibatchStd, int group, int pack)
    {
        using var be = new CpuBackend(threads: 2);
        using var d = new Discriminator3D(Arch(norm, minibatchStd, group, pack), be, new Rng(2));
        var x = Batch(be, group == 0 && pack == 1 ? 3 : 4, grad: true);
        // One forward (a spectral D iterates its vectors once per forward): its logits back-propagated by
        // the tape must give the gradient the method wrote forward.
        var (logits, gradient) = d.ForwardWithInputGradient(x);
        Assert.Equal(x.Shape, gradient.Shape);
        Ops.Sum(logits).Backward();
        var expected = ToDouble(x.Grad!.ToArray());
        double scale = expected.Max(Math.Abs);
        Assert.True(scale > 0);
        AssertClose($"∇ₓ Σ D(x), {norm}{(minibatchStd ? $" + minibatch std, group {group}" : "")}, pack {pack}", expected, gradient.ToArray(), 1e-5 * scale, 1e-4);
    }

    [Fact]
    public void TheIlgpuKernelsGiveTheSameInputGradientAndPenaltyGradients()
    {
        // The same D (same seed, same weights) on the managed backend and on ILGPU's kernels (CPU accelerator):
        // the transposed convolutions, leaky-ReLU slopes, the minibatch std channel's path and their backward passes
        // compose the same way there.
        (float[] Gradient, float[] WeightGradient) Run(IBackend be)
        {
            using var d = new Discriminator3D(Arch(DiscriminatorNorm.Spectral, minibatchStd: true), be, new Rng(6));
            var gradient = d.ForwardWithInputGradient(Batch(be, 3)).InputGradient;
            Ops.Sum(Ops.Square(gradient)).Backward();
            return (gradient.ToArray(), d.NamedParameters().Single(p => p.Name == "stages.1.conv.weight").Value.Grad!.ToArray());
        }
        using var cpu = new CpuBackend(threads: 2);
        using var ilgpu = IlgpuBackend.CreateCpu();
        var (g, w) = Run(cpu);
        var (gi, wi) = Run(ilgpu);
        AssertClose("∇ₓ Σ D(x) on ILGPU", ToDouble(g), gi, 1e-5 * g.Max(Math.Abs), 1e-4);
        AssertClose("d Σ‖∇ₓD‖² / d stage-1 weight on ILGPU", ToDouble(w), wi, 1e-4 * w.Max(Math.Abs), 1e-3);
    }

    [Fact]
    public void APaperDHasNoInputGradient()
    {
        using var be = new CpuBackend(threads: 2);
        using var paper = new Discriminator3D(Arch(DiscriminatorNorm.Batch), be, new Rng(2));
        Assert.False(paper.HasInputGradient);
        var ex = Assert.Throws<InvalidOperationException>(() => paper.ForwardWithInputGradient(Batch(be, 2)));
        Assert.Contains("batch norm", ex.Message);
        Assert.True(new Discriminator3D(Arch(DiscriminatorNorm.None, minibatchStd: true), be, new Rng(2)).HasInputGradient);
    }

    [Theory]
    [InlineData(false, 0, 1)]
    [InlineData(true, 0, 1)]
    [InlineData(true, 2, 1)]
    [InlineData(true, 0, 2)]
    public void ThePenaltysGradientInTheLastWeightMatchesFiniteDifferences(bool minibatchStd, int group, int pack)
    {
        // Σ‖∇ₓD‖² is quadratic in the last convolution's weight (no activation follows it; the minibatch std
        // channel's spread comes from earlier layers), so central differences are exact up to rounding there; the
        // earlier layers' weights also move the leaky ReLUs' kinks, which PyTorch's double backward checks instead
        // (GoldenTests.R1PenaltyMatchesPyTorchsDoubleBackward).
        using var be = new CpuBackend(threads: 2);
        using var d = new Discriminator3D(Arch(DiscriminatorNorm.None, minibatchStd, group, pack), be, new Rng(4));
        var x = Batch(be, group > 0 || pack > 1 ? 4 : minibatchStd ? 3 : 2);
        var penalty = Ops.Sum(Ops.Square(d.ForwardWithInputGradient(x).InputGradient));
        penalty.Backward();
        var last = d.NamedParameters().Single(p => p.Name == "stages.3.conv.weight").Value;
        var bias = d.NamedParameters().Single(p => p.Name == "stages.3.conv.bias").Value;
        Assert.Null(bias.Grad); // the input gradient does not involve the biases (they only move the kinks)
        double Penalty()
        {
            using var noGrad = Autograd.NoGrad();
            return Ops.Sum(Ops.Square(d.ForwardWithInputGradient(x).InputGradient)).Item();
        }
        var (numeric, analytic) = CentralDifferences(last, last.Grad!.ToArray(), Penalty, stride: 37, eps: 1e-2f);
        double scale = numeric.Max(Math.Abs);
        Assert.True(scale > 0);
        AssertClose("d Σ‖∇ₓD‖² / d last weight", numeric, analytic, 2e-3 * scale, 2e-3);
    }
}
