using Gan3D.Tensors;
using static Gan3D.Tests.Engine.TestSupport;

namespace Gan3D.Tests.Engine;

public sealed class AutogradTests
{
    private static readonly IBackend Be = new CpuBackend(threads: 2);

    [Fact]
    public void GradientsAccumulateWhereATensorIsUsedTwice()
    {
        var x = Param(Be, [1.5, -2, 3], 3);
        // y = Σ (x·x + 3x) → dy/dx = 2x + 3
        var y = Ops.Sum(Ops.Add(Ops.Mul(x, x), Ops.MulScalar(x, 3f)));
        y.Backward();
        Assert.Equal([6f, -1f, 9f], x.Grad!.ToArray());
    }

    [Fact]
    public void BackwardTwiceAccumulatesIntoLeavesUntilZeroGrad()
    {
        var x = Param(Be, [1, 2], 2);
        Ops.Sum(Ops.MulScalar(x, 2f)).Backward();
        Ops.Sum(Ops.MulScalar(x, 5f)).Backward();
        Assert.Equal([7f, 7f], x.Grad!.ToArray());
        x.ZeroGrad();
        Assert.Equal([0f, 0f], x.Grad!.ToArray());
    }

    [Fact]
    public void NoGradRecordsNothing()
    {
        var x = Param(Be, [1, 2], 2);
        Tensor y;
        using (Autograd.NoGrad())
        {
            y = Ops.MulScalar(x, 2f);
        }
        Assert.False(y.RequiresGrad);
        Assert.Null(y.GradFn);
        Assert.Throws<InvalidOperationException>(() => Ops.Sum(y).Backward());
    }

    [Fact]
    public void DetachedAndFrozenTensorsGetNoGradient()
    {
        var a = Param(Be, [1, 2], 2);
        var b = Param(Be, [3, 4], 2);
        b.RequiresGrad = false;
        Ops.Sum(Ops.Mul(Ops.Add(a, a.Detach()), b)).Backward();
        Assert.Equal([3f, 4f], a.Grad!.ToArray()); // only the non-detached path: d/da (a·b) = b
        Assert.Null(b.Grad);
    }

    [Fact]
    public void BackwardNeedsAScalarOrAGradient()
    {
        var x = Param(Be, [1, 2], 2);
        var y = Ops.MulScalar(x, 2f);
        var ex = Assert.Throws<InvalidOperationException>(() => y.Backward());
        Assert.Contains("(2)", ex.Message);
        y.Backward(Make(Be, [1, -1], 2));
        Assert.Equal([2f, -2f], x.Grad!.ToArray());
    }

    [Fact]
    public void ShapeMismatchNamesBothShapes()
    {
        var a = Make(Be, new double[6], 2, 3);
        var b = Make(Be, new double[6], 3, 2);
        var ex = Assert.Throws<ArgumentException>(() => Ops.Add(a, b));
        Assert.Contains("(2, 3)", ex.Message);
        Assert.Contains("(3, 2)", ex.Message);
        var w = Make(Be, new double[4 * 5 * 27], 4, 5, 3, 3, 3);
        var x = Make(Be, new double[2 * 3 * 64], 2, 3, 4, 4, 4);
        var conv = Assert.Throws<ArgumentException>(() => Ops.Conv3d(x, w, null, 1, 1));
        Assert.Contains("(2, 3, 4, 4, 4)", conv.Message);
        Assert.Contains("(4, 5, 3, 3, 3)", conv.Message);
    }

    [Fact]
    public void MismatchedDevicesAreAClearError()
    {
        using var other = new CpuBackend(threads: 1);
        var a = Make(Be, [1, 2], 2);
        var b = Make(other, [1, 2], 2);
        var ex = Assert.Throws<ArgumentException>(() => Ops.Mul(a, b));
        Assert.Contains("different devices", ex.Message);
        Assert.Contains("(2)", ex.Message);
    }

    [Fact]
    public void NonLeafGradientsAreFreedDuringBackward()
    {
        var x = Param(Be, [1, 2, 3], 3);
        var h = Ops.Square(x);
        var y = Ops.Sum(h);
        y.Backward();
        Assert.Null(h.Grad);
        Assert.Null(h.GradFn); // the graph is released after backward
        Assert.Equal([2f, 4f, 6f], x.Grad!.ToArray());
    }
}
