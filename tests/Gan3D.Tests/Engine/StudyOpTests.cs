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
