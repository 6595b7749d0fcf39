using Gan3D.Kernels;
using Gan3D.Tensors;
using static Gan3D.Tests.Engine.TestSupport;

namespace Gan3D.Tests.Engine;

/// <summary>
/// Version 3 of the CPU convolution against the float64 reference, on shapes that reach each of its
/// paths with odd sizes: the stride-deinterleaved forward gather (strides 2 and 3, odd widths,
/// padding), the fused small-M backward-data (one and two input channels, rows that are not whole
/// vectors, a class no tap reaches), the kernel-minor weight gradient of a one-position output, the
/// column-by-column packing of weight gradients, and the slot kernels of the small-M product.
/// </summary>
public sealed class CpuConvV3Tests
{
    // (N, Cin, D, H, W, Cout, kernel, stride, padding).
    private static readonly int[][] Geometries =
    [
        [3, 5, 9, 8, 7, 7, 4, 2, 1],      // the GAN's k4 s2 p1 with odd extents
        [2, 1, 10, 9, 11, 2, 4, 2, 1],    // one input channel: fused small-M backward-data, M = 1
        [2, 2, 9, 11, 37, 5, 4, 2, 1],    // two input channels (M = 2), rows of 19: 8-wide slots and tails
        [1, 1, 6, 7, 35, 3, 3, 3, 2],     // stride 3, padding 2
        [2, 1, 7, 7, 7, 3, 2, 3, 0],      // kernel < stride: a residue class with no tap
        [3, 20, 4, 4, 4, 1, 4, 1, 0],     // one output position, one channel: kernel-minor dW, small M
        [2, 3, 5, 7, 9, 13, 3, 1, 1],     // stride 1 (no deinterleave), M = 13
        [2, 70, 3, 4, 5, 33, 2, 2, 1],    // K = 70·8 = 560 > one K block
    ];

    [Theory]
    [InlineData(GemmIsa.Vector512)]
    [InlineData(GemmIsa.Vector256)]
    [InlineData(GemmIsa.Scalar)]
    public void ForwardBackwardDataAndWeightMatchTheReference(GemmIsa isa)
    {
        using var be = new CpuBackend(threads: 2) { GemmIsa = isa, KernelVersion = 3 };
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
            // NaN first: a position the new paths forget to write fails the comparison.
            be.Fill(y, float.NaN);
            be.Fill(dx, float.NaN);
            be.Fill(dw, float.NaN);
            be.Conv3dForward(xt, wt, y, g);
            be.Conv3dBackwardData(dyt, wt, dx, g);
            be.Conv3dBackwardWeight(xt, dyt, dw, g);
            string at = $"v3 {isa} {g}";
            AssertClose($"forward {at}", Reference.Conv3d(x, w, null, g), y.ToArray(), 1e-4, 1e-4);
            AssertClose($"backward-data {at}", Reference.Conv3dBackwardData(dy, w, g), dx.ToArray(), 1e-4, 1e-4);
            AssertClose($"backward-weight {at}", Reference.Conv3dBackwardWeight(x, dy, g), dw.ToArray(), 1e-3, 1e-4);
        }
    }

    [Fact]
    public void TransposedLayersToOneChannelMatchTheReference()
    {
        using var be = new CpuBackend(threads: 2) { KernelVersion = 3 };
        // (N, Cin, D, H, W, Cout, kernel, stride, padding, output padding) of conv_transpose3d.
        int[][] cases =
        [
            [2, 6, 4, 3, 9, 1, 4, 2, 1, 1],    // the generator's last layer shape, odd extents, output padding
            [3, 9, 3, 5, 17, 2, 4, 2, 1, 0],   // two output channels: the two-row slot kernel
            [1, 4, 2, 3, 2, 1, 5, 3, 2, 2],    // stride 3
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
            AssertClose($"v3 conv_transpose3d [{string.Join(",", c)}]", yRef, y.ToArray(), 1e-4, 1e-4);
        }
    }

    [Fact]
    public void Version3IsBitForBitTheSameAcrossThreadCounts()
    {
        // The fused small-M backward-data splits work by batch sample and depth slab, never a sum.
        var g = Conv3dGeometry.Create(3, 1, 12, 10, 21, 9, 4, 4, 4, 2, 2, 2, 1, 1, 1);
        float[] Run(int threads, bool data)
        {
            using var be = new CpuBackend(threads) { KernelVersion = 3 };
            var x = Make(be, RandomArray(new Random(1), g.InputSize), g.N, g.Cin, g.Di, g.Hi, g.Wi);
            var w = Make(be, RandomArray(new Random(2), g.WeightSize), g.Cout, g.Cin, 4, 4, 4);
            var dy = Make(be, RandomArray(new Random(3), g.OutputSize), g.N, g.Cout, g.Do, g.Ho, g.Wo);
            if (data)
            {
                var dx = x.EmptyLike();
                be.Conv3dBackwardData(dy, w, dx, g);
                return dx.ToArray();
            }
            var y = dy.EmptyLike();
            be.Conv3dForward(x, w, y, g);
            return y.ToArray();
        }
        Assert.Equal(Run(1, data: true), Run(2, data: true));
        Assert.Equal(Run(1, data: true), Run(3, data: true));
        Assert.Equal(Run(1, data: false), Run(2, data: false));
    }

    [Fact]
    public void SmallMProductsMatchNaiveProducts()
    {
        // One and two rows, column counts around the 8-wide slots and groups of 8, contiguous and
        // strided columns (the per-column path) or not.
        var rng = new Random(17);
        using var be = new CpuBackend(threads: 2);
        var gemm = new ImplicitGemm();
        var cases = from m in new[] { 1, 2 }
                    from n in new[] { 1, 7, 8, 9, 63, 64, 65, 130, 700 }
                    from k in new[] { 1, 3, 33 }
                    from stridedColumns in new[] { false, true }
                    select (m, n, k, stridedColumns);
        foreach (var (m, n, k, stridedColumns) in cases)
        {
            var a = ToFloat(RandomArray(rng, m * k));
            var b = ToFloat(RandomArray(rng, k * n));
            var c = new float[m * n];
            int[] aCol = Enumerable.Range(0, k).ToArray();
            // Column-major B (rows contiguous) when strided, row-major otherwise.
            int[] bRow = Enumerable.Range(0, k).Select(p => stridedColumns ? p : p * n).ToArray();
            int[] bCol = Enumerable.Range(0, n).Select(j => stridedColumns ? j * k : j).ToArray();
            int[] cols = Enumerable.Range(0, n).ToArray();
            gemm.Run(be, m, n, k, a, k, aCol, b, bRow, bCol, c, cols, n, accumulate: false, version: 3);
            var bDense = new double[k * n];
            for (int p = 0; p < k; p++)
            {
                for (int j = 0; j < n; j++)
                {
                    bDense[p * n + j] = b[bRow[p] + bCol[j]];
                }
            }
            var expected = Reference.MatMul(ToDouble(a), bDense, m, n, k);
            AssertClose($"small-M v3 {m}x{n}x{k} strided {stridedColumns}", expected, c, 1e-5, 1e-5);
        }
    }
}
