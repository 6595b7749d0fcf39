using Gan3D.Models;
using Gan3D.Tensors;

namespace Gan3D.Tests.Models;

/// <summary>The weight shapes a configuration implies, checked before a model is built, and the split's rounding.</summary>
public sealed class CheckpointChecksTests
{
    private static readonly IBackend Be = new CpuBackend(threads: 1);

    public static TheoryData<int, double, int> Architectures() => new()
    {
        { 32, 0.125, 200 },
        { 32, 0.3, 7 },
        { 64, 0.0625, 16 },
    };

    [Theory]
    [MemberData(nameof(Architectures))]
    public void TheListedWeightShapesAreTheOnesTheConstructorsMake(int resolution, double width, int latent)
    {
        // The lists must follow the constructors, or a good checkpoint would be refused (or a forged one let through).
        var arch = new GanArchitecture(resolution, width, latent);
        using var g = new Generator3D(arch, Be, new Rng(1));
        using var d = new Discriminator3D(arch, Be, new Rng(1));
        AssertListed(Generator3D.ConvWeightShapes(arch), g.StateDict(), arch.GeneratorChannels.Length + 1);
        AssertListed(Discriminator3D.ConvWeightShapes(arch), d.StateDict(), arch.DiscriminatorChannels.Length + 1);
        var encoder = new EncoderArchitecture(32, 3, width, latent);
        using var e = new ImageEncoder(encoder, Be, new Rng(1));
        AssertListed(ImageEncoder.WeightShapes(encoder), e.StateDict(), encoder.ConvChannels.Length + 2);
    }

    private static void AssertListed(IEnumerable<(string Name, Shape Shape)> listed, IReadOnlyDictionary<string, Tensor> state, int expectedCount)
    {
        var list = listed.ToList();
        Assert.Equal(expectedCount, list.Count);
        foreach (var (name, shape) in list)
        {
            Assert.True(state.TryGetValue(name, out var t), $"no tensor '{name}'");
            Assert.Equal(shape, t!.Shape);
        }
        // Every weight of rank 2 or more (the ones that grow with the width squared) is listed.
        Assert.Equal(state.Where(kv => kv.Value.Shape.Rank >= 2).Select(kv => kv.Key).Order(), list.Select(l => l.Name).Order());
    }

    [Theory]
    [InlineData(10, 0.11, 1)]
    [InlineData(30, 0.1, 3)]
    [InlineData(10, 0.15, 2)]
    [InlineData(10, 0.01, 1)]
    [InlineData(10, 0.99, 9)]
    public void TheSplitHoldsOutTheNearestWholeNumber(int n, double fraction, int expectedTest)
    {
        var (train, test) = DescriptorExperiment.StratifiedSplit(new int[n], 1, fraction, 7);
        Assert.Equal(expectedTest, test.Length);
        Assert.Equal(n - expectedTest, train.Length);
        Assert.Equal(Enumerable.Range(0, n), train.Concat(test).Order());
    }
}
