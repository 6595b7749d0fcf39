using Gan3D.Tensors;

namespace Gan3D.Tests.Engine;

/// <summary>
/// <see cref="Ops.LeakyReluInPlace"/>: the values and every gradient of the out-of-place op after a
/// convolution, without a second tensor, and refused where the overwritten output is still needed.
/// </summary>
public sealed class InPlaceTests
{
    private static (float[] Y, float[] Dx, float[] Dw, float[] Db, long Peak) ConvThenLeaky(bool inPlace)
    {
        using var be = new CpuBackend(threads: 2);
        var rng = new Rng(7);
        var x = rng.Normal(new Shape(2, 3, 7, 6, 5), be).Persist();
        var w = rng.Normal(new Shape(4, 3, 3, 3, 3), be, std: 0.3f).Persist();
        var b = rng.Normal(new Shape(4), be).Persist();
        var gy = rng.Normal(new Shape(2, 4, 4, 3, 3), be).Persist();
        foreach (var t in new[] { x, w, b })
        {
            t.RequiresGrad = true;
        }
        float[] y;
        be.Pool.ResetPeak();
        using (MemoryScope.Begin())
        {
            var c = Ops.Conv3d(x, w, b, new Dim3(2, 2, 2), new Dim3(1, 1, 1));
            var a = inPlace ? Ops.LeakyReluInPlace(c, 0.2f) : Ops.LeakyRelu(c, 0.2f);
            y = a.ToArray();
            a.Backward(gy);
        }
        return (y, x.Grad!.ToArray(), w.Grad!.ToArray(), b.Grad!.ToArray(), be.Pool.PeakInUseBytes);
    }

    [Fact]
    public void AfterAConvolutionItEqualsTheOutOfPlaceOpWithOneTensorLess()
    {
        var expected = ConvThenLeaky(inPlace: false);
        var got = ConvThenLeaky(inPlace: true);
        Assert.Contains(expected.Y, v => v < 0); // the negative branch is exercised
        Assert.Equal(expected.Y, got.Y);
        Assert.Equal(expected.Dx, got.Dx);
        Assert.Equal(expected.Dw, got.Dw);
        Assert.Equal(expected.Db, got.Db);
        long output = MemoryPool.SizeClass(2 * 4 * 4 * 3 * 3) * sizeof(float);
        Assert.Equal(expected.Peak - output, got.Peak);
    }

    [Fact]
    public void RefusedWhereTheOverwrittenValuesAreStillNeeded()
    {
        using var be = new CpuBackend(threads: 1);
        using var scope = MemoryScope.Begin();
        var x = Tensor.FromArray([-1f, 2f, -3f, 4f], new Shape(4), be);
        x.RequiresGrad = true;
        var s = Ops.Sigmoid(x); // sigmoid's backward reads its output
        Assert.Contains("Sigmoid", Assert.Throws<InvalidOperationException>(() => Ops.LeakyReluInPlace(s, 0.2f)).Message);
        Assert.Contains("leaf", Assert.Throws<InvalidOperationException>(() => Ops.LeakyReluInPlace(x, 0.2f)).Message);
        Assert.Throws<ArgumentException>(() => Ops.LeakyReluInPlace(Tensor.FromArray([1f], new Shape(1), be), 0f));
    }
}
