using Gan3D.Kernels;
using Gan3D.Tensors;
using static Gan3D.Tests.Engine.TestSupport;

namespace Gan3D.Tests.Engine;

/// <summary>
/// The implicit-GEMM convolution (version 2) against the float64 reference, with every micro-kernel
/// (Vector512, Vector256, scalar) and shapes chosen to reach every schedule: blocked, split-K (a small
/// weight gradient with a long reduction), small-M (one or two output rows), the dense 1³ path, and
/// tile remainders in M, N and K.
/// </summary>
public sealed class CpuConvTests
{
    public static TheoryData<GemmIsa> Isas => new() { GemmIsa.Vector512, GemmIsa.Vector256, GemmIsa.Scalar };

    private static CpuBackend Backend(GemmIsa isa) => new(threads: 2) { GemmIsa = isa, KernelVersion = 2 };

    // (N, Cin, D, H, W, Cout, kernel, stride, padding): odd sizes so that no tile divides evenly.
    private static readonly int[][] Geometries =
    [
        [2, 3, 5, 7, 9, 13, 3, 1, 1],     // M = 13: two full 6-row panels and a remainder
        [3, 5, 9, 8, 7, 7, 4, 2, 1],      // the GAN's k4 s2 p1 with odd extents
        [1, 2, 7, 7, 7, 1, 3, 3, 2],      // stride 3, padding 2, one output channel (small M)
        [2, 1, 10, 9, 11, 2, 4, 2, 1],    // one input channel (D's first layer), two outputs (small M)
        [2, 2, 13, 13, 13, 40, 3, 1, 0],  // long reduction for the weight gradient (split-K) and 40 rows
        [1, 37, 4, 4, 4, 3, 4, 1, 0],     // a 1³ output: the discriminator's last layer shape
        [3, 70, 3, 4, 5, 33, 2, 1, 1],    // K = 70·8 = 560 > one K block of 256
    ];

    [Theory]
    [MemberData(nameof(Isas))]
    public void ForwardBackwardDataAndWeightMatchTheReference(GemmIsa isa)
    {
        using var be = Backend(isa);
        foreach (var v in Geometries)
        {
            var g = Conv3dGeometry.Create(v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[6], v[6], v[7], v[7], v[7], v[8], v[8], v[8]);
            var rng = new Random(g.GetHashCode());
            var x = Rounded(RandomArray(rng, g.InputSize));
            var w = Rounded(RandomArray(rng, g.WeightSize));
            var dy = Rounded(RandomArray(rng, g.OutputSize));
            var xt = Make(be, x, g.N, g.Cin, g.Di, g.Hi, g.Wi);
            var wt = Make(be, w, g.Cout, g.Cin, g.Kd, g.Kh, g.Kw);
            var dyt = Make(be, dy, g.N, g.Cout, g.Do, g.Ho, g.Wo);
            var y = Tensor.Empty(dyt.Shape, be);
            var dx = Tensor.Empty(xt.Shape, be);
            var dw = Tensor.Empty(wt.Shape, be);
            be.Conv3dForward(xt, wt, y, g);
            be.Conv3dBackwardData(dyt, wt, dx, g);
            be.Conv3dBackwardWeight(xt, dyt, dw, g);
            string at = $"{isa} {g}";
            AssertClose($"forward {at}", Reference.Conv3d(x, w, null, g), y.ToArray(), 1e-4, 1e-4);
            AssertClose($"backward-data {at}", Reference.Conv3dBackwardData(dy, w, g), dx.ToArray(), 1e-4, 1e-4);
            AssertClose($"backward-weight {at}", Reference.Conv3dBackwardWeight(x, dy, g), dw.ToArray(), 1e-3, 1e-4);
        }
    }

    [Theory]
    [MemberData(nameof(Isas))]
    public void TransposedLayersMatchTheReference(GemmIsa isa)
    {
        using var be = Backend(isa);
        // (N, Cin, D, H, W, Cout, kernel, stride, padding, output padding) of conv_transpose3d.
        int[][] cases =
        [
            [3, 11, 1, 1, 1, 7, 4, 1, 0, 0],   // the generator's first layer: 1³ → 4³ (the dense path)
            [2, 9, 3, 2, 4, 5, 4, 2, 1, 0],    // k4 s2 p1: 8 residue classes of 2³ taps
            [2, 6, 4, 3, 3, 1, 4, 2, 1, 1],    // one output channel (small M) with output padding
            [1, 4, 2, 3, 2, 3, 5, 3, 2, 2],    // stride 3: some classes get taps of one kind only
            [2, 5, 3, 3, 3, 2, 2, 3, 0, 1],    // kernel smaller than the stride: classes with no tap at all
        ];
        foreach (var c in cases)
        {
            int[] xs = [c[0], c[1], c[2], c[3], c[4]], ws = [c[1], c[5], c[6], c[6], c[6]];
            var rng = new Random(c.Sum());
            var x = Rounded(RandomArray(rng, xs.Aggregate(1, (p, q) => p * q)));
            var w = Rounded(RandomArray(rng, ws.Aggregate(1, (p, q) => p * q)));
            var yRef = Reference.ConvTranspose3d(x, xs, w, ws, null, [c[7], c[7], c[7]], [c[8], c[8], c[8]], [c[9], c[9], c[9]], out var ys);
            var y = Ops.ConvTranspose3d(Make(be, x, xs), Make(be, w, ws), null, c[7], c[8], c[9]);
            Assert.Equal(new Shape(ys), y.Shape);
            AssertClose($"conv_transpose3d {isa} [{string.Join(",", c)}]", yRef, y.ToArray(), 1e-4, 1e-4);
        }
    }

    [Fact]
    public void Version2AgreesWithVersion1BitForBitAcrossThreadCounts()
    {
        // Determinism: every output element is summed in one fixed order, whatever the thread count.
        var g = Conv3dGeometry.Create(4, 8, 8, 8, 8, 16, 4, 4, 4, 2, 2, 2, 1, 1, 1);
        var rng = new Random(3);
        float[] Run(int threads, Func<CpuBackend, Tensor, Tensor, Tensor, Tensor> pass)
        {
            using var be = new CpuBackend(threads);
            var x = Make(be, RandomArray(new Random(1), g.InputSize), g.N, g.Cin, g.Di, g.Hi, g.Wi);
            var w = Make(be, RandomArray(new Random(2), g.WeightSize), g.Cout, g.Cin, 4, 4, 4);
            var dy = Make(be, RandomArray(new Random(3), g.OutputSize), g.N, g.Cout, g.Do, g.Ho, g.Wo);
            return pass(be, x, w, dy).ToArray();
        }
        Tensor Weight(CpuBackend be, Tensor x, Tensor w, Tensor dy)
        {
            var dw = w.EmptyLike();
            be.Conv3dBackwardWeight(x, dy, dw, g);
            return dw;
        }
        Tensor Data(CpuBackend be, Tensor x, Tensor w, Tensor dy)
        {
            var dx = x.EmptyLike();
            be.Conv3dBackwardData(dy, w, dx, g);
            return dx;
        }
        Assert.Equal(Run(1, Weight), Run(2, Weight));
        Assert.Equal(Run(1, Data), Run(3, Data));
    }

    [Fact]
    public void GemmEngineMatchesNaiveProductsOfEverySmallSize()
    {
        // Every M, N, K from 1 to a little past the tile sizes, on each micro-kernel.
        var rng = new Random(11);
        using var be = new CpuBackend(threads: 2);
        var gemm = new ImplicitGemm();
        int[] sizes = [1, 2, 5, 6, 7, 13, 17, 31, 33, 64, 70];
        foreach (var isa in new[] { GemmIsa.Vector512, GemmIsa.Vector256, GemmIsa.Scalar })
        {
            gemm.Isa = isa;
            foreach (int m in sizes)
            foreach (int n in sizes)
            foreach (int k in new[] { 1, 3, 8, 33, 70 })
            {
                var a = TestSupport.ToFloat(RandomArray(rng, m * k));
                var b = TestSupport.ToFloat(RandomArray(rng, k * n));
                var c = new float[m * n];
                int[] aCol = Enumerable.Range(0, k).ToArray();
                int[] bRow = Enumerable.Range(0, k).Select(p => p * n).ToArray();
                int[] cols = Enumerable.Range(0, n).ToArray();
                gemm.Run(be, m, n, k, a, k, aCol, b, bRow, cols, c, cols, n, accumulate: false);
                var expected = Reference.MatMul(ToDouble(a), ToDouble(b), m, n, k);
                AssertClose($"gemm {isa} {m}x{n}x{k}", expected, c, 1e-5, 1e-5);
            }
        }
    }
}
