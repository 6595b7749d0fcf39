using Gan3D.Nn;
using Gan3D.Tensors;
using static Gan3D.Tests.Engine.TestSupport;

namespace Gan3D.Tests.Engine;

public sealed class NnTests
{
    private static readonly IBackend Be = new CpuBackend(threads: 2);

    [Fact]
    public void ParametersAndBuffersHavePyTorchNames()
    {
        var model = new Sequential(Be,
            new ConvTranspose3d(8, 4, 4, stride: 2, padding: 1, bias: false, backend: Be),
            new BatchNorm3d(4, backend: Be),
            new ReLU(Be));
        var names = model.StateDict().Keys.ToArray();
        Assert.Equal(["0.weight", "1.weight", "1.bias", "1.running_mean", "1.running_var"], names);
        Assert.Equal(new Shape(8, 4, 4, 4, 4), model.StateDict()["0.weight"].Shape);
        Assert.Equal(8 * 4 * 64 + 4 + 4, model.ParameterCount);
    }

    [Fact]
    public void PyTorchDefaultInitIsUniformWithinOneOverSqrtFanIn()
    {
        var conv = new Conv3d(3, 5, (2, 3, 4), backend: Be, rng: new Rng(9));
        double bound = 1 / Math.Sqrt(3 * 2 * 3 * 4);
        var w = conv.Weight.ToArray();
        Assert.All(w, v => Assert.InRange(v, -bound, bound));
        Assert.True(w.Max() > 0.8 * bound && w.Min() < -0.8 * bound, "weights do not span the bound");
    }

    [Fact]
    public void Conv2dIsADepthOneConv3d()
    {
        var gen = new Rng(4);
        var conv = new Conv2d(2, 3, 3, stride: 2, padding: 1, backend: Be, rng: gen);
        var rng = new Random(1);
        var xd = Rounded(RandomArray(rng, 2 * 2 * 7 * 6));
        var y = conv.Forward(Make(Be, xd, 2, 2, 7, 6));
        Assert.Equal(new Shape(2, 3, 4, 3), y.Shape);
        var g = Gan3D.Kernels.Conv3dGeometry.Create(2, 2, 1, 7, 6, 3, 1, 3, 3, 1, 2, 2, 0, 1, 1);
        var expected = Reference.Conv3d(xd, ToDouble(conv.Weight.ToArray()), ToDouble(conv.Bias!.ToArray()), g);
        AssertClose("conv2d", expected, y.ToArray());
    }

    [Fact]
    public void EvalModeFreezesRunningStatistics()
    {
        var bn = new BatchNorm2d(2, backend: Be);
        var x = Make(Be, RandomArray(new Random(2), 3 * 2 * 4 * 4, 2, 5), 3, 2, 4, 4);
        bn.Forward(x);
        var afterTrain = bn.RunningMean.ToArray();
        Assert.All(afterTrain, v => Assert.InRange(v, 0.2, 0.5)); // 0.9·0 + 0.1·mean, mean in [2, 5]
        bn.Eval();
        bn.Forward(x);
        Assert.Equal(afterTrain, bn.RunningMean.ToArray());
    }

    [Fact]
    public void AdamFitsALinearRegression()
    {
        var gen = new Rng(5);
        var model = new Linear(3, 1, backend: Be, rng: gen);
        using var opt = new Adam(model.NamedParameters(), lr: 0.05f);
        var rng = new Random(8);
        var xd = RandomArray(rng, 64 * 3);
        var yd = new double[64];
        for (int i = 0; i < 64; i++)
        {
            yd[i] = 2 * xd[3 * i] - 3 * xd[3 * i + 1] + 0.5 * xd[3 * i + 2] + 1;
        }
        var x = Make(Be, xd, 64, 3);
        var y = Make(Be, yd, 64, 1);
        float first = 0, last = 0;
        for (int step = 0; step < 300; step++)
        {
            using var scope = MemoryScope.Begin();
            opt.ZeroGrad();
            var loss = Ops.MseLoss(model.Forward(x), y);
            loss.Backward();
            opt.Step();
            last = loss.Item();
            if (step == 0)
            {
                first = last;
            }
        }
        Assert.True(last < 1e-3 * first, $"loss went from {first} to {last}");
        AssertClose("fitted weights", [2, -3, 0.5], model.Weight.ToArray(), 0.02, 0);
        AssertClose("fitted bias", [1], model.Bias!.ToArray(), 0.02, 0);
    }

    [Fact]
    public void FrozenModuleSkipsWeightGradientsButPassesInputGradients()
    {
        var conv = new Conv3d(1, 2, 3, padding: 1, backend: Be, rng: new Rng(1));
        conv.RequiresGrad(false);
        var x = Param(Be, RandomArray(new Random(3), 27), 1, 1, 3, 3, 3);
        Ops.Sum(conv.Forward(x)).Backward();
        Assert.Null(conv.Weight.Grad);
        Assert.NotNull(x.Grad);
        Assert.Contains(x.Grad!.ToArray(), v => v != 0);
    }
}
