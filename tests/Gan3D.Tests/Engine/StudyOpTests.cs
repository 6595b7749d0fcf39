using Gan3D.Tensors;
using static Gan3D.Tests.Engine.TestSupport;

namespace Gan3D.Tests.Engine;

/// <summary>
/// The ops of the recipe study (issue 17), forward and backward, against float64 references written
/// out here as plain loops. One body for all backends, as <see cref="OpTests"/>.
/// </summary>
public abstract class StudyOpTests
{
    /// <summary>The backend under test; a subclass skips the test when its device is absent.</summary>
    protected abstract IBackend Backend { get; }

    /// <summary>Loosens tolerances for backends whose math functions are approximations.</summary>
    protected virtual double Tolerance => 1e-5;

    // ------------------------------------------------------------ hinge loss

    [Theory]
    [InlineData(1f)]
    [InlineData(-1f)]
    public void HingeLossMatchesReference(float sign)
    {
        var be = Backend;
        var xd = Rounded(RandomArray(new Random(61), 37, -3, 3));
        xd[0] = sign; // exactly on the margin: max(0, 0) = 0, and PyTorch's ReLU passes no gradient there
        var x = Param(be, xd, 37, 1);
        var loss = Ops.HingeLoss(x, sign);
        double refLoss = 0;
        var grad = new double[37];
        for (int i = 0; i < 37; i++)
        {
            double margin = 1 - sign * xd[i];
            refLoss += Math.Max(0, margin);
            grad[i] = margin > 0 ? -sign / 37.0 : 0;
        }
        AssertClose($"hinge loss (sign {sign})", refLoss / 37, loss.Item(), Tolerance, Tolerance);
        loss.Backward();
        AssertClose($"hinge grad (sign {sign})", grad, x.Grad!.ToArray(), 1e-7, Tolerance);
    }

    // ------------------------------------------------------------ spectral normalisation

    /// <summary>W (M, K) · x, Wᵀ · x and x / ‖x‖ in float64.</summary>
    private static double[] MatVec(double[] w, int m, int k, double[] x, bool transpose)
    {
        var y = new double[transpose ? k : m];
        for (int i = 0; i < m; i++)
        {
            for (int j = 0; j < k; j++)
            {
                if (transpose)
                {
                    y[j] += w[i * k + j] * x[i];
                }
                else
                {
                    y[i] += w[i * k + j] * x[j];
                }
            }
        }
        return y;
    }

    private static double[] Normalized(double[] x)
    {
        double norm = Math.Sqrt(x.Sum(v => v * v));
        return x.Select(v => v / Math.Max(norm, 1e-12)).ToArray();
    }

    [Fact]
    public void SpectralNormMatchesReference()
    {
        var be = Backend;
        var rng = new Random(71);
        int m = 5, k = 3 * 2 * 3 * 1; // a (5, 3, 2, 3, 1) convolution weight as a (5, 18) matrix
        var wd = Rounded(RandomArray(rng, m * k));
        var ud = Rounded(Normalized(RandomArray(rng, m)));
        var vd = Rounded(RandomArray(rng, k));
        var w = Param(be, wd, 5, 3, 2, 3, 1);
        var u = Make(be, ud, m);
        var v = Make(be, vd, k);

        // One power iteration: v ← Wᵀu/‖Wᵀu‖, u ← Wv/‖Wv‖.
        Ops.SpectralNormPowerIteration(w, u, v);
        var vRef = Normalized(MatVec(wd, m, k, ud, transpose: true));
        var uRef = Normalized(MatVec(wd, m, k, vRef, transpose: false));
        AssertClose("power iteration v", vRef, v.ToArray(), 1e-6, 10 * Tolerance);
        AssertClose("power iteration u", uRef, u.ToArray(), 1e-6, 10 * Tolerance);

        // W/σ with σ = uᵀWv, from the vectors the device holds now.
        var uNow = ToDouble(u.ToArray());
        var vNow = ToDouble(v.ToArray());
        double sigma = MatVec(wd, m, k, vNow, transpose: false).Select((x, i) => x * uNow[i]).Sum();
        var y = Ops.SpectralNormalize(w, u, v);
        Assert.Equal(w.Shape, y.Shape);
        AssertClose("W / sigma", wd.Select(x => x / sigma).ToArray(), y.ToArray(), 1e-6, 10 * Tolerance);

        // dW = (dY − ⟨dY, W/σ⟩ u vᵀ) / σ. u and v change before backward: the op kept its own copies.
        var gd = Rounded(RandomArray(rng, m * k));
        double inner = gd.Select((g, i) => g * wd[i] / sigma).Sum();
        var expected = new double[m * k];
        for (int i = 0; i < m; i++)
        {
            for (int j = 0; j < k; j++)
            {
                expected[i * k + j] = (gd[i * k + j] - inner * uNow[i] * vNow[j]) / sigma;
            }
        }
        Ops.SpectralNormPowerIteration(w, u, v);
        y.Backward(Make(be, gd, 5, 3, 2, 3, 1));
        AssertClose("spectral norm grad", expected, w.Grad!.ToArray(), 1e-6, 10 * Tolerance);
    }

    [Fact]
    public void PowerIterationsFindTheLargestSingularValue()
    {
        // W = 3·a bᵀ + 1·c dᵀ with orthonormal a ⊥ c and b ⊥ d: singular values 3 and 1.
        var be = Backend;
        int m = 4, k = 6;
        double[] a = Normalized([1, 2, 0, -1]), c = Normalized([2, -1, 1, 0]);
        double[] b = Normalized([1, 0, 1, 0, 1, 0]), d = Normalized([0, 1, 0, 1, 0, -1]);
        var wd = new double[m * k];
        for (int i = 0; i < m; i++)
        {
            for (int j = 0; j < k; j++)
            {
                wd[i * k + j] = 3 * a[i] * b[j] + c[i] * d[j];
            }
        }
        var w = Make(be, wd, m, k);
        var u = Make(be, Normalized([1, 1, 1, 1]), m);
        var v = Tensor.Zeros(new Shape(k), be);
        for (int i = 0; i < 30; i++)
        {
            Ops.SpectralNormPowerIteration(w, u, v);
        }
        // W/σ then has largest singular value 1: its entries are W's divided by 3.
        AssertClose("W / sigma_max", wd.Select(x => x / 3).ToArray(), Ops.SpectralNormalize(w, u, v).ToArray(), 1e-5, 1e-4);
    }

    [Fact]
    public void SpectralNormRefusesVectorsOfTheWrongLength()
    {
        var w = Make(Backend, RandomArray(new Random(1), 12), 3, 4);
        var message = Assert.Throws<ArgumentException>(() => Ops.SpectralNormalize(w, Tensor.Zeros(new Shape(4), Backend), Tensor.Zeros(new Shape(4), Backend))).Message;
        Assert.Contains("weight (3, 4) is a (3, 4) matrix, so u must hold 3 values and v 4", message);
    }

    // ------------------------------------------------------------ minibatch standard deviation

    /// <summary>
    /// Output and input gradient of the layer in float64, written from its definition: groups of <paramref name="group"/>
    /// consecutive shapes (0: the whole batch), each with its own statistic.
    /// </summary>
    internal static (double[] Y, double[] Dx) MinibatchStdReference(double[] x, int n, int c, int s, double[] dy, int group = 0, double eps = 1e-8)
    {
        int f = c * s;
        int m = group == 0 ? n : group;
        var y = new double[n * (f + s)];
        var dx = new double[n * f];
        for (int first = 0; first < n; first += m)
        {
            var sigma = new double[f];
            var mean = new double[f];
            for (int j = 0; j < f; j++)
            {
                for (int i = first; i < first + m; i++)
                {
                    mean[j] += x[i * f + j] / m;
                }
                double v = 0;
                for (int i = first; i < first + m; i++)
                {
                    v += (x[i * f + j] - mean[j]) * (x[i * f + j] - mean[j]) / m;
                }
                sigma[j] = Math.Sqrt(v + eps);
            }
            double stat = sigma.Average();
            double g = 0;
            for (int i = first; i < first + m; i++)
            {
                for (int j = 0; j < f; j++)
                {
                    y[i * (f + s) + j] = x[i * f + j];
                    dx[i * f + j] = dy[i * (f + s) + j];
                }
                for (int p = 0; p < s; p++)
                {
                    y[i * (f + s) + f + p] = stat;
                    g += dy[i * (f + s) + f + p];
                }
            }
            for (int i = first; i < first + m; i++)
            {
                for (int j = 0; j < f; j++)
                {
                    dx[i * f + j] += g * (x[i * f + j] - mean[j]) / (m * f * sigma[j]);
                }
            }
        }
        return (y, dx);
    }

    [Theory]
    [InlineData(3, 2, 2, 3, 2, 0)]
    [InlineData(5, 7, 1, 1, 1, 0)]
    [InlineData(2, 3, 4, 4, 4, 0)]
    [InlineData(6, 3, 2, 1, 2, 2)] // three groups of two: each shape sees its own pair's spread
    [InlineData(8, 2, 2, 2, 2, 4)]
    [InlineData(4, 2, 1, 2, 3, 4)] // one group the size of the batch: the whole-batch statistic
    public void MinibatchStdDevMatchesReference(int n, int c, int d, int h, int w, int group)
    {
        var be = Backend;
        var rng = new Random(79 + n);
        int s = d * h * w;
        var xd = Rounded(RandomArray(rng, n * c * s, -2, 2));
        var gd = Rounded(RandomArray(rng, n * (c + 1) * s));
        var x = Param(be, xd, n, c, d, h, w);
        var y = Ops.MinibatchStdDev(x, group: group);
        Assert.Equal(new Shape(n, c + 1, d, h, w), y.Shape);
        var (yRef, dxRef) = MinibatchStdReference(xd, n, c, s, gd, group);
        AssertClose("minibatch std output", yRef, y.ToArray(), 1e-6, 10 * Tolerance);
        y.Backward(Make(be, gd, n, c + 1, d, h, w));
        AssertClose("minibatch std grad", dxRef, x.Grad!.ToArray(), 1e-6, 10 * Tolerance);
    }

    [Theory]
    [InlineData(-1, "must be 0 (the whole batch) or positive")]
    [InlineData(4, "a batch of 6 does not split into groups of 4")]
    public void MinibatchStdDevRefusesAGroupThatDoesNotSplitTheBatch(int group, string message)
    {
        var x = Make(Backend, RandomArray(new Random(3), 6 * 2), 6, 2, 1, 1, 1);
        Assert.Contains(message, Assert.Throws<ArgumentException>(() => Ops.MinibatchStdDev(x, group: group)).Message);
    }

    [Fact]
    public void MinibatchStdDevOfIdenticalShapesIsSqrtEpsWithNoGradientThroughIt()
    {
        // Every shape alike: each feature's variance is 0, so the channel holds sqrt(1e-8) = 1e-4 and the
        // gradient is dy's own part only (centred values are 0). Four shapes, so that the mean, a sum of
        // quarters, is exact in float32 and the centred values are exactly 0 (near σ = 1e-4 any rounding
        // of them is magnified 10⁴ times: the layer is ill-conditioned there, as in PyTorch).
        var be = Backend;
        var one = RandomArray(new Random(83), 2 * 8);
        var x = Param(be, [.. one, .. one, .. one, .. one], 4, 2, 2, 2, 2);
        var y = Ops.MinibatchStdDev(x);
        var yd = y.ToArray();
        for (int i = 0; i < 4; i++)
        {
            Assert.All(yd.AsSpan(i * 24 + 16, 8).ToArray(), v => Assert.Equal(1e-4, v, 1e-9));
        }
        var gd = RandomArray(new Random(89), 4 * 24);
        y.Backward(Make(be, gd, 4, 3, 2, 2, 2));
        var expected = Enumerable.Range(0, 4).SelectMany(i => gd.Skip(i * 24).Take(16)).ToArray();
        AssertClose("grad", expected, x.Grad!.ToArray(), 1e-7, 1e-6);
    }

    [Fact]
    public void HingeLossRefusesASignOtherThanOne()
    {
        var x = Make(Backend, [0.5, -0.5], 2);
        Assert.Contains("the sign must be +1 or -1", Assert.Throws<ArgumentException>(() => Ops.HingeLoss(x, 0.5f)).Message);
    }
}

/// <summary>The study's op tests on the managed CPU backend, plus finite differences of every backward.</summary>
public sealed class CpuStudyOpTests : StudyOpTests
{
    private static readonly CpuBackend s_backend = new(threads: 2);

    protected override IBackend Backend => s_backend;

    [Fact]
    public void HingeLossGradientsMatchFiniteDifferences()
    {
        // Logits at least 0.05 from the margins ±1, farther than eps, so no perturbation crosses a kink.
        var x = Rounded(AwayFromZero(new Random(67), 24, 0.05)).Select(v => v + Math.Sign(v)).ToArray();
        GradCheck.Check("hinge real", s_backend, t => Ops.HingeLoss(t[0], 1f), [x], [[24]], eps: 1e-2);
        GradCheck.Check("hinge fake", s_backend, t => Ops.HingeLoss(t[0], -1f), [x], [[4, 6]], eps: 1e-2);
    }

    [Fact]
    public void MinibatchStdDevGradientMatchesFiniteDifferences()
    {
        GradCheck.Check("minibatch std", s_backend, t => Ops.MinibatchStdDev(t[0]),
            [Rounded(RandomArray(new Random(97), 3 * 2 * 2 * 1 * 3, -2, 2))], [[3, 2, 2, 1, 3]], eps: 1e-3, tol: 1e-2);
        GradCheck.Check("minibatch std, groups of 2", s_backend, t => Ops.MinibatchStdDev(t[0], group: 2),
            [Rounded(RandomArray(new Random(98), 4 * 2 * 2 * 1 * 3, -2, 2))], [[4, 2, 2, 1, 3]], eps: 1e-3, tol: 1e-2);
    }

    private static float[] Golden(string name) =>
        Gan3D.Data.NpyFile.ReadFloat32(Path.Combine(AppContext.BaseDirectory, "golden", "spectral_norm", name + ".npy")).Data;

    [Fact]
    public void SpectralNormConvolutionMatchesPyTorch()
    {
        // torch.nn.utils.spectral_norm(Conv3d(3, 5, (2, 3, 2), stride (2, 1, 1), padding (1, 0, 1))), written by
        // tests/golden/make_golden.py: one training forward and backward, then an eval forward.
        var conv = new Gan3D.Nn.Conv3d(3, 5, (2, 3, 2), (2, 1, 1), (1, 0, 1), backend: s_backend, rng: new Rng(1), spectralNorm: true);
        var state = conv.StateDict();
        state["weight"].CopyFrom(Golden("weight"));
        state["bias"].CopyFrom(Golden("bias"));
        state["weight_u"].CopyFrom(Golden("u_before"));
        state["weight_v"].CopyFrom(Golden("v_before"));
        var x = Tensor.FromArray(Golden("input"), new Shape(2, 3, 4, 5, 3), s_backend);
        x.RequiresGrad = true;
        var y = conv.Forward(x);
        AssertClose("spectral norm conv output", ToDouble(Golden("output")), y.ToArray(), 1e-5, 1e-4);
        AssertClose("u after one power iteration", ToDouble(Golden("u_after")), state["weight_u"].ToArray(), 1e-6, 1e-4);
        AssertClose("v after one power iteration", ToDouble(Golden("v_after")), state["weight_v"].ToArray(), 1e-6, 1e-4);
        y.Backward(Tensor.FromArray(Golden("grad_output"), y.Shape, s_backend));
        AssertClose("spectral norm conv grad input", ToDouble(Golden("grad_input")), x.Grad!.ToArray(), 1e-5, 1e-4);
        AssertClose("spectral norm conv grad weight", ToDouble(Golden("grad_weight")), conv.Weight.Grad!.ToArray(), 1e-5, 1e-4);
        AssertClose("spectral norm conv grad bias", ToDouble(Golden("grad_bias")), conv.Bias!.Grad!.ToArray(), 1e-5, 1e-4);
        var trainedU = state["weight_u"].ToArray();
        conv.Eval();
        using (Autograd.NoGrad())
        {
            AssertClose("spectral norm conv eval output", ToDouble(Golden("output_eval")), conv.Forward(x).ToArray(), 1e-5, 1e-4);
        }
        Assert.Equal(trainedU, state["weight_u"].ToArray()); // eval mode runs no power iteration
    }

    [Fact]
    public void SpectralNormGradientMatchesFiniteDifferences()
    {
        // u and v are constants of the op, so W/σ(W) with σ = uᵀWv is what the differences see too.
        var rng = new Random(73);
        int m = 4, k = 2 * 3 * 1 * 2;
        var wd = Rounded(RandomArray(rng, m * k));
        var u = Make(s_backend, Rounded(RandomArray(rng, m)), m);
        var v = Tensor.Zeros(new Shape(k), s_backend);
        var w = Make(s_backend, wd, m, k);
        for (int i = 0; i < 3; i++)
        {
            Ops.SpectralNormPowerIteration(w, u, v); // σ = uᵀWv then near W's largest singular value, far from 0
        }
        GradCheck.Check("spectral norm", s_backend, t => Ops.SpectralNormalize(t[0], u, v), [wd], [[m, 2, 3, 1, 2]]);
    }
}

/// <summary>The study's op tests on ILGPU's CPU accelerator (the kernels' own code under the emulator).</summary>
public sealed class IlgpuCpuStudyOpTests : StudyOpTests
{
    private static readonly Lazy<IlgpuBackend> s_backend = new(() => IlgpuBackend.CreateCpu());

    protected override IBackend Backend => s_backend.Value;
}

/// <summary>The study's op tests on a CUDA GPU: skipped, with the reason, where there is none.</summary>
public sealed class CudaStudyOpTests : StudyOpTests
{
    private static readonly CudaForTests s_cuda = new();

    protected override IBackend Backend => s_cuda.BackendOrSkip;

    protected override double Tolerance => 2e-4;
}
