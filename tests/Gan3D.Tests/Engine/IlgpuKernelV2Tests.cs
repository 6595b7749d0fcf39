using Gan3D.Kernels;
using Gan3D.Tensors;
using ILGPU.Runtime.CPU;
using static Gan3D.Tests.Engine.TestSupport;

namespace Gan3D.Tests.Engine;

/// <summary>
/// The version-2 kernels (tiled implicit-GEMM convolution, fused batch-norm statistics, warp-shuffle
/// reductions) against the float64 references and against version 1: on ILGPU's CPU accelerator in CI,
/// on CUDA when a GPU is present. The emulator runs one OS thread per simulated thread and v2 groups
/// are 256 wide, so shapes are tiny but odd, chosen to reach every path: tile remainders in M, N and K,
/// stride 2 and 3 parity classes (some with no tap), output padding, non-cubic kernels, the dense 1³
/// path and split-K.
/// </summary>
public abstract class IlgpuKernelV2Tests
{
    /// <summary>The backend under test (a subclass skips the test when its device is absent).</summary>
    protected abstract IlgpuBackend Be { get; }

    /// <summary>Factor on every tolerance: CUDA kernels use fast math and may contract multiply-adds.</summary>
    protected virtual double Slack => 1;

    /// <summary>
    /// Runs <paramref name="body"/> with the given kernel version, restoring the defaults after. The
    /// version's own 64 × 64 tiles run every shape unless <paramref name="selectByShape"/> (the small
    /// shapes here would otherwise go to the small-M kernels, tested on their own below).
    /// </summary>
    private T With<T>(int version, Func<IlgpuBackend, T> body, bool selectByShape = false, bool border = false)
    {
        var be = Be;
        int saved = be.KernelVersion;
        be.KernelVersion = version;
        be.ConvSelectByShape = selectByShape;
        be.ConvForceBorderSplit = border;
        try
        {
            return body(be);
        }
        finally
        {
            be.KernelVersion = saved;
            be.ConvSelectByShape = true;
            be.ConvForceBorderSplit = false;
        }
    }

    [Fact]
    public void VersionTwoIsTheDefaultWhereTheAcceleratorCanRunIt()
    {
        Assert.Equal(2, Be.KernelVersion);
        Assert.True(IlgpuBackend.SupportsVersion2(Be.Accelerator));
        using var small = IlgpuBackend.CreateCpu(); // 4-wide warps: version 2 cannot run there
        Assert.Equal(1, small.KernelVersion);
        var ex = Assert.Throws<NotSupportedException>(() => small.KernelVersion = 2);
        Assert.Contains("256", ex.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(() => Be.KernelVersion = 4);
        Assert.Equal([1, 2, 3], Be.KernelVersions);
        Assert.Equal([1], small.KernelVersions);
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
        new[] { 2, 3, 5, 3, 9, 3, 1, 1, 4, 2, 1 },    // kw = 4 alone: v3's k4 forward with a 12-deep reduction (a half slice), depth classes without taps
        new[] { 2, 3, 5, 7, 16, 5, 4, 4, 4, 2, 1 },   // output 2×3×8: v3's rows-of-8 backward-weight, carrying into height, depth and batch entry
        new[] { 1, 2, 3, 3, 16, 66, 4, 4, 4, 2, 1 },  // 66 rows of dW and 128 columns: rows-of-8 backward-weight past one tile each way; k4 s2 backward-data over 66 slices
    };

    [Theory]
    [MemberData(nameof(ConvGeometries), MemberType = typeof(IlgpuKernelV2Tests))]
    public void ConvolutionMatchesReferenceAndVersionOne(int[] v)
    {
        var g = Conv3dGeometry.Create(v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8], v[9], v[9], v[9], v[10], v[10], v[10]);
        var rng = new Random(g.GetHashCode());
        var x = Rounded(RandomArray(rng, g.InputSize));
        var w = Rounded(RandomArray(rng, g.WeightSize));
        var dy = Rounded(RandomArray(rng, g.OutputSize));
        var v2 = With(2, be => RunConv(be, g, x, w, dy));
        var v1 = With(1, be => RunConv(be, g, x, w, dy));
        AssertClose($"forward {g}", Reference.Conv3d(x, w, null, g), v2.Y, Slack * 1e-4, Slack * 1e-4);
        AssertClose($"backward-data {g}", Reference.Conv3dBackwardData(dy, w, g), v2.Dx, Slack * 1e-4, Slack * 1e-4);
        AssertClose($"backward-weight {g}", Reference.Conv3dBackwardWeight(x, dy, g), v2.Dw, Slack * 1e-4, Slack * 1e-4);
        AssertClose($"forward v1 vs v2 {g}", ToDouble(v1.Y), v2.Y, Slack * 1e-5, Slack * 1e-5);
        AssertClose($"backward-data v1 vs v2 {g}", ToDouble(v1.Dx), v2.Dx, Slack * 1e-5, Slack * 1e-5);
        AssertClose($"backward-weight v1 vs v2 {g}", ToDouble(v1.Dw), v2.Dw, Slack * 1e-5, Slack * 1e-5);
        // Version 3: the same GEMMs on 8 × 8 register tiles and a gather that walks its taps.
        var v3 = With(3, be => RunConv(be, g, x, w, dy));
        AssertClose($"forward v3 {g}", Reference.Conv3d(x, w, null, g), v3.Y, Slack * 1e-4, Slack * 1e-4);
        AssertClose($"backward-data v3 {g}", Reference.Conv3dBackwardData(dy, w, g), v3.Dx, Slack * 1e-4, Slack * 1e-4);
        AssertClose($"backward-weight v3 {g}", Reference.Conv3dBackwardWeight(x, dy, g), v3.Dw, Slack * 1e-4, Slack * 1e-4);
    }

    [Fact]
    public void BackwardWeightSplitsALongReductionAndStaysDeterministic()
    {
        // 1·9·8·9 = 648 reduction indices for a 2×2×3³ weight: one tile, so the reduction is split.
        var g = Conv3dGeometry.Create(1, 2, 9, 8, 9, 2, 3, 3, 3, 1, 1, 1, 1, 1, 1);
        int chunk = ConvLaunchPlan.BackwardWeightChunk(g, out int chunks);
        Assert.True(chunks > 1, $"expected split-K, got {chunks} chunk(s) of {chunk}");
        Assert.True(chunk % ImplicitGemmTile.TileK == 0 && (long)chunk * chunks >= g.N * g.OutputVolume && (long)chunk * (chunks - 1) < g.N * g.OutputVolume);
        var rng = new Random(5);
        var x = Rounded(RandomArray(rng, g.InputSize));
        var dy = Rounded(RandomArray(rng, g.OutputSize));
        var first = With(2, be => BackwardWeight(be, g, x, dy));
        var second = With(2, be => BackwardWeight(be, g, x, dy));
        AssertClose($"split-K backward-weight ({chunks} chunks of {chunk}) {g}", Reference.Conv3dBackwardWeight(x, dy, g), first, Slack * 1e-4, Slack * 1e-4);
        Assert.Equal(first, second); // chunks summed in a fixed order: no atomics
        var v3 = With(3, be => BackwardWeight(be, g, x, dy));
        AssertClose($"split-K backward-weight v3 ({chunks} chunks of {chunk}) {g}", Reference.Conv3dBackwardWeight(x, dy, g), v3, Slack * 1e-4, Slack * 1e-4);
    }

    [Fact]
    public void BackwardWeightOverRowsOf8SplitsMidRowAndMatchesReference()
    {
        // Output 3×3×16, 5 batch entries: 720 reduction indices in 2 chunks of 360, the second starting at
        // batch entry 2, position (1, 1, 8): version 3's rows-of-8 kernel decodes a start in the middle of a row.
        var g = Conv3dGeometry.Create(5, 2, 6, 6, 32, 3, 4, 4, 4, 2, 2, 2, 1, 1, 1);
        Assert.True(Conv3dKernels.HasRowsOf8(g));
        int chunk = ConvLaunchPlan.BackwardWeightChunk(g, out int chunks);
        Assert.True(chunks > 1 && chunk % g.Wo != 0, $"expected a split mid-row, got {chunks} chunk(s) of {chunk}");
        var rng = new Random(11);
        var x = Rounded(RandomArray(rng, g.InputSize));
        var dy = Rounded(RandomArray(rng, g.OutputSize));
        var v3 = With(3, be => BackwardWeight(be, g, x, dy));
        AssertClose($"rows-of-8 backward-weight v3 ({chunks} chunks of {chunk}) {g}", Reference.Conv3dBackwardWeight(x, dy, g), v3, Slack * 1e-4, Slack * 1e-4);
        Assert.Equal(v3, With(3, be => BackwardWeight(be, g, x, dy)));
    }

    [Fact]
    public void LargeWeightsAreNotSplit()
    {
        // The D's 256 → 512 layer: 128 tiles of weight; and its 64³-batch-100 first layer: 1 tile, long reduction.
        ConvLaunchPlan.BackwardWeightChunk(Conv3dGeometry.Create(100, 256, 8, 8, 8, 512, 4, 4, 4, 2, 2, 2, 1, 1, 1), out int big);
        int chunk = ConvLaunchPlan.BackwardWeightChunk(Conv3dGeometry.Create(100, 1, 64, 64, 64, 64, 4, 4, 4, 2, 2, 2, 1, 1, 1), out int first);
        Assert.Equal(1, big); // 8 × 256 tiles already fill the GPU
        Assert.Equal(64, first); // 1 tile wants 4 × 132 groups, capped at 64 chunks
        Assert.Equal(100 * 32 * 32 * 32 / 64, chunk);
    }

    // (N, Cin, D, H, W, Cout, Kd, Kh, Kw, stride, padding): few tiles and a long reduction, so the tile
    // launches of the pass named split it into chunks, summed in chunk order.
    public static TheoryData<int[], ConvKernelPass> SplitKGeometries => new()
    {
        { new[] { 1, 20, 3, 4, 5, 3, 3, 3, 3, 1, 1 }, ConvKernelPass.Forward },       // 540 → chunks of 272 and 268 (a part slice)
        { new[] { 1, 9, 3, 3, 5, 2, 4, 4, 4, 1, 1 }, ConvKernelPass.Forward },        // kw = 4 (v3's k4 kernel): 576 → 2 × 288
        { new[] { 1, 3, 5, 4, 6, 70, 4, 4, 4, 2, 1 }, ConvKernelPass.BackwardData },  // k4 s2 (v3's k4 s2 kernel): classes of 560 → 2 × 280
    };

    [Theory]
    [MemberData(nameof(SplitKGeometries), MemberType = typeof(IlgpuKernelV2Tests))]
    public void SplitKForwardAndBackwardDataMatchReferenceDeterministically(int[] v, ConvKernelPass pass)
    {
        var g = Conv3dGeometry.Create(v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8], v[9], v[9], v[9], v[10], v[10], v[10]);
        Assert.True(ConvLaunchPlan.Create(pass, g, 2, selectByShape: false).SplitK > 1, $"{pass} {g}: expected split-K");
        var rng = new Random(g.GetHashCode());
        var x = Rounded(RandomArray(rng, g.InputSize));
        var w = Rounded(RandomArray(rng, g.WeightSize));
        var dy = Rounded(RandomArray(rng, g.OutputSize));
        foreach (int version in new[] { 2, 3 })
        {
            var first = With(version, be => RunConv(be, g, x, w, dy));
            AssertClose($"split-K forward v{version} {g}", Reference.Conv3d(x, w, null, g), first.Y, Slack * 1e-4, Slack * 1e-4);
            AssertClose($"split-K backward-data v{version} {g}", Reference.Conv3dBackwardData(dy, w, g), first.Dx, Slack * 1e-4, Slack * 1e-4);
            AssertClose($"backward-weight v{version} {g}", Reference.Conv3dBackwardWeight(x, dy, g), first.Dw, Slack * 1e-4, Slack * 1e-4);
            var second = With(version, be => RunConv(be, g, x, w, dy));
            Assert.Equal(first.Y, second.Y); // chunks summed in a fixed order: no atomics
            Assert.Equal(first.Dx, second.Dx);
        }
    }

    // (N, Cin, D, H, W, Cout, Kd, Kh, Kw, stride, padding): the border split, forced for all three passes.
    public static TheoryData<int[]> BorderGeometries => new()
    {
        new[] { 1, 3, 8, 8, 8, 5, 4, 4, 4, 2, 1 },   // D.conv4's 8³ → 4³ k4 s2 p1: 3 runs an axis forward, 4 backward-data
        new[] { 1, 2, 7, 5, 5, 2, 2, 2, 2, 3, 1 },   // kernel smaller than the stride: classes with no tap
        new[] { 1, 2, 2, 3, 2, 3, 2, 2, 2, 1, 2 },   // padding of the kernel's size: outputs whose window is all padding
        new[] { 1, 20, 3, 4, 5, 3, 3, 3, 3, 1, 1 },  // stride 1 pad 1, odd extents, split-K: 27 run combinations reducing over up to 540
    };

    [Theory]
    [MemberData(nameof(BorderGeometries), MemberType = typeof(IlgpuKernelV2Tests))]
    public void BorderSplitMatchesReference(int[] v)
    {
        var g = Conv3dGeometry.Create(v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8], v[9], v[9], v[9], v[10], v[10], v[10]);
        Assert.All(Enum.GetValues<ConvKernelPass>(), pass => Assert.True(ConvLaunchPlan.BorderSplit(pass, g, 2).Border));
        var rng = new Random(g.GetHashCode());
        var x = Rounded(RandomArray(rng, g.InputSize));
        var w = Rounded(RandomArray(rng, g.WeightSize));
        var dy = Rounded(RandomArray(rng, g.OutputSize));
        foreach (int version in new[] { 2, 3 })
        {
            var r = With(version, be => RunConv(be, g, x, w, dy), border: true);
            AssertClose($"border forward v{version} {g}", Reference.Conv3d(x, w, null, g), r.Y, Slack * 1e-4, Slack * 1e-4);
            AssertClose($"border backward-data v{version} {g}", Reference.Conv3dBackwardData(dy, w, g), r.Dx, Slack * 1e-4, Slack * 1e-4);
            AssertClose($"border backward-weight v{version} {g}", Reference.Conv3dBackwardWeight(x, dy, g), r.Dw, Slack * 1e-4, Slack * 1e-4);
        }
    }

    // (N, Cin, D, H, W, Cout, Kd, Kh, Kw, stride, padding): shapes whose 64-row tiles waste, so the plan
    // picks the small-M kernels for the listed passes (F forward, D backward-data, W backward-weight).
    public static TheoryData<int[], string> SmallMGeometries => new()
    {
        { new[] { 2, 9, 4, 4, 4, 1, 4, 4, 4, 1, 0 }, "FDW" },  // D's last layer: Cout = 1 over 576 reduction indices (split into chunks), dense dX by batch rows
        { new[] { 1, 1, 7, 6, 5, 3, 4, 4, 4, 2, 1 }, "FDW" },  // G's last layer's adjoint: Cin = 1 by parity class (m1); 3 of an 8-row block
        { new[] { 1, 2, 3, 4, 5, 11, 3, 3, 3, 1, 1 }, "FDW" }, // 11 rows: a full 8-row block and a block of 3
        { new[] { 1, 1, 2, 5, 4, 2, 2, 2, 2, 3, 1 }, "FDW" },  // stride 3 on a depth of 2: parity classes with no position
    };

    [Theory]
    [MemberData(nameof(SmallMGeometries), MemberType = typeof(IlgpuKernelV2Tests))]
    public void SmallMKernelsMatchReference(int[] v, string passes)
    {
        var g = Conv3dGeometry.Create(v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8], v[9], v[9], v[9], v[10], v[10], v[10]);
        var picked = new[] { ConvKernelPass.Forward, ConvKernelPass.BackwardData, ConvKernelPass.BackwardWeight }
            .Where(pass => ConvLaunchPlan.Create(pass, g, 2).Tiling == ConvTiling.SmallM)
            .Select(pass => "FDW"[(int)pass]);
        Assert.Equal(passes, string.Concat(picked));
        var rng = new Random(g.GetHashCode());
        var x = Rounded(RandomArray(rng, g.InputSize));
        var w = Rounded(RandomArray(rng, g.WeightSize));
        var dy = Rounded(RandomArray(rng, g.OutputSize));
        var r = With(2, be => RunConv(be, g, x, w, dy), selectByShape: true);
        AssertClose($"small-M forward {g}", Reference.Conv3d(x, w, null, g), r.Y, Slack * 1e-4, Slack * 1e-4);
        AssertClose($"small-M backward-data {g}", Reference.Conv3dBackwardData(dy, w, g), r.Dx, Slack * 1e-4, Slack * 1e-4);
        AssertClose($"small-M backward-weight {g}", Reference.Conv3dBackwardWeight(x, dy, g), r.Dw, Slack * 1e-4, Slack * 1e-4);
    }

    [Fact]
    public void SmallMForwardSplitsALongReductionDeterministically()
    {
        var g = Conv3dGeometry.Create(2, 9, 4, 4, 4, 1, 4, 4, 4, 1, 1, 1, 0, 0, 0);
        var plan = ConvLaunchPlan.Create(ConvKernelPass.Forward, g, 2);
        Assert.Equal(ConvTiling.SmallM, plan.Tiling);
        Assert.True(plan.SplitK > 1, $"expected split-K, got {plan.SplitK}");
        var rng = new Random(11);
        var x = Rounded(RandomArray(rng, g.InputSize));
        var w = Rounded(RandomArray(rng, g.WeightSize));
        float[] Forward() => With(3, be =>
        {
            var y = Tensor.Full(new Shape(g.N, g.Cout, g.Do, g.Ho, g.Wo), float.NaN, be);
            be.Conv3dForward(Make(be, x, g.N, g.Cin, g.Di, g.Hi, g.Wi), Make(be, w, g.Cout, g.Cin, g.Kd, g.Kh, g.Kw), y, g);
            return y.ToArray();
        }, selectByShape: true);
        var first = Forward();
        AssertClose($"small-M split-K forward {g}", Reference.Conv3d(x, w, null, g), first, Slack * 1e-4, Slack * 1e-4);
        Assert.Equal(first, Forward());
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
    [MemberData(nameof(TransposedGeometries), MemberType = typeof(IlgpuKernelV2Tests))]
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
        AssertClose($"conv_transpose3d forward {g}", yRef, y, Slack * 1e-4, Slack * 1e-4);
        AssertClose($"conv_transpose3d grad input {g}", Reference.Conv3d(dy, w, null, g), dx, Slack * 1e-4, Slack * 1e-4);
        AssertClose($"conv_transpose3d grad weight {g}", Reference.Conv3dBackwardWeight(dy, x, g), dw, Slack * 1e-4, Slack * 1e-4);
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

    // ------------------------------------------------------------ reductions and batch norm

    // A group of 256 threads per partial of 2048 elements: both sides of the group and partial
    // boundaries, and a size with 10 partials where each thread strides 8 times. (Where P clamps at
    // 1024 is out of the emulator's reach: half a million simulated threads take minutes.)
    [Theory]
    [InlineData(1)]
    [InlineData(255)]
    [InlineData(2048)]
    [InlineData(2049)]
    [InlineData(20_001)]
    public void SumWithWarpShufflesIsExactAndDeterministic(int n)
    {
        var rng = new Random(n);
        var xd = Rounded(RandomArray(rng, n, 0.5, 1.5)); // positive: a lost element or lane is visible
        float Run(int version) => With(version, be =>
        {
            var y = Tensor.Empty(new Shape(), be);
            be.Sum(Make(be, xd, n), y, 0.5f);
            return y.Item();
        });
        float v2 = Run(2);
        AssertClose($"sum of {n}", 0.5 * xd.Sum(), v2, Slack * 1e-6, Slack * 1e-7);
        Assert.Equal(v2, Run(2));
    }

    [Theory]
    [InlineData(3, 5, 1, 0.0)]       // (N, C) after a linear layer
    [InlineData(7, 3, 33, 0.0)]      // fewer elements per channel than one group
    [InlineData(2, 2, 2500, 0.0)]    // 5000 per channel: 3 partials, the last one part-filled
    [InlineData(4, 3, 40, 1000.0)]   // |mean| ≫ std: a one-pass variance without the shift loses it
    public void BatchNormAndChannelSumMatchReference(int n, int c, int s, double offset)
    {
        var rng = new Random(n * 100 + c * 10 + s);
        var xd = Rounded(RandomArray(rng, n * c * s, offset - 1, offset + 3));
        var dyd = Rounded(RandomArray(rng, n * c * s));
        var gammaD = Rounded(RandomArray(rng, c, 0.5, 1.5));
        var betaD = Rounded(RandomArray(rng, c));
        var ones = Enumerable.Repeat(1.0, c).ToArray();
        var zeros = new double[c];
        var yRef = Reference.BatchNormTrain(xd, n, c, s, gammaD, betaD, 1e-5, 0.25, zeros, ones, out var rmRef, out var rvRef);
        var (dxRef, dgRef, dbRef) = Reference.BatchNormTrainBackward(xd, dyd, n, c, s, gammaD, 1e-5);
        With(2, be =>
        {
            var x = Make(be, xd, n, c, s);
            var db = Tensor.Empty(new Shape(c), be);
            be.ChannelSum(x, db);
            AssertClose("channel sum", Reference.ChannelSum(xd, n, c, s), db.ToArray(), Slack * (1e-4 * (1 + offset)), Slack * 1e-6);

            var gamma = Make(be, gammaD, c);
            var (mean, invStd) = (Tensor.Empty(new Shape(c), be), Tensor.Empty(new Shape(c), be));
            var (rm, rv) = (Make(be, zeros, c), Make(be, ones, c));
            var y = Tensor.Empty(x.Shape, be);
            be.BatchNormForwardTraining(x, gamma, Make(be, betaD, c), y, mean, invStd, rm, rv, 0.25f, 1e-5f);
            // The statistics themselves, tightly: float32 sums of squares at |mean| = 1000 would be off by percents.
            var (meanRef, invStdRef) = Statistics(xd, n, c, s, 1e-5);
            AssertClose("batch norm mean", meanRef, mean.ToArray(), Slack * 1e-6, Slack * 1e-7);
            AssertClose("batch norm 1/std", invStdRef, invStd.ToArray(), Slack * 1e-6, Slack * 1e-5);
            // y = x·scale + shift in float32 loses ~|x|·2⁻²⁴ to cancellation when |mean| is large: inherent to the formula.
            AssertClose("batch norm y", yRef, y.ToArray(), Slack * (1e-4 * (1 + offset / 100)), Slack * 1e-4);
            AssertClose("batch norm running mean", rmRef, rm.ToArray(), Slack * 1e-5, Slack * 1e-6);
            AssertClose("batch norm running var", rvRef, rv.ToArray(), Slack * 1e-5, Slack * 1e-5);

            var dx = Tensor.Empty(x.Shape, be);
            var (dg, dbeta) = (Tensor.Empty(new Shape(c), be), Tensor.Empty(new Shape(c), be));
            be.BatchNormBackward(x, Make(be, dyd, n, c, s), gamma, mean, invStd, dx, dg, dbeta, batchStatistics: true);
            AssertClose("batch norm dx", dxRef, dx.ToArray(), Slack * 1e-4, Slack * 1e-4);
            AssertClose("batch norm dgamma", dgRef, dg.ToArray(), Slack * 1e-4, Slack * 1e-4);
            AssertClose("batch norm dbeta", dbRef, dbeta.ToArray(), Slack * 1e-4, Slack * 1e-4);
            return 0;
        });
    }

    private static (double[] Mean, double[] InvStd) Statistics(double[] x, int n, int c, int s, double eps)
    {
        var mean = new double[c];
        var invStd = new double[c];
        for (int ch = 0; ch < c; ch++)
        {
            var values = Enumerable.Range(0, n).SelectMany(b => x.Skip((b * c + ch) * s).Take(s)).ToArray();
            mean[ch] = values.Average();
            double m = mean[ch];
            invStd[ch] = 1 / Math.Sqrt(values.Sum(v => (v - m) * (v - m)) / values.Length + eps);
        }
        return (mean, invStd);
    }

    [Theory]
    [InlineData(BatchNormActivation.Relu, 0f)]
    [InlineData(BatchNormActivation.LeakyRelu, 0.2f)]
    public void BatchNormFusedWithActivationMatchesTheTwoOps(BatchNormActivation activation, float alpha)
    {
        const int n = 3, c = 4, s = 29;
        var rng = new Random((int)activation);
        var xd = Rounded(RandomArray(rng, n * c * s, -2, 2));
        var gammaD = Rounded(RandomArray(rng, c, 0.5, 1.5));
        var betaD = Rounded(RandomArray(rng, c, -0.5, 0.5));
        var ones = Enumerable.Repeat(1.0, c).ToArray();
        var bn = Reference.BatchNormTrain(xd, n, c, s, gammaD, betaD, 1e-5, 0.1, new double[c], ones, out _, out _);
        var expected = bn.Select(v => v > 0 ? v : activation == BatchNormActivation.Relu ? 0 : alpha * v).ToArray();
        Assert.Contains(expected, v => v < 0 != (activation == BatchNormActivation.Relu) && v != 0); // both signs occur
        foreach (int version in new[] { 1, 2 })
        {
            var y = With(version, be =>
            {
                var t = Tensor.Empty(new Shape(n, c, s), be);
                be.BatchNormActivationForwardTraining(Make(be, xd, n, c, s), Make(be, gammaD, c), Make(be, betaD, c), t,
                    Tensor.Empty(new Shape(c), be), Tensor.Empty(new Shape(c), be), Make(be, new double[c], c), Make(be, ones, c),
                    0.1f, 1e-5f, activation, alpha);
                return t.ToArray();
            });
            AssertClose($"batch norm + {activation}, version {version}", expected, y, Slack * 1e-4, Slack * 1e-4);
        }
    }
}

/// <summary>The version-2 kernel tests on the CPU accelerator, with 32-wide warps and 256-thread groups (8 warps).</summary>
public sealed class IlgpuCpuKernelV2Tests : IlgpuKernelV2Tests
{
    private static readonly Lazy<IlgpuBackend> s_backend = new(() =>
        IlgpuBackend.CreateCpu(new CPUDevice(numThreadsPerWarp: 32, numWarpsPerMultiprocessor: 8, numMultiprocessors: 1)));

    protected override IlgpuBackend Be => s_backend.Value;
}

/// <summary>The version-2 kernel tests on a CUDA GPU: skipped, with the reason, where there is none.</summary>
public sealed class CudaKernelV2Tests : IlgpuKernelV2Tests
{
    private static readonly CudaForTests s_cuda = new();

    protected override IlgpuBackend Be => s_cuda.BackendOrSkip;

    protected override double Slack => 2;
}
