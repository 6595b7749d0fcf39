using ILGPU;

namespace Gan3D.Kernels;

/// <summary>
/// The fused Adam update in PyTorch's form (see <see cref="AdamStepParams"/>).
/// Versions: 1 (this: one thread per parameter). Already fused: one launch per parameter tensor reads
/// p, g, m, v once and writes p, m, v once, the least traffic an update can have, so there is no version 2.
/// </summary>
public static class AdamKernels
{
    /// <summary>
    /// g += wd·p; m = β1·m + (1 − β1)·g; v = β2·v + (1 − β2)·g²; p −= stepSize · m / (sqrt(v)/sqrt(bc2) + eps).
    /// </summary>
    /// <param name="index">One thread per parameter.</param>
    /// <param name="param">Parameters (n), updated.</param>
    /// <param name="grad">Gradients (n).</param>
    /// <param name="m">First moments (n), updated.</param>
    /// <param name="v">Second moments (n), updated.</param>
    /// <param name="p">The step's scalars.</param>
    public static void AdamStepKernel(Index1D index, ArrayView<float> param, ArrayView<float> grad,
        ArrayView<float> m, ArrayView<float> v, AdamStepParams p)
    {
        float pv = param[index];
        float g = grad[index] + p.WeightDecay * pv;
        float mi = p.Beta1 * m[index] + (1f - p.Beta1) * g;
        float vi = p.Beta2 * v[index] + (1f - p.Beta2) * g * g;
        m[index] = mi;
        v[index] = vi;
        param[index] = pv - p.StepSize * mi / (MathF.Sqrt(vi) * p.InvSqrtBiasCorrection2 + p.Eps);
    }
}
