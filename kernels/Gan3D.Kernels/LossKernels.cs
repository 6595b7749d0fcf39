using ILGPU;

namespace Gan3D.Kernels;

/// <summary>Size, reduction split and target of a loss over n elements.</summary>
public struct LossParams
{
    /// <summary>Elements n (all of them: the loss is a mean over elements, or a sum for KL).</summary>
    public int Length;

    /// <summary>Partial sums P of the forward reduction (see <see cref="ReductionKernels"/>).</summary>
    public int Partials;

    /// <summary>1 when a target tensor is given; 0 when every target is <see cref="ConstantTarget"/>.</summary>
    public int HasTarget;

    public float ConstantTarget;

    /// <summary>BCE: the weight p of the occupied (target 1) term, PyTorch's pos_weight; 1 is plain BCE.</summary>
    public float PositiveWeight;

    /// <summary>KL: the batch size the sum is averaged over.</summary>
    public int Batch;
}

/// <summary>
/// Losses whose value stays on the device. The forward writes P partial sums, which
/// <see cref="ReductionKernels.FinalizeSumKernel"/> turns into loss[0] (mean for BCE, −½·Σ/batch for KL).
/// The backward kernels read dLoss[0] on the device, so a backward pass never waits for the host.
/// Versions: 1 (this).
/// </summary>
public static class LossKernels
{
    /// <summary>
    /// partials[j] = Σ over slice j of max(x, 0) − x·t + log(1 + e^−|x|) + (p − 1)·t·softplus(−x), the stable BCE
    /// from logits with the target-1 term weighted by p (softplus(−x) = max(−x, 0) + log(1 + e^−|x|)).
    /// </summary>
    /// <param name="index">One thread per partial: P threads.</param>
    /// <param name="logits">Logits x (n).</param>
    /// <param name="target">Targets t (n), or any one-element view when HasTarget is 0.</param>
    /// <param name="partials">Output (P), float64.</param>
    /// <param name="p">n, P and the target.</param>
    public static void BcePartialKernel(Index1D index, ArrayView<float> logits, ArrayView<float> target,
        ArrayView<double> partials, LossParams p)
    {
        double acc = 0;
        for (int e = index; e < p.Length; e += p.Partials)
        {
            float x = logits[e];
            float t = p.HasTarget != 0 ? target[e] : p.ConstantTarget;
            float ax = x < 0f ? -x : x;
            float log1p = MathF.Log(1f + MathF.Exp(-ax));
            acc += (x > 0f ? x : 0f) - x * t + log1p + (p.PositiveWeight - 1f) * t * ((x < 0f ? -x : 0f) + log1p);
        }
        partials[index] = acc;
    }

    /// <summary>dx = dLoss[0] · (σ(x) − t + (p − 1)·t·(σ(x) − 1)) / n.</summary>
    /// <param name="index">One thread per element.</param>
    /// <param name="logits">Logits x (n).</param>
    /// <param name="target">Targets t (n), or any one-element view when HasTarget is 0.</param>
    /// <param name="dLoss">Gradient of the loss (1).</param>
    /// <param name="dx">Output (n).</param>
    /// <param name="p">n and the target.</param>
    public static void BceBackwardKernel(Index1D index, ArrayView<float> logits, ArrayView<float> target,
        ArrayView<float> dLoss, ArrayView<float> dx, LossParams p)
    {
        float scale = dLoss[0] / p.Length;
        float t = p.HasTarget != 0 ? target[index] : p.ConstantTarget;
        float sigmoid = 1f / (1f + MathF.Exp(-logits[index]));
        dx[index] = scale * (sigmoid - t + (p.PositiveWeight - 1f) * t * (sigmoid - 1f));
    }

    /// <summary>partials[j] = Σ over slice j of 1 + logvar − μ² − e^logvar, in float64.</summary>
    /// <param name="index">One thread per partial: P threads.</param>
    /// <param name="mu">Means μ (batch, Z).</param>
    /// <param name="logvar">Log variances (batch, Z).</param>
    /// <param name="partials">Output (P), float64.</param>
    /// <param name="p">n and P.</param>
    public static void KlPartialKernel(Index1D index, ArrayView<float> mu, ArrayView<float> logvar,
        ArrayView<double> partials, LossParams p)
    {
        double acc = 0;
        for (int e = index; e < p.Length; e += p.Partials)
        {
            double m = mu[e];
            double lv = logvar[e];
            acc += 1.0 + lv - m * m - Math.Exp(lv);
        }
        partials[index] = acc;
    }

    /// <summary>dμ = dLoss[0]·μ / batch; dlogvar = dLoss[0]·½(e^logvar − 1) / batch.</summary>
    /// <param name="index">One thread per element.</param>
    /// <param name="mu">Means μ (batch, Z).</param>
    /// <param name="logvar">Log variances (batch, Z).</param>
    /// <param name="dLoss">Gradient of the loss (1).</param>
    /// <param name="dmu">Output (batch, Z).</param>
    /// <param name="dlogvar">Output (batch, Z).</param>
    /// <param name="p">The batch size.</param>
    public static void KlBackwardKernel(Index1D index, ArrayView<float> mu, ArrayView<float> logvar,
        ArrayView<float> dLoss, ArrayView<float> dmu, ArrayView<float> dlogvar, LossParams p)
    {
        float scale = dLoss[0] / p.Batch;
        dmu[index] = scale * mu[index];
        dlogvar[index] = scale * 0.5f * (MathF.Exp(logvar[index]) - 1f);
    }
}
