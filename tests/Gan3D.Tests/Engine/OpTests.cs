using Gan3D.Kernels;
using Gan3D.Tensors;
using static Gan3D.Tests.Engine.TestSupport;

namespace Gan3D.Tests.Engine;

/// <summary>
/// Every op, forward and backward, against the float64 reference on odd shapes. One body for all
/// backends: each concrete subclass names a backend (ILGPU's own test layout).
/// </summary>
public abstract class OpTests
{
    /// <summary>The backend under test; a subclass skips the test when its device is absent.</summary>
    protected abstract IBackend Backend { get; }

    /// <summary>Loosens tolerances for backends whose math functions are approximations (fast-math GPU code).</summary>
    protected virtual double Tolerance => 1e-4;

    // ------------------------------------------------------------ convolution

    [Theory]
    [InlineData(2, 3, 5, 7, 9, 4, 3, 2, 4, 2, 1, 2, 1, 0, 1, false)] // odd sizes, non-cubic kernel, mixed strides
    [InlineData(2, 3, 5, 7, 9, 2, 3, 3, 3, 1, 1, 1, 1, 1, 1, true)]  // "same" convolution with bias
    [InlineData(2, 2, 8, 8, 8, 3, 4, 4, 4, 2, 2, 2, 1, 1, 1, false)] // the discriminator's k4 s2 p1
    [InlineData(3, 5, 4, 4, 4, 1, 4, 4, 4, 1, 1, 1, 0, 0, 0, true)]  // the discriminator's last layer: 4³ → 1³
    [InlineData(1, 1, 6, 5, 7, 2, 1, 3, 3, 1, 2, 1, 0, 1, 1, false)] // a depth-1 kernel (Conv2d as Conv3d)
    public void Conv3dMatchesReference(int n, int cin, int d, int h, int w, int cout, int kd, int kh, int kw,
        int sd, int sh, int sw, int pd, int ph, int pw, bool bias)
    {
        var be = Backend;
        var rng = new Random(d * 1000 + h * 100 + w + cout);
        var g = Conv3dGeometry.Create(n, cin, d, h, w, cout, kd, kh, kw, sd, sh, sw, pd, ph, pw);
        var xd = Rounded(RandomArray(rng, g.InputSize));
        var wd = Rounded(RandomArray(rng, g.WeightSize));
        var bd = bias ? Rounded(RandomArray(rng, cout)) : null;
        var dyd = Rounded(RandomArray(rng, g.OutputSize));

        var x = Param(be, xd, n, cin, d, h, w);
        var wt = Param(be, wd, cout, cin, kd, kh, kw);
        var b = bd is null ? null : Param(be, bd, cout);
        var y = Ops.Conv3d(x, wt, b, (sd, sh, sw), (pd, ph, pw));
        Assert.Equal(new Shape(n, cout, g.Do, g.Ho, g.Wo), y.Shape);
        AssertClose("conv3d forward", Reference.Conv3d(xd, wd, bd, g), y.ToArray(), Tolerance, Tolerance);

        y.Backward(Make(be, dyd, y.Shape.ToArray()));
        AssertClose("conv3d grad input", Reference.Conv3dBackwardData(dyd, wd, g), x.Grad!.ToArray(), Tolerance, Tolerance);
        AssertClose("conv3d grad weight", Reference.Conv3dBackwardWeight(xd, dyd, g), wt.Grad!.ToArray(), Tolerance, Tolerance);
        if (b is not null)
        {
            AssertClose("conv3d grad bias", Reference.ChannelSum(dyd, n, cout, g.OutputVolume), b.Grad!.ToArray(), Tolerance, Tolerance);
        }
    }

    [Theory]
    [InlineData(2, 3, 2, 3, 4, 2, 4, 4, 4, 2, 2, 2, 1, 1, 1, 0, 0, 0, false)] // the generator's k4 s2 p1
    [InlineData(3, 4, 1, 1, 1, 3, 4, 4, 4, 1, 1, 1, 0, 0, 0, 0, 0, 0, false)] // the generator's first layer: 1³ → 4³
    [InlineData(2, 2, 3, 2, 3, 3, 3, 2, 3, 2, 2, 1, 1, 0, 1, 1, 1, 0, true)]  // output padding, odd kernel, bias
    [InlineData(1, 3, 3, 3, 3, 2, 2, 3, 1, 3, 1, 2, 0, 1, 0, 2, 0, 1, true)]  // stride 3 with output padding 2
    public void ConvTranspose3dMatchesReference(int n, int cin, int d, int h, int w, int cout, int kd, int kh, int kw,
        int sd, int sh, int sw, int pd, int ph, int pw, int opd, int oph, int opw, bool bias)
    {
        var be = Backend;
        var rng = new Random(d * 1000 + h * 100 + w + cout + 17);
        int[] xs = [n, cin, d, h, w], ws = [cin, cout, kd, kh, kw];
        var xd = Rounded(RandomArray(rng, n * cin * d * h * w));
        var wd = Rounded(RandomArray(rng, cin * cout * kd * kh * kw));
        var bd = bias ? Rounded(RandomArray(rng, cout)) : null;
        var yRef = Reference.ConvTranspose3d(xd, xs, wd, ws, bd, [sd, sh, sw], [pd, ph, pw], [opd, oph, opw], out var ys);

        var x = Param(be, xd, xs);
        var wt = Param(be, wd, ws);
        var b = bd is null ? null : Param(be, bd, cout);
        var y = Ops.ConvTranspose3d(x, wt, b, (sd, sh, sw), (pd, ph, pw), (opd, oph, opw));
        Assert.Equal(new Shape(ys), y.Shape);
        AssertClose("conv_transpose3d forward", yRef, y.ToArray(), Tolerance, Tolerance);

        // Backward of the transposed layer: dx is a convolution of dy, dw its weight gradient with roles swapped.
        var g = Conv3dGeometry.ForTransposed(n, cin, d, h, w, cout, kd, kh, kw, sd, sh, sw, pd, ph, pw, opd, oph, opw);
        var dyd = Rounded(RandomArray(rng, yRef.Length));
        y.Backward(Make(be, dyd, ys));
        AssertClose("conv_transpose3d grad input", Reference.Conv3d(dyd, wd, null, g), x.Grad!.ToArray(), Tolerance, Tolerance);
        AssertClose("conv_transpose3d grad weight", Reference.Conv3dBackwardWeight(dyd, xd, g), wt.Grad!.ToArray(), Tolerance, Tolerance);
        if (b is not null)
        {
            AssertClose("conv_transpose3d grad bias", Reference.ChannelSum(dyd, n, cout, ys[2] * ys[3] * ys[4]), b.Grad!.ToArray(), Tolerance, Tolerance);
        }
    }

    // ------------------------------------------------------------ batch norm

    [Theory]
    [InlineData(new[] { 2, 3, 5, 7, 9 })] // BatchNorm3d
    [InlineData(new[] { 4, 5, 3, 2 })]    // BatchNorm2d
    [InlineData(new[] { 6, 7 })]          // BatchNorm1d on (N, C), after a linear layer
    public void BatchNormTrainingMatchesReference(int[] shape)
    {
        var be = Backend;
        var rng = new Random(shape.Sum());
        int n = shape[0], c = shape[1], s = (int)(new Shape(shape).Numel / (n * c));
        var xd = Rounded(RandomArray(rng, n * c * s, -2, 3));
        var gd = Rounded(RandomArray(rng, c, 0.5, 1.5));
        var bd = Rounded(RandomArray(rng, c));
        var rmd = Rounded(RandomArray(rng, c));
        var rvd = Rounded(RandomArray(rng, c, 0.5, 2));
        var dyd = Rounded(RandomArray(rng, n * c * s));

        var x = Param(be, xd, shape);
        var gamma = Param(be, gd, c);
        var beta = Param(be, bd, c);
        var rm = Make(be, rmd, c);
        var rv = Make(be, rvd, c);
        var y = Ops.BatchNorm(x, gamma, beta, rm, rv, training: true, momentum: 0.1f, eps: 1e-5f);
        var yRef = Reference.BatchNormTrain(xd, n, c, s, gd, bd, 1e-5, 0.1, rmd, rvd, out var rmRef, out var rvRef);
        AssertClose("batch norm forward", yRef, y.ToArray(), Tolerance, Tolerance);
        AssertClose("batch norm running mean", rmRef, rm.ToArray(), Tolerance, Tolerance);
        AssertClose("batch norm running var", rvRef, rv.ToArray(), Tolerance, Tolerance);

        y.Backward(Make(be, dyd, shape));
        var (dx, dg, db) = Reference.BatchNormTrainBackward(xd, dyd, n, c, s, gd, 1e-5);
        AssertClose("batch norm grad input", dx, x.Grad!.ToArray(), Tolerance, Tolerance);
        AssertClose("batch norm grad weight", dg, gamma.Grad!.ToArray(), Tolerance, Tolerance);
        AssertClose("batch norm grad bias", db, beta.Grad!.ToArray(), Tolerance, Tolerance);
    }

    [Fact]
    public void BatchNormEvalUsesRunningStatistics()
    {
        var be = Backend;
        var rng = new Random(5);
        int n = 3, c = 4, s = 10;
        var xd = Rounded(RandomArray(rng, n * c * s, -2, 2));
        var gd = Rounded(RandomArray(rng, c, 0.5, 1.5));
        var bd = Rounded(RandomArray(rng, c));
        var rmd = Rounded(RandomArray(rng, c));
        var rvd = Rounded(RandomArray(rng, c, 0.5, 2));
        var dyd = Rounded(RandomArray(rng, n * c * s));
        var x = Param(be, xd, n, c, s);
        var gamma = Param(be, gd, c);
        var beta = Param(be, bd, c);
        var rm = Make(be, rmd, c);
        var rv = Make(be, rvd, c);
        var y = Ops.BatchNorm(x, gamma, beta, rm, rv, training: false, eps: 1e-5f);
        var yRef = new double[xd.Length];
        var dxRef = new double[xd.Length];
        var dgRef = new double[c];
        var dbRef = new double[c];
        for (int k = 0; k < xd.Length; k++)
        {
            int ch = k / s % c;
            double inv = 1 / Math.Sqrt(rvd[ch] + 1e-5);
            yRef[k] = (xd[k] - rmd[ch]) * inv * gd[ch] + bd[ch];
            dxRef[k] = dyd[k] * gd[ch] * inv;
            dgRef[ch] += dyd[k] * (xd[k] - rmd[ch]) * inv;
            dbRef[ch] += dyd[k];
        }
        AssertClose("batch norm eval forward", yRef, y.ToArray(), Tolerance, Tolerance);
        y.Backward(Make(be, dyd, n, c, s));
        AssertClose("batch norm eval grad input", dxRef, x.Grad!.ToArray(), Tolerance, Tolerance);
        AssertClose("batch norm eval grad weight", dgRef, gamma.Grad!.ToArray(), Tolerance, Tolerance);
        AssertClose("batch norm eval grad bias", dbRef, beta.Grad!.ToArray(), Tolerance, Tolerance);
        AssertClose("running mean untouched in eval", rmd, rm.ToArray(), 0, 0);
    }

    // ------------------------------------------------------------ linear algebra

    [Fact]
    public void LinearMatchesReference()
    {
        var be = Backend;
        var rng = new Random(11);
        int n = 5, fin = 7, fout = 3;
        var xd = Rounded(RandomArray(rng, n * fin));
        var wd = Rounded(RandomArray(rng, fout * fin));
        var bd = Rounded(RandomArray(rng, fout));
        var dyd = Rounded(RandomArray(rng, n * fout));
        var x = Param(be, xd, n, fin);
        var w = Param(be, wd, fout, fin);
        var b = Param(be, bd, fout);
        var y = Ops.Linear(x, w, b);
        var yRef = Reference.MatMul(xd, Reference.Transpose(wd, fout, fin), n, fout, fin);
        for (int i = 0; i < n; i++)
        {
            for (int j = 0; j < fout; j++)
            {
                yRef[i * fout + j] += bd[j];
            }
        }
        AssertClose("linear forward", yRef, y.ToArray(), Tolerance, Tolerance);
        y.Backward(Make(be, dyd, n, fout));
        AssertClose("linear grad input", Reference.MatMul(dyd, wd, n, fin, fout), x.Grad!.ToArray(), Tolerance, Tolerance);
        AssertClose("linear grad weight", Reference.MatMul(Reference.Transpose(dyd, n, fout), xd, fout, fin, n), w.Grad!.ToArray(), Tolerance, Tolerance);
        AssertClose("linear grad bias", Reference.ChannelSum(dyd, n, fout, 1), b.Grad!.ToArray(), Tolerance, Tolerance);
    }

    [Fact]
    public void MatMulMatchesReference()
    {
        var be = Backend;
        var rng = new Random(12);
        int m = 4, k = 6, n = 5;
        var ad = Rounded(RandomArray(rng, m * k));
        var bd = Rounded(RandomArray(rng, k * n));
        var dcd = Rounded(RandomArray(rng, m * n));
        var a = Param(be, ad, m, k);
        var b = Param(be, bd, k, n);
        var c = Ops.MatMul(a, b);
        AssertClose("matmul forward", Reference.MatMul(ad, bd, m, n, k), c.ToArray(), Tolerance, Tolerance);
        c.Backward(Make(be, dcd, m, n));
        AssertClose("matmul grad a", Reference.MatMul(dcd, Reference.Transpose(bd, k, n), m, k, n), a.Grad!.ToArray(), Tolerance, Tolerance);
        AssertClose("matmul grad b", Reference.MatMul(Reference.Transpose(ad, m, k), dcd, k, n, m), b.Grad!.ToArray(), Tolerance, Tolerance);
    }

    // ------------------------------------------------------------ elementwise

    [Theory]
    [InlineData(UnaryOp.Relu, 0f)]
    [InlineData(UnaryOp.LeakyRelu, 0.2f)]
    [InlineData(UnaryOp.Sigmoid, 0f)]
    [InlineData(UnaryOp.Tanh, 0f)]
    [InlineData(UnaryOp.Exp, 0f)]
    [InlineData(UnaryOp.Scale, -1.75f)]
    [InlineData(UnaryOp.AddScalar, 0.625f)]
    [InlineData(UnaryOp.Square, 0f)]
    [InlineData(UnaryOp.Rsqrt, 0f)]
    public void UnaryMatchesReference(UnaryOp op, float alpha)
    {
        var be = Backend;
        var rng = new Random((int)op + 100);
        // 1037 elements: not a multiple of any vector width, so remainder paths run.
        var xd = op == UnaryOp.Rsqrt ? Rounded(RandomArray(rng, 1037, 0.1, 4)) : Rounded(AwayFromZero(rng, 1037));
        for (int i = 0; i < 40 && op != UnaryOp.Rsqrt; i++)
        {
            xd[i] *= 12; // large magnitudes: saturation of sigmoid and tanh
        }
        var dyd = Rounded(RandomArray(rng, xd.Length));
        Func<double, double> f = op switch
        {
            UnaryOp.Relu => v => Math.Max(v, 0),
            UnaryOp.LeakyRelu => v => v > 0 ? v : alpha * v,
            UnaryOp.Sigmoid => v => 1 / (1 + Math.Exp(-v)),
            UnaryOp.Tanh => Math.Tanh,
            UnaryOp.Exp => Math.Exp,
            UnaryOp.Scale => v => alpha * v,
            UnaryOp.AddScalar => v => v + alpha,
            UnaryOp.Square => v => v * v,
            UnaryOp.Rsqrt => v => 1 / Math.Sqrt(v),
            _ => throw new ArgumentOutOfRangeException(nameof(op)),
        };
        Func<double, double> df = op switch
        {
            UnaryOp.Relu => v => v > 0 ? 1 : 0,
            UnaryOp.LeakyRelu => v => v > 0 ? 1 : alpha,
            UnaryOp.Sigmoid => v => f(v) * (1 - f(v)),
            UnaryOp.Tanh => v => 1 - Math.Tanh(v) * Math.Tanh(v),
            UnaryOp.Exp => Math.Exp,
            UnaryOp.Scale => _ => alpha,
            UnaryOp.AddScalar => _ => 1,
            UnaryOp.Square => v => 2 * v,
            UnaryOp.Rsqrt => v => -0.5 * Math.Pow(v, -1.5),
            _ => throw new ArgumentOutOfRangeException(nameof(op)),
        };
        var x = Param(be, xd, 1037);
        var y = Ops.Unary(op, x, alpha);
        double tol = Math.Max(Tolerance, 2e-6);
        AssertClose($"{op} forward", xd.Select(f).ToArray(), y.ToArray(), tol, tol);
        y.Backward(Make(be, dyd, 1037));
        AssertClose($"{op} backward", xd.Select((v, i) => df(v) * dyd[i]).ToArray(), x.Grad!.ToArray(), tol, tol);
    }

    [Fact]
    public void LeakyReluBackwardMatchesReferenceAndIsLinearInItsGradient()
    {
        var be = Backend;
        var rng = new Random(413);
        const float slope = 0.2f;
        // The activation's sign picks the slope; its values are otherwise unused (and get no gradient).
        var yd = Rounded(AwayFromZero(rng, 1037));
        var gd = Rounded(RandomArray(rng, 1037));
        var upd = Rounded(RandomArray(rng, 1037));
        var activation = Make(be, yd, 1037);
        var g = Param(be, gd, 1037);
        var r = Ops.LeakyReluBackward(g, activation, slope);
        Assert.False(activation.RequiresGrad);
        AssertClose("leaky ReLU backward", gd.Select((v, i) => yd[i] > 0 ? v : slope * v).ToArray(), r.ToArray(), 1e-7, 1e-7);
        r.Backward(Make(be, upd, 1037));
        AssertClose("its own backward", upd.Select((v, i) => yd[i] > 0 ? v : slope * v).ToArray(), g.Grad!.ToArray(), 1e-7, 1e-7);
        Assert.Throws<ArgumentException>(() => Ops.LeakyReluBackward(g, Make(be, yd[..36], 36), slope));
    }

    [Theory]
    [InlineData(BinaryOp.Add)]
    [InlineData(BinaryOp.Sub)]
    [InlineData(BinaryOp.Mul)]
    public void BinaryMatchesReference(BinaryOp op)
    {
        var be = Backend;
        var rng = new Random((int)op + 200);
        var ad = Rounded(RandomArray(rng, 531));
        var bd = Rounded(RandomArray(rng, 531));
        var dyd = Rounded(RandomArray(rng, 531));
        var a = Param(be, ad, 3, 177);
        var b = Param(be, bd, 3, 177);
        var y = Ops.Binary(op, a, b);
        Func<double, double, double> f = op switch
        {
            BinaryOp.Add => (p, q) => p + q,
            BinaryOp.Sub => (p, q) => p - q,
            _ => (p, q) => p * q,
        };
        AssertClose($"{op} forward", ad.Select((v, i) => f(v, bd[i])).ToArray(), y.ToArray(), 1e-6, 1e-6);
        y.Backward(Make(be, dyd, 3, 177));
        var da = op == BinaryOp.Mul ? dyd.Select((g, i) => g * bd[i]).ToArray() : dyd;
        var db = op switch
        {
            BinaryOp.Add => dyd,
            BinaryOp.Sub => dyd.Select(g => -g).ToArray(),
            _ => dyd.Select((g, i) => g * ad[i]).ToArray(),
        };
        AssertClose($"{op} grad a", da, a.Grad!.ToArray(), 1e-6, 1e-6);
        AssertClose($"{op} grad b", db, b.Grad!.ToArray(), 1e-6, 1e-6);
    }

    // ------------------------------------------------------------ shapes, pooling, reductions

    [Fact]
    public void ReshapeFlattenConcatRouteValuesAndGradients()
    {
        var be = Backend;
        var rng = new Random(21);
        var ad = Rounded(RandomArray(rng, 2 * 3 * 4));
        var bd = Rounded(RandomArray(rng, 2 * 5 * 4));
        var a = Param(be, ad, 2, 3, 4);
        var b = Param(be, bd, 2, 5, 4);
        var cat = Ops.Concat([a, b], axis: 1);
        Assert.Equal(new Shape(2, 8, 4), cat.Shape);
        var expected = new double[2 * 8 * 4];
        for (int n = 0; n < 2; n++)
        {
            Array.Copy(ad, n * 12, expected, n * 32, 12);
            Array.Copy(bd, n * 20, expected, n * 32 + 12, 20);
        }
        AssertClose("concat axis 1", expected, cat.ToArray(), 0, 0);
        var flat = Ops.Flatten(cat);
        Assert.Equal(new Shape(2, 32), flat.Shape);
        var back = Ops.Reshape(flat, -1, 4);
        Assert.Equal(new Shape(16, 4), back.Shape);
        // L = Σ back · r, so dL/da and dL/db are the slices of r that a and b went to.
        var r = Rounded(RandomArray(rng, 64));
        back.Backward(Make(be, r, 16, 4));
        var da = new double[24];
        var db = new double[40];
        for (int n = 0; n < 2; n++)
        {
            Array.Copy(r, n * 32, da, n * 12, 12);
            Array.Copy(r, n * 32 + 12, db, n * 20, 20);
        }
        AssertClose("concat grad a", da, a.Grad!.ToArray(), 0, 0);
        AssertClose("concat grad b", db, b.Grad!.ToArray(), 0, 0);

        var c0 = Ops.Concat([Make(be, ad, 2, 12), Make(be, bd, 2, 20)], axis: -1);
        Assert.Equal(new Shape(2, 32), c0.Shape);
        AssertClose("concat last axis", expected, c0.ToArray(), 0, 0);
    }

    [Theory]
    [InlineData(0, 1, 2)] // a slice in the middle of the first axis
    [InlineData(1, 4, 1)] // the last channel alone (D's minibatch std channel)
    [InlineData(-1, 0, 3)] // the last axis, from its start
    public void NarrowCopiesTheSliceAndScattersItsGradient(int axis, int start, int length)
    {
        var be = Backend;
        var rng = new Random(23 + start);
        int[] dims = [4, 5, 6];
        var xd = Rounded(RandomArray(rng, 4 * 5 * 6));
        var x = Param(be, xd, dims);
        var y = Ops.Narrow(x, axis, start, length);
        int a = axis < 0 ? axis + 3 : axis;
        var outDims = (int[])dims.Clone();
        outDims[a] = length;
        Assert.Equal(new Shape(outDims), y.Shape);
        // Index by index: y[i, j, k] = x at the same index shifted by start along the axis; dx is dy there, 0 elsewhere.
        var dyd = Rounded(RandomArray(rng, outDims[0] * outDims[1] * outDims[2]));
        var expected = new double[dyd.Length];
        var dx = new double[xd.Length];
        for (int i = 0; i < outDims[0]; i++)
        {
            for (int j = 0; j < outDims[1]; j++)
            {
                for (int k = 0; k < outDims[2]; k++)
                {
                    int[] at = [i, j, k];
                    at[a] += start;
                    int source = (at[0] * 5 + at[1]) * 6 + at[2];
                    int target = (i * outDims[1] + j) * outDims[2] + k;
                    expected[target] = xd[source];
                    dx[source] = dyd[target];
                }
            }
        }
        AssertClose("narrow", expected, y.ToArray(), 0, 0);
        y.Backward(Make(be, dyd, outDims));
        AssertClose("narrow grad", dx, x.Grad!.ToArray(), 0, 0);
        Assert.Throws<ArgumentException>(() => Ops.Narrow(x, 1, 3, 3));
    }

    [Theory]
    [InlineData(2, 2, 2, 2, 2, 0)]  // the paper's non-overlapping pooling
    [InlineData(3, 3, 3, 2, 2, 1)]  // overlapping windows with padding
    [InlineData(2, 3, 1, 2, 1, 0)]  // non-cubic window
    public void MaxPool3dMatchesReference(int kd, int kh, int kw, int sd, int sh, int pad)
    {
        var be = Backend;
        var rng = new Random(kd * 10 + kh + pad);
        var g = Pool3dGeometry.Create(2, 3, 5, 7, 9, kd, kh, kw, sd, sh, sd, pad, pad, Math.Min(pad, kw / 2));
        var xd = Rounded(RandomArray(rng, g.InputSize));
        var dyd = Rounded(RandomArray(rng, g.OutputSize));
        var x = Param(be, xd, 2, 3, 5, 7, 9);
        var y = Ops.MaxPool3d(x, (kd, kh, kw), (sd, sh, sd), (pad, pad, Math.Min(pad, kw / 2)));
        var yRef = Reference.MaxPool3d(xd, g, dyd, out var dxRef);
        AssertClose("max pool forward", yRef, y.ToArray(), 0, 0);
        y.Backward(Make(be, dyd, y.Shape.ToArray()));
        AssertClose("max pool grad input", dxRef!, x.Grad!.ToArray(), 1e-6, 1e-6);
    }

    [Fact]
    public void SumAndMeanMatchReference()
    {
        var be = Backend;
        var rng = new Random(31);
        var xd = Rounded(RandomArray(rng, 70007)); // spans several reduction chunks
        var x = Param(be, xd, 7, 10001);
        var s = Ops.Sum(x);
        var m = Ops.Mean(x);
        Assert.Equal(0, s.Rank);
        AssertClose("sum", xd.Sum(), s.Item(), 1e-3, 1e-5);
        AssertClose("mean", xd.Average(), m.Item(), 1e-6, 1e-5);
        var total = Ops.Add(Ops.MulScalar(s, 2f), m);
        total.Backward();
        AssertClose("sum+mean grad", Enumerable.Repeat(2.0 + 1.0 / 70007, 70007).ToArray(), x.Grad!.ToArray(), 1e-6, 1e-6);
    }

    // ------------------------------------------------------------ losses

    [Fact]
    public void BceWithLogitsMatchesReferenceAndIsStable()
    {
        var be = Backend;
        var rng = new Random(41);
        var xd = Rounded(RandomArray(rng, 257, -6, 6));
        xd[0] = 40; xd[1] = -40; xd[2] = 90; xd[3] = -90; // log(1 − σ(x)) overflows if computed naively in float32
        var td = Rounded(RandomArray(rng, 257, 0, 1));
        var x = Param(be, xd, 257);
        var loss = Ops.BceWithLogits(x, Make(be, td, 257));
        double refLoss = 0;
        var grad = new double[257];
        for (int i = 0; i < 257; i++)
        {
            // Stable float64 form for the reference too: the naive form loses everything at |x| = 90.
            refLoss += Math.Max(xd[i], 0) - xd[i] * td[i] + Math.Log(1 + Math.Exp(-Math.Abs(xd[i])));
            grad[i] = (1 / (1 + Math.Exp(-xd[i])) - td[i]) / 257;
        }
        AssertClose("bce loss", refLoss / 257, loss.Item(), Tolerance, Tolerance);
        Assert.True(float.IsFinite(loss.Item()));
        loss.Backward();
        AssertClose("bce grad", grad, x.Grad!.ToArray(), 1e-6, Tolerance);

        // Against the textbook formula on moderate logits, and with a constant target.
        var yd = Rounded(RandomArray(rng, 33, -3, 3));
        var ones = Enumerable.Repeat(1.0, 33).ToArray();
        AssertClose("bce constant target", Reference.BceWithLogits(yd, ones), Ops.BceWithLogits(Make(be, yd, 33), 1f).Item(), Tolerance, Tolerance);
    }

    [Fact]
    public void BceWithLogitsWithPositiveWeightMatchesTheWeightedLikelihood()
    {
        var be = Backend;
        var rng = new Random(53);
        int n = 301;
        var xd = Rounded(RandomArray(rng, n, -6, 6));
        var td = Rounded(RandomArray(rng, n, 0, 1));
        (xd[0], td[0]) = (40, 1);
        (xd[1], td[1]) = (-40, 1); // a missed occupied voxel: the weighted term dominates
        (xd[2], td[2]) = (90, 0);
        (xd[3], td[3]) = (-90, 1);
        foreach (double p in new[] { 3.0, 0.25, 1.0 })
        {
            var x = Param(be, xd, n);
            var loss = Ops.BceWithLogits(x, Make(be, td, n), (float)p);
            double refLoss = 0;
            var grad = new double[n];
            for (int i = 0; i < n; i++)
            {
                // −[p·t·log σ(x) + (1 − t)·log(1 − σ(x))] with −log σ(x) = softplus(−x), −log(1 − σ(x)) = softplus(x), stable in float64.
                double softNeg = Math.Max(-xd[i], 0) + Math.Log(1 + Math.Exp(-Math.Abs(xd[i])));
                double softPos = Math.Max(xd[i], 0) + Math.Log(1 + Math.Exp(-Math.Abs(xd[i])));
                double sigmoid = 1 / (1 + Math.Exp(-xd[i]));
                refLoss += (p * td[i] * softNeg) + ((1 - td[i]) * softPos);
                grad[i] = ((-p * td[i] * (1 - sigmoid)) + ((1 - td[i]) * sigmoid)) / n;
            }
            AssertClose($"weighted bce loss p={p}", refLoss / n, loss.Item(), Tolerance, Tolerance);
            loss.Backward();
            AssertClose($"weighted bce grad p={p}", grad, x.Grad!.ToArray(), 1e-6, Tolerance);
        }
        var logits = Make(be, xd, n);
        var target = Make(be, td, n);
        foreach (float bad in new[] { 0f, -1f, float.NaN, float.PositiveInfinity })
        {
            var e = Assert.Throws<ArgumentException>(() => Ops.BceWithLogits(logits, target, bad));
            Assert.Contains("positive weight", e.Message);
        }
    }

    [Fact]
    public void KlDivergenceMatchesGaussianFormula()
    {
        var be = Backend;
        var rng = new Random(43);
        int batch = 3, z = 11;
        var md = Rounded(RandomArray(rng, batch * z, -2, 2));
        var ld = Rounded(RandomArray(rng, batch * z, -3, 1.5));
        var mu = Param(be, md, batch, z);
        var lv = Param(be, ld, batch, z);
        var kl = Ops.KlDivergenceStandardNormal(mu, lv);
        AssertClose("kl", Reference.Kl(md, ld, batch), kl.Item(), Tolerance, Tolerance);
        kl.Backward();
        AssertClose("kl grad mu", md.Select(v => v / batch).ToArray(), mu.Grad!.ToArray(), 1e-6, Tolerance);
        AssertClose("kl grad logvar", ld.Select(v => 0.5 * (Math.Exp(v) - 1) / batch).ToArray(), lv.Grad!.ToArray(), 1e-6, Tolerance);
    }

    [Fact]
    public void MseLossMatchesReference()
    {
        var be = Backend;
        var rng = new Random(47);
        var ad = Rounded(RandomArray(rng, 2 * 3 * 4));
        var bd = Rounded(RandomArray(rng, 2 * 3 * 4));
        var a = Param(be, ad, 2, 3, 4);
        var mean = Ops.MseLoss(a, Make(be, bd, 2, 3, 4));
        var sum = Ops.MseLoss(Make(be, ad, 2, 3, 4), Make(be, bd, 2, 3, 4), Reduction.Sum);
        double ss = ad.Select((v, i) => (v - bd[i]) * (v - bd[i])).Sum();
        AssertClose("mse mean", ss / 24, mean.Item(), 1e-6, 1e-5);
        AssertClose("mse sum", ss, sum.Item(), 1e-5, 1e-5);
        mean.Backward();
        AssertClose("mse grad", ad.Select((v, i) => 2 * (v - bd[i]) / 24).ToArray(), a.Grad!.ToArray(), 1e-6, 1e-5);
    }

    // ------------------------------------------------------------ optimiser and random numbers

    [Fact]
    public void AdamStepMatchesReference()
    {
        var be = Backend;
        var rng = new Random(51);
        int n = 301;
        var pd = Rounded(RandomArray(rng, n));
        var p = Make(be, pd, n);
        var m = Tensor.Zeros(new Shape(n), be);
        var v = Tensor.Zeros(new Shape(n), be);
        double[] mr = new double[n], vr = new double[n], pr = (double[])pd.Clone();
        const double lr = 0.01, b1 = 0.5, b2 = 0.999, eps = 1e-8, wd = 0.01;
        for (int step = 1; step <= 3; step++)
        {
            var gd = Rounded(RandomArray(rng, n));
            be.AdamStep(p, Make(be, gd, n), m, v, AdamStepParams.Create((float)lr, (float)b1, (float)b2, (float)eps, (float)wd, step));
            for (int i = 0; i < n; i++)
            {
                double g = gd[i] + wd * pr[i];
                mr[i] = b1 * mr[i] + (1 - b1) * g;
                vr[i] = b2 * vr[i] + (1 - b2) * g * g;
                double mhat = mr[i] / (1 - Math.Pow(b1, step)), vhat = vr[i] / (1 - Math.Pow(b2, step));
                pr[i] -= lr * mhat / (Math.Sqrt(vhat) + eps);
            }
        }
        AssertClose("adam param", pr, p.ToArray(), 1e-6, 1e-5);
        AssertClose("adam m", mr, m.ToArray(), 1e-6, 1e-5);
        AssertClose("adam v", vr, v.ToArray(), 1e-7, 1e-4);
    }

    [Fact]
    public void RandomDrawsAreSeededAndHaveTheRightMoments()
    {
        var be = Backend;
        var gen = new Rng(seed: 1234);
        var u = gen.Uniform(new Shape(20000), be, -2f, 3f).ToArray();
        var nrm = gen.Normal(new Shape(20000), be, 1f, 2f).ToArray();
        Assert.Equal(40000UL, gen.Offset);
        Assert.All(u, val => Assert.InRange(val, -2f, 3f));
        Assert.InRange(u.Average(), 0.5 - 0.05, 0.5 + 0.05);     // mean of U(−2, 3) is 0.5; σ of the mean ≈ 0.01
        Assert.InRange(nrm.Average(), 1 - 0.06, 1 + 0.06);       // σ of the mean ≈ 0.014
        double var = nrm.Select(z => (z - 1.0) * (z - 1.0)).Average();
        Assert.InRange(var, 4 * 0.95, 4 * 1.05);
        var again = new Rng(seed: 1234).Uniform(new Shape(20000), be, -2f, 3f).ToArray();
        Assert.Equal(u, again);
        var other = new Rng(seed: 1235).Uniform(new Shape(20000), be, -2f, 3f).ToArray();
        Assert.NotEqual(u, other);
        // The same draws on the CPU backend: element i depends only on (seed, counter).
        var cpu = new Rng(seed: 1234).Uniform(new Shape(20000), CpuBackend.Default, -2f, 3f).ToArray();
        Assert.Equal(cpu, u);
    }
}

/// <summary>The op tests on the managed CPU backend.</summary>
public sealed class CpuOpTests : OpTests
{
    private static readonly CpuBackend s_backend = new(threads: 2);

    protected override IBackend Backend => s_backend;
}
