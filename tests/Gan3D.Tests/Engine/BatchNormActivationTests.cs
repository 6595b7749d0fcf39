using Gan3D.Kernels;
using Gan3D.Tensors;
using ILGPU.Runtime.CPU;
using static Gan3D.Tests.Engine.TestSupport;

namespace Gan3D.Tests.Engine;

/// <summary>
/// Batch norm fused with ReLU / LeakyReLU (<see cref="Ops.BatchNormActivation"/>) against the float64
/// reference (batch norm, then the activation, then its gate in the backward), against the unfused
/// ops on the same backend, in eval mode, and by finite differences. One body for every backend.
/// </summary>
public abstract class BatchNormActivationTests
{
    protected abstract IBackend Backend { get; }

    protected virtual double Tolerance => 1e-4;

    private static double Act(BatchNormActivation a, double alpha, double z) =>
        z > 0 || a == BatchNormActivation.None ? z : a == BatchNormActivation.Relu ? 0 : alpha * z;

    private static double Slope(BatchNormActivation a, double alpha, double z) =>
        z > 0 || a == BatchNormActivation.None ? 1 : a == BatchNormActivation.Relu ? 0 : alpha;

    [Theory]
    [InlineData(BatchNormActivation.Relu, 0f, new[] { 2, 3, 5, 7, 9 })]    // BatchNorm3d, rows of 315 (a vector tail)
    [InlineData(BatchNormActivation.LeakyRelu, 0.2f, new[] { 2, 3, 5, 7, 9 })]
    [InlineData(BatchNormActivation.LeakyRelu, 0.2f, new[] { 4, 5, 3, 2 })] // BatchNorm2d
    [InlineData(BatchNormActivation.Relu, 0f, new[] { 6, 7 })]              // BatchNorm1d: rows of one value
    [InlineData(BatchNormActivation.Relu, 0f, new[] { 2, 2, 1031 })]        // rows over one summation block
    [InlineData(BatchNormActivation.None, 0f, new[] { 3, 2, 17 })]
    public void TrainingMatchesFloat64AndTheUnfusedOps(BatchNormActivation activation, float alpha, int[] shape)
    {
        var be = Backend;
        var rng = new Random(shape.Sum() + (int)activation);
        int n = shape[0], c = shape[1], s = (int)(new Shape(shape).Numel / (n * c));
        // A mean far from zero relative to the spread: the one-pass statistics must not cancel.
        var xd = Rounded(RandomArray(rng, n * c * s, 3, 5));
        var gd = Rounded(RandomArray(rng, c, 0.5, 1.5));
        var bd = Rounded(RandomArray(rng, c, -0.3, 0.3));
        var rmd = Rounded(RandomArray(rng, c));
        var rvd = Rounded(RandomArray(rng, c, 0.5, 2));
        var dyd = Rounded(RandomArray(rng, n * c * s));

        var z = Reference.BatchNormTrain(xd, n, c, s, gd, bd, 1e-5, 0.1, rmd, rvd, out var rmRef, out var rvRef);
        var yRef = z.Select(v => Act(activation, alpha, v)).ToArray();
        var gated = z.Select((v, i) => dyd[i] * Slope(activation, alpha, v)).ToArray();
        var (dxRef, dgRef, dbRef) = Reference.BatchNormTrainBackward(xd, gated, n, c, s, gd, 1e-5);
        Assert.Contains(z, v => v < 0);
        Assert.Contains(z, v => v > 0);

        var fused = Run(be, shape, xd, gd, bd, rmd, rvd, dyd, fused: true, training: true, activation, alpha);
        var unfused = Run(be, shape, xd, gd, bd, rmd, rvd, dyd, fused: false, training: true, activation, alpha);
        string what = $"batch norm + {activation} {string.Join("x", shape)}";
        AssertClose($"{what} forward", yRef, fused.Y, Tolerance, Tolerance);
        AssertClose($"{what} running mean", rmRef, fused.RunningMean, Tolerance, Tolerance);
        AssertClose($"{what} running var", rvRef, fused.RunningVar, Tolerance, Tolerance);
        AssertClose($"{what} grad input", dxRef, fused.Dx, Tolerance, Tolerance);
        AssertClose($"{what} grad weight", dgRef, fused.Dgamma, Tolerance, Tolerance);
        AssertClose($"{what} grad bias", dbRef, fused.Dbeta, Tolerance, Tolerance);
        // Against the unfused path (version 1) on the same backend: the same up to float rounding.
        foreach (var (name, a, b) in new[]
        {
            ("forward", fused.Y, unfused.Y), ("running mean", fused.RunningMean, unfused.RunningMean),
            ("running var", fused.RunningVar, unfused.RunningVar), ("grad input", fused.Dx, unfused.Dx),
            ("grad weight", fused.Dgamma, unfused.Dgamma), ("grad bias", fused.Dbeta, unfused.Dbeta),
        })
        {
            AssertClose($"{what} {name}, fused against unfused", ToDouble(b), a, 1e-5, 1e-5);
        }
    }

    [Theory]
    [InlineData(BatchNormActivation.Relu, 0f)]
    [InlineData(BatchNormActivation.LeakyRelu, 0.2f)]
    public void EvalModeUsesTheRunningStatisticsAndLeavesThemAlone(BatchNormActivation activation, float alpha)
    {
        var be = Backend;
        int[] shape = [3, 4, 2, 3, 5];
        int n = 3, c = 4, s = 30;
        var rng = new Random(5 + (int)activation);
        var xd = Rounded(RandomArray(rng, n * c * s, -2, 2));
        var gd = Rounded(RandomArray(rng, c, 0.5, 1.5));
        var bd = Rounded(RandomArray(rng, c, -0.3, 0.3));
        var rmd = Rounded(RandomArray(rng, c, -0.5, 0.5));
        var rvd = Rounded(RandomArray(rng, c, 0.5, 2));
        var dyd = Rounded(RandomArray(rng, n * c * s));
        var yRef = new double[xd.Length];
        var dxRef = new double[xd.Length];
        var dgRef = new double[c];
        var dbRef = new double[c];
        for (int k = 0; k < xd.Length; k++)
        {
            int ch = k / s % c;
            double inv = 1 / Math.Sqrt(rvd[ch] + 1e-5);
            double xhat = (xd[k] - rmd[ch]) * inv;
            double zk = xhat * gd[ch] + bd[ch];
            yRef[k] = Act(activation, alpha, zk);
            double g = dyd[k] * Slope(activation, alpha, zk);
            dxRef[k] = g * gd[ch] * inv;
            dgRef[ch] += g * xhat;
            dbRef[ch] += g;
        }
        var r = Run(be, shape, xd, gd, bd, rmd, rvd, dyd, fused: true, training: false, activation, alpha);
        AssertClose("eval forward", yRef, r.Y, Tolerance, Tolerance);
        AssertClose("eval grad input", dxRef, r.Dx, Tolerance, Tolerance);
        AssertClose("eval grad weight", dgRef, r.Dgamma, Tolerance, Tolerance);
        AssertClose("eval grad bias", dbRef, r.Dbeta, Tolerance, Tolerance);
        Assert.Equal(ToFloat(rmd), r.RunningMean);
        Assert.Equal(ToFloat(rvd), r.RunningVar);
    }

    [Fact]
    public void LeakyReluGradientMatchesFiniteDifferences()
    {
        var be = Backend;
        var rng = new Random(21);
        int[] xs = [3, 2, 5];
        var x = Rounded(RandomArray(rng, 30, -2, 2));
        var gamma = Rounded(RandomArray(rng, 2, 0.5, 1.5));
        var beta = Rounded(RandomArray(rng, 2, -0.2, 0.2));
        var rm = Make(be, new double[2], 2);
        var rv = Make(be, [1.0, 1.0], 2);
        GradCheck.Check("batch norm + leaky ReLU", be,
            t => Ops.BatchNormActivation(t[0], t[1], t[2], rm, rv, training: true, BatchNormActivation.LeakyRelu, 0.2f),
            [x, gamma, beta], [xs, [2], [2]], eps: 1e-3, tol: 2e-2);
    }

    private sealed record Result(float[] Y, float[] RunningMean, float[] RunningVar, float[] Dx, float[] Dgamma, float[] Dbeta);

    private static Result Run(IBackend be, int[] shape, double[] xd, double[] gd, double[] bd, double[] rmd, double[] rvd, double[] dyd,
        bool fused, bool training, BatchNormActivation activation, float alpha)
    {
        int c = shape[1];
        var x = Param(be, xd, shape);
        var gamma = Param(be, gd, c);
        var beta = Param(be, bd, c);
        var rm = Make(be, rmd, c);
        var rv = Make(be, rvd, c);
        Tensor y;
        if (fused)
        {
            y = Ops.BatchNormActivation(x, gamma, beta, rm, rv, training, activation, alpha);
        }
        else
        {
            y = Ops.BatchNorm(x, gamma, beta, rm, rv, training);
            y = activation switch
            {
                BatchNormActivation.Relu => Ops.Relu(y),
                BatchNormActivation.LeakyRelu => Ops.LeakyRelu(y, alpha),
                _ => y,
            };
        }
        y.Backward(Make(be, dyd, shape));
        return new Result(y.ToArray(), rm.ToArray(), rv.ToArray(), x.Grad!.ToArray(), gamma.Grad!.ToArray(), beta.Grad!.ToArray());
    }
}

public sealed class CpuBatchNormActivationTests : BatchNormActivationTests
{
    protected override IBackend Backend => CpuBackend.Default;
}

/// <summary>ILGPU's default CPU accelerator (4-wide warps): kernel version 1, the two ops one after the other.</summary>
public sealed class IlgpuCpuBatchNormActivationTests : BatchNormActivationTests
{
    private static readonly Lazy<IlgpuBackend> s_backend = new(() => IlgpuBackend.CreateCpu());

    protected override IBackend Backend => s_backend.Value;
}

/// <summary>The CPU accelerator with 32-wide warps and 256-thread groups: the fused version-2 kernels.</summary>
public sealed class IlgpuCpuV2BatchNormActivationTests : BatchNormActivationTests
{
    private static readonly Lazy<IlgpuBackend> s_backend = new(() =>
        IlgpuBackend.CreateCpu(new CPUDevice(numThreadsPerWarp: 32, numWarpsPerMultiprocessor: 8, numMultiprocessors: 1)));

    protected override IBackend Backend
    {
        get
        {
            Assert.Equal(2, s_backend.Value.KernelVersion);
            return s_backend.Value;
        }
    }
}

public sealed class CudaBatchNormActivationTests : BatchNormActivationTests
{
    private static readonly CudaForTests s_cuda = new();

    protected override IBackend Backend => s_cuda.BackendOrSkip;

    protected override double Tolerance => 2e-4;
}
