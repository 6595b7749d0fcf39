using Gan3D.Kernels;
using Gan3D.Tensors;
using ILGPU.Runtime.CPU;
using static Gan3D.Tests.Engine.TestSupport;

namespace Gan3D.Tests.Engine;

/// <summary>
/// The version-2 kernels (tiled implicit-GEMM convolution, fused batch-norm statistics, warp-shuffle
/// reductions) on ILGPU's CPU accelerator, against the float64 references and against version 1.
/// The emulator runs one OS thread per simulated thread and v2 groups are 256 wide, so shapes are tiny
/// but odd, chosen to reach every path: tile remainders in M, N and K, stride 2 and 3 parity classes
/// (some with no tap), output padding, non-cubic kernels, the dense 1³ path and split-K.
/// </summary>
public sealed class IlgpuKernelV2Tests
{
    /// <summary>A device with 32-wide warps and 256-thread groups (8 warps), one multiprocessor.</summary>
    private static readonly Lazy<IlgpuBackend> s_backend = new(() =>
        IlgpuBackend.CreateCpu(new CPUDevice(numThreadsPerWarp: 32, numWarpsPerMultiprocessor: 8, numMultiprocessors: 1)));

    private static IlgpuBackend Be => s_backend.Value;

    /// <summary>Runs <paramref name="body"/> with the given kernel version, restoring the default after.</summary>
    private static T With<T>(int version, Func<IlgpuBackend, T> body)
    {
        var be = Be;
        int saved = be.KernelVersion;
        be.KernelVersion = version;
        try
        {
            return body(be);
        }
        finally
        {
            be.KernelVersion = saved;
        }
    }

    [Fact]
    public void VersionTwoIsTheDefaultWhereTheAcceleratorCanRunIt()
    {
        Assert.Equal(2, Be.KernelVersion);
        using var small = IlgpuBackend.CreateCpu(); // 4-wide warps: version 2 cannot run there
        Assert.Equal(1, small.KernelVersion);
        var ex = Assert.Throws<NotSupportedException>(() => small.KernelVersion = 2);
        Assert.Contains("256", ex.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(() => Be.KernelVersion = 3);
    }

    // (N, Cin, D, H, W, Cout, Kd, Kh, Kw, stride, padding).
    public static TheoryData<int[]> ConvGeometries => new()
    {
        new[] { 2, 3, 5, 6, 7, 5, 3, 3, 3, 1, 1 },    // stride 1 pad 1: one parity class
        new[] { 1, 2, 7, 6, 9, 3, 4, 4, 4, 2, 1 },    // the GAN's k4 s2 p1 with odd extents: 8 classes of 2³ taps
        new[] { 1, 3, 5, 4, 6, 2, 2, 3, 1, 2, 0 },    // non-cubic kernel, stride 2 no padding
        new[] { 1, 2, 7, 5, 5, 2, 2, 2, 2, 3, 1 },    // kernel smaller than the stride: classes with no tap at all
        new[] { 2, 70, 2, 3, 2, 67, 1, 2, 2, 1, 0 },  // 67 rows and 70·4 = 280 reduction: remainders past one 64-tile
        new[] { 3, 5, 4, 4, 4, 3, 4, 4, 4, 1, 0 },    // 1³ output: the dense backward-data path
    };

    [Theory]
    [MemberData(nameof(ConvGeometries))]
    public void ConvolutionMatchesReferenceAndVersionOne(int[] v)
    {
        var g = Conv3dGeometry.Create(v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8], v[9], v[9], v[9], v[10], v[10], v[10]);
        var rng = new Random(g.GetHashCode());
        var x = Rounded(RandomArray(rng, g.InputSize));
        var w = Rounded(RandomArray(rng, g.WeightSize));
        var dy = Rounded(RandomArray(rng, g.OutputSize));
        var v2 = With(2, be => RunConv(be, g, x, w, dy));
        var v1 = With(1, be => RunConv(be, g, x, w, dy));
        AssertClose($"forward {g}", Reference.Conv3d(x, w, null, g), v2.Y, 1e-4, 1e-4);
        AssertClose($"backward-data {g}", Reference.Conv3dBackwardData(dy, w, g), v2.Dx, 1e-4, 1e-4);
        AssertClose($"backward-weight {g}", Reference.Conv3dBackwardWeight(x, dy, g), v2.Dw, 1e-4, 1e-4);
        AssertClose($"forward v1 vs v2 {g}", ToDouble(v1.Y), v2.Y, 1e-5, 1e-5);
        AssertClose($"backward-data v1 vs v2 {g}", ToDouble(v1.Dx), v2.Dx, 1e-5, 1e-5);
        AssertClose($"backward-weight v1 vs v2 {g}", ToDouble(v1.Dw), v2.Dw, 1e-5, 1e-5);
    }

    [Fact]
    public void BackwardWeightSplitsALongReductionAndStaysDeterministic()
    {
        // 1·9·8·9 = 648 reduction indices for a 2×2×3³ weight: one tile, so the reduction is split.
        var g = Conv3dGeometry.Create(1, 2, 9, 8, 9, 2, 3, 3, 3, 1, 1, 1, 1, 1, 1);
        int chunk = IlgpuBackend.BackwardWeightChunk(g, out int chunks);
        Assert.True(chunks > 1, $"expected split-K, got {chunks} chunk(s) of {chunk}");
        Assert.True(chunk % ImplicitGemmTile.TileK == 0 && (long)chunk * chunks >= g.N * g.OutputVolume && (long)chunk * (chunks - 1) < g.N * g.OutputVolume);
        var rng = new Random(5);
        var x = Rounded(RandomArray(rng, g.InputSize));
        var dy = Rounded(RandomArray(rng, g.OutputSize));
        var first = With(2, be => BackwardWeight(be, g, x, dy));
        var second = With(2, be => BackwardWeight(be, g, x, dy));
        AssertClose($"split-K backward-weight ({chunks} chunks of {chunk}) {g}", Reference.Conv3dBackwardWeight(x, dy, g), first, 1e-4, 1e-4);
        Assert.Equal(first, second); // chunks summed in a fixed order: no atomics
    }

    [Fact]
    public void LargeWeightsAreNotSplit()
    {
        // The D's 256 → 512 layer: 128 tiles of weight; and its 64³-batch-100 first layer: 1 tile, long reduction.
        IlgpuBackend.BackwardWeightChunk(Conv3dGeometry.Create(100, 256, 8, 8, 8, 512, 4, 4, 4, 2, 2, 2, 1, 1, 1), out int big);
        int chunk = IlgpuBackend.BackwardWeightChunk(Conv3dGeometry.Create(100, 1, 64, 64, 64, 64, 4, 4, 4, 2, 2, 2, 1, 1, 1), out int first);
        Assert.Equal(1, big); // 8 × 256 tiles already fill the GPU
        Assert.Equal(64, first); // 1 tile wants 256 groups, capped at 64 chunks
        Assert.Equal(100 * 32 * 32 * 32 / 64, chunk);
    }

    // (N, Cin, D, H, W, Cout, Kd, Kh, Kw, stride, padding, output padding) of conv_transpose3d.
    public static TheoryData<int[]> TransposedGeometries => new()
    {
        new[] { 2, 5, 1, 1, 1, 3, 4, 4, 4, 1, 0, 0 },  // the generator's first layer: 1³ → 4³ (dense path)
        new[] { 2, 3, 3, 2, 3, 2, 4, 4, 4, 2, 1, 0 },  // the generator's k4 s2 p1
        new[] { 1, 2, 3, 2, 3, 3, 3, 2, 3, 2, 1, 1 },  // output padding 1, non-cubic kernel, odd kernel with stride 2
        new[] { 1, 3, 2, 3, 2, 2, 2, 3, 1, 3, 0, 2 },  // stride 3 with output padding 2
    };

    [Theory]
    [MemberData(nameof(TransposedGeometries))]
    public void TransposedConvolutionMatchesReference(int[] c)
    {
        int[] xs = [c[0], c[1], c[2], c[3], c[4]], ws = [c[1], c[5], c[6], c[7], c[8]];
        int[] s = [c[9], c[9], c[9]], p = [c[10], c[10], c[10]], op = [c[11], c[11], c[11]];
        var rng = new Random(c.Sum());
        var x = Rounded(RandomArray(rng, xs.Aggregate(1, (a, b) => a * b)));
        var w = Rounded(RandomArray(rng, ws.Aggregate(1, (a, b) => a * b)));
        var yRef = Reference.ConvTranspose3d(x, xs, w, ws, null, s, p, op, out var ys);
        var dy = Rounded(RandomArray(rng, yRef.Length));
        var g = Conv3dGeometry.ForTransposed(c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7], c[8], s[0], s[1], s[2], p[0], p[1], p[2], op[0], op[1], op[2]);
        var (y, dx, dw) = With(2, be =>
        {
            var xt = Param(be, x, xs);
            var wt = Param(be, w, ws);
            var yt = Ops.ConvTranspose3d(xt, wt, null, (s[0], s[1], s[2]), (p[0], p[1], p[2]), (op[0], op[1], op[2]));
            yt.Backward(Make(be, dy, ys));
            return (yt.ToArray(), xt.Grad!.ToArray(), wt.Grad!.ToArray());
        });
        AssertClose($"conv_transpose3d forward {g}", yRef, y, 1e-4, 1e-4);
        AssertClose($"conv_transpose3d grad input {g}", Reference.Conv3d(dy, w, null, g), dx, 1e-4, 1e-4);
        AssertClose($"conv_transpose3d grad weight {g}", Reference.Conv3dBackwardWeight(dy, x, g), dw, 1e-4, 1e-4);
    }

    private static (float[] Y, float[] Dx, float[] Dw) RunConv(IlgpuBackend be, Conv3dGeometry g, double[] x, double[] w, double[] dy)
    {
        var xt = Make(be, x, g.N, g.Cin, g.Di, g.Hi, g.Wi);
        var wt = Make(be, w, g.Cout, g.Cin, g.Kd, g.Kh, g.Kw);
        var dyt = Make(be, dy, g.N, g.Cout, g.Do, g.Ho, g.Wo);
        // Filled with NaN first: an element a kernel forgets to write shows up.
        var y = Tensor.Full(dyt.Shape, float.NaN, be);
        var dx = Tensor.Full(xt.Shape, float.NaN, be);
        var dw = Tensor.Full(wt.Shape, float.NaN, be);
        be.Conv3dForward(xt, wt, y, g);
        be.Conv3dBackwardData(dyt, wt, dx, g);
        be.Conv3dBackwardWeight(xt, dyt, dw, g);
        return (y.ToArray(), dx.ToArray(), dw.ToArray());
    }

    private static float[] BackwardWeight(IlgpuBackend be, Conv3dGeometry g, double[] x, double[] dy)
    {
        var dw = Tensor.Full(new Shape(g.Cout, g.Cin, g.Kd, g.Kh, g.Kw), float.NaN, be);
        be.Conv3dBackwardWeight(Make(be, x, g.N, g.Cin, g.Di, g.Hi, g.Wi), Make(be, dy, g.N, g.Cout, g.Do, g.Ho, g.Wo), dw, g);
        return dw.ToArray();
    }
}
