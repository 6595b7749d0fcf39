using Gan3D.Tensors;

namespace Gan3D.Tests.Engine;

/// <summary>
/// Central finite differences against the tape's gradients. The objective is L = Σ f(x)·r for a fixed
/// random r, evaluated in float64 from the float32 outputs; every input element is perturbed by ±eps.
/// </summary>
public static class GradCheck
{
    public static void Check(string what, IBackend be, Func<Tensor[], Tensor> f, double[][] inputs, int[][] shapes,
        double eps = 1e-2, double tol = 2e-2, int seed = 7, bool[]? differentiable = null)
    {
        int count = inputs.Length;
        var rng = new Random(seed);
        // Analytic gradients.
        var leaves = new Tensor[count];
        for (int i = 0; i < count; i++)
        {
            leaves[i] = TestSupport.Make(be, inputs[i], shapes[i]);
            leaves[i].RequiresGrad = differentiable?[i] ?? true;
        }
        var y = f(leaves);
        var r = TestSupport.RandomArray(rng, y.Numel);
        y.Backward(TestSupport.Make(be, r, y.Shape.ToArray()));

        for (int i = 0; i < count; i++)
        {
            if (!(differentiable?[i] ?? true))
            {
                continue;
            }
            var analytic = leaves[i].Grad!.ToArray();
            var numeric = new double[inputs[i].Length];
            for (int j = 0; j < inputs[i].Length; j++)
            {
                double saved = inputs[i][j];
                inputs[i][j] = saved + eps;
                double plus = Objective(be, f, inputs, shapes, r);
                inputs[i][j] = saved - eps;
                double minus = Objective(be, f, inputs, shapes, r);
                inputs[i][j] = saved;
                numeric[j] = (plus - minus) / (2 * eps);
            }
            double scale = Math.Max(1.0, numeric.Max(Math.Abs));
            TestSupport.AssertClose($"{what}: d/d input {i} (finite differences)", numeric, analytic, tol * scale, tol);
        }
    }

    private static double Objective(IBackend be, Func<Tensor[], Tensor> f, double[][] inputs, int[][] shapes, double[] r)
    {
        using var noGrad = Autograd.NoGrad();
        var t = new Tensor[inputs.Length];
        for (int i = 0; i < inputs.Length; i++)
        {
            t[i] = TestSupport.Make(be, inputs[i], shapes[i]);
        }
        var y = f(t).ToArray();
        double acc = 0;
        for (int k = 0; k < y.Length; k++)
        {
            acc += y[k] * r[k];
        }
        return acc;
    }
}
