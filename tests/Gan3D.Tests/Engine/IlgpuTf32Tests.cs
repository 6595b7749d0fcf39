using Gan3D.Kernels;
using Gan3D.Tensors;
using ILGPU;
using ILGPU.Runtime;
using ILGPU.Runtime.CPU;
using static Gan3D.Tests.Engine.TestSupport;

namespace Gan3D.Tests.Engine;

/// <summary>
/// The TF32 tensor-core path (MmaTf32, ImplicitGemmTileTf32, Conv3dKernels.Tf32.cs): on ILGPU's CPU accelerator
/// the instruction is emulated from its PTX fragment layout with warp shuffles, so these tests check the
/// whole kernel's data movement and rounding; on CUDA the same tests check the tensor cores.
/// Tolerances, and why:
/// <list type="bullet">
/// <item>Rounding to TF32 (10-bit mantissa, to nearest) moves an operand by at most half a unit, 2^-11 of
/// it; a product of two rounded operands is then off by at most 2^-10 + 2^-22 of |a·b|, so a sum is
/// within (2^-10 + 2^-22)·Σ|a||b| of the exact one from rounding, plus float32 accumulation,
/// K·2^-24·Σ|a||b| for a K-term reduction. Each element is checked against its own Σ|a||b| (the
/// reference on |x| and |w|), since a sum that cancels has an error set by its terms, not by its value.</item>
/// <item>Against the float64 reference on the TF32-rounded inputs, only the accumulation is left:
/// (K + 8)·2^-24·Σ|a||b|. That is 3-4 orders tighter, and what catches a wrong fragment or a lost row.</item>
/// </list>
/// </summary>
public abstract class IlgpuTf32Tests
{
    /// <summary>The backend under test (a subclass skips the test when its device is absent).</summary>
    protected abstract IlgpuBackend Be { get; }

    /// <summary>Factor on the accumulation tolerances: the hardware's order of summing inside an mma is not specified.</summary>
    protected virtual double Slack => 1;

    private static readonly double Tf32Product = Math.Pow(2, -10) + Math.Pow(2, -22);
    private static readonly double Fp32Unit = Math.Pow(2, -24);

    // ------------------------------------------------------------ the instruction alone

    [Fact]
    public void RoundingIsToNearestTiesAwayLikeCvtRna()
    {
        Assert.Equal(1f, MmaTf32.Round(1f + MathF.Pow(2, -12)));                  // below half a unit (2^-11): down
        Assert.Equal(1f + MathF.Pow(2, -10), MmaTf32.Round(1f + MathF.Pow(2, -11))); // a tie: away from zero
        Assert.Equal(-1f - MathF.Pow(2, -10), MmaTf32.Round(-1f - MathF.Pow(2, -11)));
        Assert.Equal(2f, MmaTf32.Round(BitConverter.UInt32BitsToSingle(0x3FFFF000u))); // the carry raises the exponent
        Assert.Equal(float.PositiveInfinity, MmaTf32.Round(float.PositiveInfinity));
        Assert.True(float.IsNaN(MmaTf32.Round(BitConverter.UInt32BitsToSingle(0x7FFFFFFFu))));
        var rng = new Random(14);
        for (int i = 0; i < 10_000; i++)
        {
            float x = (float)((rng.NextDouble() - 0.5) * Math.Pow(2, rng.Next(-30, 30)));
            float r = MmaTf32.Round(x);
            Assert.Equal(0u, BitConverter.SingleToUInt32Bits(r) & 0x1FFFu);
            Assert.True(Math.Abs(r - (double)x) <= Math.Abs((double)x) * Math.Pow(2, -11), $"{x:R} rounded to {r:R}");
        }
    }

    /// <summary>How the test kernel fills and reads the fragments: the PTX layout, or one mistake in it.</summary>
    public enum Layout
    {
        Ptx = 0,
        ARowsAndColumnsSwapped = 1, // a1 ↔ a2: rows g + 8 and columns t + 4 confused
        BHalvesSwapped = 2,         // b0 ↔ b1
        CColumnsSwapped = 3,        // c0 ↔ c1 and c2 ↔ c3
        BTransposed = 4,            // b0 = B[g, t]: a row-major reading of the col operand
    }

    [Fact]
    public void EmulatedMmaIsTheMatrixProductOfTf32RoundedInputs()
    {
        var (a, b, c) = MmaOperands(new Random(16));
        var d = RunMma(a, b, c, Layout.Ptx);
        var aRounded = Array.ConvertAll(a, x => (double)MmaTf32.Round(x));
        var bRounded = Array.ConvertAll(b, x => (double)MmaTf32.Round(x));
        var (exact, magnitude) = Product(aRounded, bRounded, c);
        var (unrounded, _) = Product(Array.ConvertAll(a, x => (double)x), Array.ConvertAll(b, x => (double)x), c);
        double worst = 0, offFp32 = 0;
        for (int i = 0; i < d.Length; i++)
        {
            // Products of TF32 values are exact in float32: only the 8 sums after C round.
            double bound = Slack * 9 * Fp32Unit * magnitude[i];
            Assert.True(Math.Abs(d[i] - exact[i]) <= bound, $"D[{i / 8}, {i % 8}] = {d[i]:R}, the product of the rounded inputs is {exact[i]:R} (bound {bound:E2})");
            worst = Math.Max(worst, Math.Abs(d[i] - exact[i]) / magnitude[i]);
            offFp32 = Math.Max(offFp32, Math.Abs(d[i] - unrounded[i]) / magnitude[i]);
        }
        TestContext.Current.TestOutputHelper?.WriteLine($"mma: max error {worst:E2} of Σ|a||b| against the TF32 product, {offFp32:E2} against the float32 inputs' product");
        // The inputs have full float32 mantissas: had the emulation not rounded them, D would be the unrounded product.
        Assert.True(offFp32 > 100 * Fp32Unit, $"D is within {offFp32:E2} of the unrounded product: the inputs were not rounded to TF32");
    }

    [Theory]
    [InlineData(Layout.ARowsAndColumnsSwapped)]
    [InlineData(Layout.BHalvesSwapped)]
    [InlineData(Layout.CColumnsSwapped)]
    [InlineData(Layout.BTransposed)]
    public void AWrongFragmentLayoutFailsTheProductCheck(Layout wrong)
    {
        // A, B and C are random, so not symmetric: a fragment read from the wrong place gives another product.
        var (a, b, c) = MmaOperands(new Random(16));
        var d = RunMma(a, b, c, wrong);
        var (exact, magnitude) = Product(Array.ConvertAll(a, x => (double)MmaTf32.Round(x)), Array.ConvertAll(b, x => (double)MmaTf32.Round(x)), c);
        double worst = d.Select((v, i) => Math.Abs(v - exact[i]) / magnitude[i]).Max();
        Assert.True(worst > 0.01, $"layout {wrong}: max error {worst:E2} of Σ|a||b|, which the product check would accept");
    }

    private static (float[] A, float[] B, float[] C) MmaOperands(Random rng)
    {
        // Full-mantissa values (not TF32) in [-2, 2], so rounding shows.
        float[] Draw(int n) => Enumerable.Range(0, n).Select(_ => (float)(4 * rng.NextDouble() - 2)).ToArray();
        return (Draw(16 * 8), Draw(8 * 8), Draw(16 * 8));
    }

    /// <summary>D = A·B + C in float64 (A 16×8, B 8×8 row-major, C 16×8) and Σ|a||b| + |c| per element.</summary>
    private static (double[] D, double[] Magnitude) Product(double[] a, double[] b, float[] c)
    {
        var d = new double[16 * 8];
        var mag = new double[16 * 8];
        for (int m = 0; m < 16; m++)
        {
            for (int n = 0; n < 8; n++)
            {
                double s = c[m * 8 + n], abs = Math.Abs(c[m * 8 + n]);
                for (int k = 0; k < 8; k++)
                {
                    s += a[m * 8 + k] * b[k * 8 + n];
                    abs += Math.Abs(a[m * 8 + k] * b[k * 8 + n]);
                }
                d[m * 8 + n] = s;
                mag[m * 8 + n] = abs;
            }
        }
        return (d, mag);
    }

    private float[] RunMma(float[] a, float[] b, float[] c, Layout layout)
    {
        var acc = Be.Accelerator;
        var kernel = acc.LoadStreamKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int>(MmaKernel);
        using var da = acc.Allocate1D(a);
        using var db = acc.Allocate1D(b);
        using var dc = acc.Allocate1D(c);
        using var dd = acc.Allocate1D<float>(16 * 8);
        kernel(new KernelConfig(1, 32), da.View, db.View, dc.View, dd.View, (int)layout);
        acc.Synchronize();
        return dd.GetAsArray1D();
    }

    /// <summary>One warp: loads A (16×8), B (8×8) and C (16×8), all row-major, into fragments as <paramref name="layout"/> says, runs one mma and stores D as C came.</summary>
    private static void MmaKernel(ArrayView<float> a, ArrayView<float> b, ArrayView<float> c, ArrayView<float> d, int layout)
    {
        int lane = Group.IdxX, g = lane >> 2, t = lane & 3;
        float a0 = a[g * 8 + t], a1 = a[(g + 8) * 8 + t], a2 = a[g * 8 + t + 4], a3 = a[(g + 8) * 8 + t + 4];
        float b0 = b[t * 8 + g], b1 = b[(t + 4) * 8 + g];
        if (layout == (int)Layout.ARowsAndColumnsSwapped)
        {
            (a1, a2) = (a2, a1);
        }
        else if (layout == (int)Layout.BHalvesSwapped)
        {
            (b0, b1) = (b1, b0);
        }
        else if (layout == (int)Layout.BTransposed)
        {
            b0 = b[g * 8 + t];
            b1 = b[g * 8 + t + 4];
        }
        int c0 = g * 8 + 2 * t, c1 = c0 + 1, c2 = c0 + 64, c3 = c2 + 1;
        if (layout == (int)Layout.CColumnsSwapped)
        {
            (c0, c1, c2, c3) = (c1, c0, c3, c2);
        }
        float d0 = c[c0], d1 = c[c1], d2 = c[c2], d3 = c[c3];
        MmaTf32.Mma(ref d0, ref d1, ref d2, ref d3, a0, a1, a2, a3, b0, b1);
        d[c0] = d0;
        d[c1] = d1;
        d[c2] = d2;
        d[c3] = d3;
    }

    // ------------------------------------------------------------ the convolutions

    // (N, Cin, D, H, W, Cout, Kd, Kh, Kw, stride, padding): channels never a multiple of 8, odd extents.
    public static TheoryData<int[]> ConvGeometries => new()
    {
        new[] { 1, 3, 7, 6, 5, 5, 4, 4, 4, 2, 1 },    // the GAN's k4 s2 p1, batch 1: 8 parity classes of 2³ taps
        new[] { 2, 3, 5, 4, 5, 3, 4, 4, 4, 1, 0 },    // k4 s1 p0, batch 2
        new[] { 3, 5, 4, 4, 4, 7, 4, 4, 4, 1, 0 },    // k4 s1 p0 to a 1³ output: the dense backward-data path
        new[] { 1, 70, 1, 3, 2, 67, 1, 2, 2, 1, 0 },  // 67 rows and 280 reduction: past one 64-tile in M and K
        new[] { 1, 2, 5, 4, 6, 3, 2, 3, 1, 2, 0 },    // non-cubic kernel, classes of 1 and 2 taps
        new[] { 1, 2, 7, 5, 5, 2, 2, 2, 2, 3, 1 },    // kernel smaller than the stride: classes with no tap
    };

    [Theory]
    [MemberData(nameof(ConvGeometries), MemberType = typeof(IlgpuTf32Tests))]
    public void Tf32ConvolutionMatchesReferenceWithinTf32Error(int[] v)
    {
        var g = Conv3dGeometry.Create(v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8], v[9], v[9], v[9], v[10], v[10], v[10]);
        var rng = new Random(g.GetHashCode());
        var x = Rounded(RandomArray(rng, g.InputSize));
        var w = Rounded(RandomArray(rng, g.WeightSize));
        var dy = Rounded(RandomArray(rng, g.OutputSize));
        var (y, dx, dw) = Tf32(be => RunConv(be, g, x, w, dy));

        var xt = Tf32Rounded(x);
        var wt = Tf32Rounded(w);
        var dyt = Tf32Rounded(dy);
        var abs = (Func<double[], double[]>)(a => Array.ConvertAll(a, Math.Abs));
        int kForward = g.Cin * g.KernelVolume, kData = g.Cout * g.KernelVolume, kWeight = g.N * g.OutputVolume;
        Check($"forward {g}", y, Reference.Conv3d(x, w, null, g), Reference.Conv3d(xt, wt, null, g), Reference.Conv3d(abs(x), abs(w), null, g), kForward);
        Check($"backward-data {g}", dx, Reference.Conv3dBackwardData(dy, w, g), Reference.Conv3dBackwardData(dyt, wt, g),
            Reference.Conv3dBackwardData(abs(dy), abs(w), g), kData);
        Check($"backward-weight {g}", dw, Reference.Conv3dBackwardWeight(x, dy, g), Reference.Conv3dBackwardWeight(xt, dyt, g),
            Reference.Conv3dBackwardWeight(abs(x), abs(dy), g), kWeight);
    }

    [Fact]
    public void Tf32BackwardWeightSplitsALongReduction()
    {
        // 1·9·8·9 = 648 reduction indices for a 2×2×3³ weight: one tile, so the reduction is split into chunks.
        var g = Conv3dGeometry.Create(1, 2, 9, 8, 9, 2, 3, 3, 3, 1, 1, 1, 1, 1, 1);
        var plan = ConvLaunchPlan.Create(ConvKernelPass.BackwardWeight, g, 2, selectByShape: false).WithPrecision(ConvPrecision.Tf32);
        Assert.True(plan.SplitK > 1, $"expected split-K, got {plan.SplitK} chunk(s)");
        Assert.Equal("bwd-weight tf32", plan.KernelName);
        var rng = new Random(5);
        var x = Rounded(RandomArray(rng, g.InputSize));
        var dy = Rounded(RandomArray(rng, g.OutputSize));
        var (_, _, dw) = Tf32(be => RunConv(be, g, x, x.Take((int)g.WeightSize).ToArray(), dy));
        Check($"split-K backward-weight {g}", dw, Reference.Conv3dBackwardWeight(x, dy, g), Reference.Conv3dBackwardWeight(Tf32Rounded(x), Tf32Rounded(dy), g),
            Reference.Conv3dBackwardWeight(Array.ConvertAll(x, Math.Abs), Array.ConvertAll(dy, Math.Abs), g), g.N * g.OutputVolume);
    }

    [Fact]
    public void PrecisionIsOptInAndSmallMLaunchesStayFp32()
    {
        Assert.Equal(ConvPrecision.Fp32, Be.Precision);
        var g = Conv3dGeometry.Create(2, 9, 4, 4, 4, 1, 4, 4, 4, 1, 1, 1, 0, 0, 0); // D's last layer: Cout = 1, small-M
        var small = ConvLaunchPlan.Create(ConvKernelPass.Forward, g, 2).WithPrecision(ConvPrecision.Tf32);
        Assert.Equal(ConvTiling.SmallM, small.Tiling);
        Assert.Equal(ConvPrecision.Fp32, small.Precision);
        // Few tiles over a long reduction: split-K, which no TF32 forward / backward-data kernel takes.
        var split = ConvLaunchPlan.Create(ConvKernelPass.Forward, g with { Cout = 67 }, 3, selectByShape: false).WithPrecision(ConvPrecision.Tf32);
        Assert.True(split.SplitK > 1);
        Assert.Equal(ConvPrecision.Fp32, split.Precision);
        var many = Conv3dGeometry.Create(2, 3, 32, 32, 32, 67, 3, 3, 3, 1, 1, 1, 1, 1, 1);
        var tiles = ConvLaunchPlan.Create(ConvKernelPass.Forward, many, 3, selectByShape: false).WithPrecision(ConvPrecision.Tf32);
        Assert.Equal((ConvTiling.Tile64, ConvPrecision.Tf32, ImplicitGemmTileTf32.Threads, "fwd tf32"), (tiles.Tiling, tiles.Precision, tiles.GroupSize, tiles.KernelName));
        using var narrow = IlgpuBackend.CreateCpu(); // 4-wide warps: no mma
        var ex = Assert.Throws<NotSupportedException>(() => narrow.Precision = ConvPrecision.Tf32);
        Assert.Contains("TF32", ex.Message, StringComparison.Ordinal);
    }

    /// <summary>Both tolerances of the class comment, element by element, and proof that TF32 ran (fp32 would be far closer).</summary>
    private void Check(string what, float[] got, double[] exact, double[] exactOfRounded, double[] magnitude, int k)
    {
        Assert.Equal(exact.Length, got.Length);
        double worstTf32 = 0, worstRounded = 0, offFp32 = 0;
        for (int i = 0; i < got.Length; i++)
        {
            double accumulation = Slack * (k + 8) * Fp32Unit * magnitude[i];
            double tf32 = Tf32Product * magnitude[i] + accumulation;
            double err = Math.Abs(got[i] - exact[i]), errRounded = Math.Abs(got[i] - exactOfRounded[i]);
            Assert.True(!float.IsNaN(got[i]) && err <= tf32 + 1e-30,
                $"{what}: [{i}] got {got[i]:R}, exact {exact[i]:R}, error {err:E2} > TF32 bound {tf32:E2}");
            Assert.True(errRounded <= accumulation + 1e-30,
                $"{what}: [{i}] got {got[i]:R}, exact on TF32 inputs {exactOfRounded[i]:R}, error {errRounded:E2} > accumulation bound {accumulation:E2}");
            if (magnitude[i] > 0)
            {
                worstTf32 = Math.Max(worstTf32, err / magnitude[i]);
                worstRounded = Math.Max(worstRounded, errRounded / magnitude[i]);
                offFp32 = Math.Max(offFp32, err / magnitude[i]);
            }
        }
        TestContext.Current.TestOutputHelper?.WriteLine($"{what}: max error / Σ|a||b| = {worstTf32:E2} against the exact result, {worstRounded:E2} against the exact result on TF32 inputs");
        Assert.True(offFp32 > 16 * Fp32Unit, $"{what}: within {offFp32:E2} of the exact result: float32 arithmetic ran, not TF32");
    }

    private static double[] Tf32Rounded(double[] a) => Array.ConvertAll(a, v => (double)MmaTf32.Round((float)v));

    /// <summary>Runs <paramref name="body"/> with TF32 and the 64 × 64 tiles for every shape, restoring the defaults after.</summary>
    private T Tf32<T>(Func<IlgpuBackend, T> body)
    {
        var be = Be;
        be.Precision = ConvPrecision.Tf32;
        be.ConvSelectByShape = false;
        try
        {
            Assert.EndsWith(", TF32 convolutions", be.Name, StringComparison.Ordinal);
            return body(be);
        }
        finally
        {
            be.Precision = ConvPrecision.Fp32;
            be.ConvSelectByShape = true;
        }
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
}

/// <summary>The TF32 tests on the CPU accelerator, with 32-wide warps and 256-thread groups (8 warps): the emulated mma.</summary>
public sealed class IlgpuCpuTf32Tests : IlgpuTf32Tests
{
    private static readonly Lazy<IlgpuBackend> s_backend = new(() =>
        IlgpuBackend.CreateCpu(new CPUDevice(numThreadsPerWarp: 32, numWarpsPerMultiprocessor: 8, numMultiprocessors: 1)));

    protected override IlgpuBackend Be => s_backend.Value;
}

/// <summary>The TF32 tests on a CUDA GPU (tensor cores): skipped, with the reason, where there is none.</summary>
public sealed class CudaTf32Tests : IlgpuTf32Tests
{
    private static readonly CudaForTests s_cuda = new();

    protected override IlgpuBackend Be => s_cuda.BackendOrSkip;

    protected override double Slack => 4;
}
