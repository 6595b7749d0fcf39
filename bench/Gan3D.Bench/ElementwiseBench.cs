using System.Diagnostics;
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;
using Gan3D.Kernels;
using Gan3D.Tensors;

namespace Gan3D.Bench;

/// <summary>
/// <c>gan3d-bench elementwise</c>: in one process, A/B of the CPU elementwise ops at the gan32 batch-32
/// shapes. A is the previous implementation, B the current one: sigmoid and LeakyReLU as the
/// System.Numerics.Tensors loops they were (kept here only as the yardstick) against UnaryLoops
/// version 2; batch norm + activation as the two unfused ops against the fused op. Each pair is
/// validated (max difference printed), then timed alternately (A, B, A, B, ...) forward and
/// forward+backward through autograd; the minimum of each is reported, and separately the mean of
/// the first calls in the process, which is what a short profile sees before the JIT tiers up.
/// </summary>
internal static class ElementwiseBench
{
    public static void Run(int rounds, TextWriter output)
    {
        var be = CpuBackend.Default;
        var rng = new Rng(3);
        output.WriteLine($"{be.Name}; {rounds} alternations, min of each; 'first' = mean of the first 5 calls in this process (before tiering)");
        output.WriteLine($"{"op",-22} {"shape",-18} {"pass",-9} {"A ms",8} {"B ms",8} {"B/A",6} {"A first",9} {"B first",9}  max |A−B|");

        var volume = rng.Uniform(new Shape(32, 1, 32, 32, 32), be, -4f, 4f).Persist();
        Compare(output, "sigmoid", volume, rounds, x => OldUnary(UnaryOp.Sigmoid, x, 0f), Ops.Sigmoid);
        var d1 = rng.Uniform(new Shape(32, 64, 16, 16, 16), be, -1f, 1f).Persist();
        Compare(output, "leaky relu (D.lrelu1)", d1, rounds, x => OldUnary(UnaryOp.LeakyRelu, x, 0.2f), x => Ops.LeakyRelu(x, 0.2f));

        foreach (var (name, shape, act) in new[]
        {
            ("G.bn1+relu", new Shape(32, 256, 4, 4, 4), BatchNormActivation.Relu),
            ("G.bn2+relu", new Shape(32, 128, 8, 8, 8), BatchNormActivation.Relu),
            ("G.bn3+relu", new Shape(32, 64, 16, 16, 16), BatchNormActivation.Relu),
            ("D.bn2+lrelu", new Shape(32, 128, 8, 8, 8), BatchNormActivation.LeakyRelu),
            ("D.bn3+lrelu", new Shape(32, 256, 4, 4, 4), BatchNormActivation.LeakyRelu),
        })
        {
            int c = shape[1];
            var x = rng.Uniform(shape, be, -1f, 2f).Persist();
            var gamma = rng.Uniform(new Shape(c), be, 0.5f, 1.5f).Persist();
            var beta = rng.Uniform(new Shape(c), be, -0.5f, 0.5f).Persist();
            gamma.RequiresGrad = beta.RequiresGrad = true;
            var rm = Tensor.Zeros(new Shape(c), be).Persist();
            var rv = Tensor.Ones(new Shape(c), be).Persist();
            float alpha = act == BatchNormActivation.LeakyRelu ? 0.2f : 0f;
            Compare(output, name, x, rounds,
                t =>
                {
                    var y = Ops.BatchNorm(t, gamma, beta, rm, rv, training: true);
                    return act == BatchNormActivation.Relu ? Ops.Relu(y) : Ops.LeakyRelu(y, alpha);
                },
                t => Ops.BatchNormActivation(t, gamma, beta, rm, rv, training: true, act, alpha));
        }
    }

    private static void Compare(TextWriter output, string name, Tensor x, int rounds, Func<Tensor, Tensor> a, Func<Tensor, Tensor> b)
    {
        var be = x.Backend;
        x.RequiresGrad = true;
        var dy = new Rng(9).Normal(x.Shape, be).Persist();
        // Validate first: outputs and input gradients of A and B.
        float[] ya, yb, ga, gb;
        using (MemoryScope.Begin())
        {
            x.ZeroGrad();
            var y = a(x);
            y.Backward(dy);
            (ya, ga) = (y.ToArray(), x.Grad!.ToArray());
        }
        using (MemoryScope.Begin())
        {
            x.ZeroGrad();
            var y = b(x);
            y.Backward(dy);
            (yb, gb) = (y.ToArray(), x.Grad!.ToArray());
        }
        double diff = Math.Max(MaxDiff(ya, yb), MaxDiff(ga, gb));

        var (fa, fb, ta, tb) = (new List<double>(), new List<double>(), new List<double>(), new List<double>());
        for (int r = 0; r < rounds; r++)
        {
            fa.Add(Time(() => a(x), null));
            fb.Add(Time(() => b(x), null));
            ta.Add(Time(() => a(x), dy));
            tb.Add(Time(() => b(x), dy));
        }
        string shape = string.Join("x", x.Shape.ToArray());
        Row(output, name, shape, "forward", fa, fb, diff);
        Row(output, name, shape, "fwd+bwd", ta, tb, diff);
        x.ZeroGrad();
        x.RequiresGrad = false;
    }

    private static void Row(TextWriter output, string name, string shape, string pass, List<double> a, List<double> b, double diff)
    {
        double first(List<double> t) => t.Take(5).Average();
        output.WriteLine($"{name,-22} {shape,-18} {pass,-9} {a.Min(),8:F2} {b.Min(),8:F2} {b.Min() / a.Min(),6:F2} {first(a),9:F2} {first(b),9:F2}  {diff:E1}");
    }

    private static double Time(Func<Tensor> op, Tensor? dy)
    {
        using var scope = MemoryScope.Begin();
        var sw = Stopwatch.StartNew();
        var y = op();
        if (dy is not null)
        {
            y.Backward(dy);
        }
        return sw.Elapsed.TotalMilliseconds;
    }

    private static double MaxDiff(float[] a, float[] b)
    {
        double m = 0;
        for (int i = 0; i < a.Length; i++)
        {
            m = Math.Max(m, Math.Abs(a[i] - b[i]));
        }
        return m;
    }

    /// <summary>The previous CPU implementation of sigmoid / LeakyReLU and their backward, as a differentiable op.</summary>
    private static Tensor OldUnary(UnaryOp op, Tensor x, float alpha)
    {
        var y = x.EmptyLike();
        OldForward(op, CpuBackend.A(x), CpuBackend.A(y), (int)x.Numel, alpha);
        return Autograd.Record(y, new OldUnaryFunction(op, alpha, y), x);
    }

    private sealed class OldUnaryFunction(UnaryOp op, float alpha, Tensor y) : Function
    {
        protected internal override void Backward(Tensor gradOutput)
        {
            var dx = gradOutput.EmptyLike();
            OldBackward(op, CpuBackend.A(y), CpuBackend.A(gradOutput), CpuBackend.A(dx), (int)dx.Numel, alpha);
            Accumulate(0, dx);
        }
    }

    private static void OldForward(UnaryOp op, float[] xa, float[] ya, int n, float alpha) =>
        CpuBackend.Default.Elementwise(n, (s, len) =>
        {
            var xs = new ReadOnlySpan<float>(xa, s, len);
            var ys = new Span<float>(ya, s, len);
            if (op == UnaryOp.Sigmoid)
            {
                TensorPrimitives.Sigmoid(xs, ys);
                return;
            }
            var va = new System.Numerics.Vector<float>(alpha);
            int i = 0;
            for (; i <= len - System.Numerics.Vector<float>.Count; i += System.Numerics.Vector<float>.Count)
            {
                var v = new System.Numerics.Vector<float>(xs[i..]);
                System.Numerics.Vector.ConditionalSelect(System.Numerics.Vector.GreaterThan(v, System.Numerics.Vector<float>.Zero), v, v * va).CopyTo(ys[i..]);
            }
            for (; i < len; i++)
            {
                ys[i] = xs[i] > 0f ? xs[i] : alpha * xs[i];
            }
        });

    private static void OldBackward(UnaryOp op, float[] ya, float[] ga, float[] da, int n, float alpha) =>
        CpuBackend.Default.Elementwise(n, (s, len) =>
        {
            int i = s;
            if (op == UnaryOp.LeakyRelu)
            {
                var va = new System.Numerics.Vector<float>(alpha);
                for (; i <= s + len - System.Numerics.Vector<float>.Count; i += System.Numerics.Vector<float>.Count)
                {
                    var g = new System.Numerics.Vector<float>(ga, i);
                    System.Numerics.Vector.ConditionalSelect(System.Numerics.Vector.GreaterThan(new System.Numerics.Vector<float>(ya, i), System.Numerics.Vector<float>.Zero), g, g * va).CopyTo(da, i);
                }
            }
            for (; i < s + len; i++)
            {
                da[i] = op == UnaryOp.Sigmoid ? ga[i] * ya[i] * (1f - ya[i]) : ya[i] > 0f ? ga[i] : alpha * ga[i];
            }
        });
}
