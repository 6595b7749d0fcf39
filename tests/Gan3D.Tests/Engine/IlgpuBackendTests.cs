using Gan3D.Kernels;
using Gan3D.Tensors;
using static Gan3D.Tests.Engine.TestSupport;

namespace Gan3D.Tests.Engine;

/// <summary>
/// What the shared op tests do not reach on the ILGPU backend: reductions at every split of their
/// two-stage scheme, in-place calls, ties and NaN in pooling, row copies with offsets, the self-check
/// the GPU smoke test runs, and the plain "no CUDA device" report.
/// </summary>
public sealed class IlgpuBackendTests
{
    private static readonly Lazy<IlgpuBackend> s_backend = new(() => IlgpuBackend.CreateCpu());

    private static IlgpuBackend Be => s_backend.Value;

    // 256 elements per partial, at most 1024 partials (256 per channel): sizes on both sides of every
    // boundary, so a lost tail or a wrong clamp shows up.
    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(255)]
    [InlineData(256)]
    [InlineData(257)]
    [InlineData(256 * 1024 - 1)]
    [InlineData(256 * 1024)]
    [InlineData(256 * 1024 + 3)]
    [InlineData(1_000_003)]
    public void SumIsExactAtEverySplit(int n)
    {
        var rng = new Random(n);
        var xd = Rounded(RandomArray(rng, n, 0.5, 1.5)); // positive: no cancellation, so a missing element is visible
        var x = Make(Be, xd, n);
        var y = Tensor.Empty(new Shape(), Be);
        Be.Sum(x, y, 0.5f);
        AssertClose($"sum of {n}", 0.5 * xd.Sum(), y.Item(), 1e-6, 1e-7); // float64 partials: only the final rounding (6e-8) remains
        var again = Tensor.Empty(new Shape(), Be);
        Be.Sum(x, again, 0.5f);
        Assert.Equal(y.Item(), again.Item()); // deterministic: no atomics, fixed order
    }

    [Theory]
    [InlineData(3, 5, 1)]      // (N, C) after a linear layer: one element per (n, c)
    [InlineData(7, 3, 33)]     // odd sizes, fewer than 256 elements per channel
    [InlineData(1, 2, 70001)]  // 70001 per channel: more than 256 partials' worth, so P clamps to 256
    public void ChannelReductionsMatchReference(int n, int c, int s)
    {
        var rng = new Random(n * 100 + c * 10 + s);
        var xd = Rounded(RandomArray(rng, n * c * s, -1, 3));
        var x = Make(Be, xd, n, c, s);
        var db = Tensor.Empty(new Shape(c), Be);
        Be.ChannelSum(x, db);
        AssertClose("channel sum", Reference.ChannelSum(xd, n, c, s), db.ToArray(), 1e-4, 1e-5);

        var ones = Enumerable.Repeat(1.0, c).ToArray();
        var zeros = new double[c];
        var (mean, invStd) = (Tensor.Empty(new Shape(c), Be), Tensor.Empty(new Shape(c), Be));
        var (rm, rv) = (Make(Be, zeros, c), Make(Be, ones, c));
        var y = Tensor.Empty(x.Shape, Be);
        Be.BatchNormForwardTraining(x, Make(Be, ones, c), Make(Be, zeros, c), y, mean, invStd, rm, rv, 0.25f, 1e-5f);
        var yRef = Reference.BatchNormTrain(xd, n, c, s, ones, zeros, 1e-5, 0.25, zeros, ones, out var rmRef, out var rvRef);
        AssertClose("batch norm y", yRef, y.ToArray(), 1e-4, 1e-4);
        AssertClose("batch norm running mean", rmRef, rm.ToArray(), 1e-5, 1e-5);
        AssertClose("batch norm running var", rvRef, rv.ToArray(), 1e-5, 1e-5);
    }

    [Fact]
    public void ElementwiseOpsMayRunInPlace()
    {
        var rng = new Random(3);
        var ad = Rounded(RandomArray(rng, 333));
        var bd = Rounded(RandomArray(rng, 333));
        var a = Make(Be, ad, 333);
        var b = Make(Be, bd, 333);
        Be.Unary(UnaryOp.LeakyRelu, a, a, 0.5f);
        Be.Binary(BinaryOp.Mul, a, b, a);
        Be.Axpy(-2f, b, a);
        var expected = ad.Select((v, i) => (v > 0 ? v : 0.5 * v) * bd[i] - 2 * bd[i]).ToArray();
        AssertClose("in-place leaky relu, mul, axpy", expected, a.ToArray(), 1e-6, 1e-6);
    }

    [Fact]
    public void CopyRowsHonoursOffsetsAndStrides()
    {
        var src = Make(Be, Enumerable.Range(0, 40).Select(i => (double)i).ToArray(), 40);
        var dst = Make(Be, Enumerable.Repeat(-1.0, 30).ToArray(), 30);
        // 3 rows of 4 from offset 5, stride 10, into offset 2, stride 9.
        Be.CopyRows(src, 5, 10, dst, 2, 9, 3, 4);
        var expected = Enumerable.Repeat(-1.0, 30).ToArray();
        for (int r = 0; r < 3; r++)
        {
            for (int k = 0; k < 4; k++)
            {
                expected[2 + r * 9 + k] = 5 + r * 10 + k;
            }
        }
        AssertClose("copy rows", expected, dst.ToArray(), 0, 0);
        Assert.Throws<ArgumentOutOfRangeException>(() => Be.CopyRows(src, 5, 10, dst, 2, 9, 4, 4));
    }

    [Fact]
    public void MaxPoolRoutesTiesToTheFirstMaximumAndPropagatesNaN()
    {
        // Windows of 2³ over plateaus and a NaN: the ILGPU kernels must pick the same winners as the CPU backend.
        var g = Pool3dGeometry.Create(1, 2, 4, 4, 5, 2, 2, 2, 2, 2, 2, 0, 0, 1);
        var xd = new double[g.InputSize];
        for (int i = 0; i < xd.Length; i++)
        {
            xd[i] = i % 7 < 4 ? 1.0 : 0.25 * (i % 3); // long runs of equal maxima
        }
        xd[9] = double.NaN;
        var dyd = Rounded(RandomArray(new Random(9), g.OutputSize));
        float[] Run(IBackend be, out float[] dx)
        {
            var x = Make(be, xd, 1, 2, 4, 4, 5);
            var y = Tensor.Empty(new Shape(1, 2, g.Do, g.Ho, g.Wo), be);
            be.MaxPool3dForward(x, y, g);
            var d = Tensor.Empty(x.Shape, be);
            be.MaxPool3dBackward(x, y, Make(be, dyd, y.Shape.ToArray()), d, g);
            dx = d.ToArray();
            return y.ToArray();
        }
        var yIlgpu = Run(Be, out var dxIlgpu);
        var yCpu = Run(new CpuBackend(threads: 1), out var dxCpu);
        Assert.Equal(yCpu, yIlgpu);
        Assert.Equal(dxCpu, dxIlgpu);
        Assert.Contains(yIlgpu, float.IsNaN);
    }

    [Fact]
    public void TensorsOfAnotherBackendAreRejectedByName()
    {
        var cpuTensor = Tensor.Zeros(new Shape(4), CpuBackend.Default);
        var ex = Assert.Throws<ArgumentException>(() => Be.Fill(cpuTensor, 1f));
        Assert.Contains("cpu", ex.Message, StringComparison.Ordinal);
        Assert.Contains("ilgpu-cpu", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void SelfCheckPassesOnTheEmulator()
    {
        var output = new StringWriter();
        bool ok = Be.SelfCheck(output);
        TestContext.Current.TestOutputHelper?.WriteLine(output.ToString());
        Assert.True(ok, output.ToString());
        Assert.Contains("uniform draws (bit-identical)", output.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void WithoutAGpuTheSmokeTestSaysSoPlainly()
    {
        var probe = IlgpuBackend.ProbeCuda();
        if (probe.Devices.Count > 0)
        {
            Assert.Skip($"a CUDA device is present ({probe.Devices[0]}): the no-device report cannot be checked here");
        }
        Assert.False(string.IsNullOrWhiteSpace(probe.Problem));
        var output = new StringWriter();
        Assert.False(IlgpuBackend.SmokeTest(output));
        Assert.StartsWith("no CUDA device found: ", output.ToString(), StringComparison.Ordinal);
        Assert.Null(IlgpuBackend.TryCreateCuda());
        Assert.Empty(IlgpuBackend.ListCudaDevices());
    }

    [Fact]
    public void NameAndKindDescribeTheEmulator()
    {
        Assert.Equal(DeviceKind.IlgpuCpu, Be.Kind);
        Assert.Equal("ilgpu-cpu (emulator)", Be.Name);
    }
}

/// <summary>
/// Uploads and downloads with managed arrays while another thread keeps compacting the heap: ILGPU
/// copies through the raw address of the ref it gets, so the backend must pin the host array, or a
/// collection that moves it mid-copy leaves the tensor (or the array) with zeros.
/// </summary>
public sealed class IlgpuTransferPinningTests
{
    [Fact]
    public void TransfersSurviveCompactingCollections()
    {
        using var be = IlgpuBackend.CreateCpu();
        bool stop = false;
        var collector = new Thread(() =>
        {
            while (!Volatile.Read(ref stop))
            {
                GC.Collect(0, GCCollectionMode.Forced, blocking: true, compacting: true);
                Thread.SpinWait(2000); // leave the copying thread time to run between collections
            }
        });
        collector.Start();
        var tensor = Tensor.Empty(new Shape(1 << 12), be);
        int bad = 0;
        try
        {
            for (int round = 0; round < 3000 && bad == 0; round++)
            {
                // Fresh young arrays: the ones a gen-0 compaction moves.
                var source = new float[1 << 12]; // 16 KiB: small-object heap, where compaction moves arrays
                for (int i = 0; i < source.Length; i++)
                {
                    source[i] = round + i * 1e-3f;
                }
                _ = new byte[4096];
                be.Upload(source, tensor);
                var back = new float[source.Length];
                be.Download(tensor, back);
                bad += source.AsSpan().SequenceEqual(back) ? 0 : 1;
            }
        }
        finally
        {
            Volatile.Write(ref stop, true);
            collector.Join();
        }
        Assert.Equal(0, bad);
    }
}
