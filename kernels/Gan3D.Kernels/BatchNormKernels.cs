using ILGPU;

namespace Gan3D.Kernels;

/// <summary>Shape and scalars of a batch normalisation over (N, C, S): statistics per channel over N and S.</summary>
public struct BatchNormParams
{
    public int N, C, S;

    /// <summary>Partial sums per channel of the reductions (see <see cref="ReductionKernels"/>).</summary>
    public int Partials;

    /// <summary>Weight of the new statistic in the running mean/var (PyTorch's momentum).</summary>
    public float Momentum;

    public float Eps;

    /// <summary>1 when the backward pass goes through the batch statistics (training mode), 0 in eval mode.</summary>
    public int BatchStatistics;

    /// <summary>A <see cref="BatchNormActivation"/> applied after the normalisation (version 2 only).</summary>
    public int Activation;

    /// <summary>The negative slope of <see cref="BatchNormActivation.LeakyRelu"/>.</summary>
    public float Alpha;
}

/// <summary>
/// Batch normalisation, PyTorch's semantics: training normalises with the batch mean and biased
/// variance and updates the running statistics with the unbiased one. The per-channel sums use the
/// two-stage scheme of <see cref="ReductionKernels"/> (the mean itself is
/// <see cref="ReductionKernels.ChannelPartialSumKernel"/> + <see cref="ReductionKernels.FinalizeSumKernel"/>),
/// and the variance is a second pass over the centred values (no cancellation).
/// Versions: 1 (this), 2 (BatchNormKernels.Fused.cs: one-pass shifted statistics, group reductions
/// with warp shuffles, normalisation fused with the activation).
/// </summary>
public static partial class BatchNormKernels
{
    /// <summary>partials[c·P + j] = Σ (x − mean[c])² over slice j of channel c.</summary>
    /// <param name="index">One thread per (channel, partial): C·P threads.</param>
    /// <param name="x">Input (N, C, S).</param>
    /// <param name="mean">Batch mean (C).</param>
    /// <param name="partials">Output (C, P), float64.</param>
    /// <param name="p">N, C, S and P.</param>
    public static void BatchNormPartialSquaresKernel(Index1D index, ArrayView<float> x, ArrayView<float> mean,
        ArrayView<double> partials, BatchNormParams p)
    {
        int c = index / p.Partials;
        int j = index - c * p.Partials;
        int count = p.N * p.S;
        float m = mean[c];
        double acc = 0;
        for (int e = j; e < count; e += p.Partials)
        {
            int n = e / p.S;
            float d = x[(n * p.C + c) * p.S + e - n * p.S] - m;
            acc += d * d;
        }
        partials[index] = acc;
    }

    /// <summary>
    /// Per channel: var = Σ partials / (N·S); invStd = 1/sqrt(var + eps); running mean and var move
    /// towards the batch mean and the unbiased variance var·count/(count − 1).
    /// </summary>
    /// <param name="index">One thread per channel.</param>
    /// <param name="partials">Squared deviations (C, P), float64.</param>
    /// <param name="mean">Batch mean (C).</param>
    /// <param name="invStd">Output (C).</param>
    /// <param name="runningMean">Updated in place (C).</param>
    /// <param name="runningVar">Updated in place (C).</param>
    /// <param name="p">Shape, P, momentum and eps.</param>
    public static void BatchNormStatisticsKernel(Index1D index, ArrayView<double> partials, ArrayView<float> mean,
        ArrayView<float> invStd, ArrayView<float> runningMean, ArrayView<float> runningVar, BatchNormParams p)
    {
        double ss = 0;
        int start = index * p.Partials;
        for (int j = 0; j < p.Partials; j++)
        {
            ss += partials[start + j];
        }
        double count = (double)p.N * p.S;
        double variance = ss / count;
        invStd[index] = (float)(1.0 / Math.Sqrt(variance + p.Eps));
        runningMean[index] = (1f - p.Momentum) * runningMean[index] + p.Momentum * mean[index];
        runningVar[index] = (1f - p.Momentum) * runningVar[index] + p.Momentum * (float)(variance * count / (count - 1));
    }

    /// <summary>y = (x − mean[c])·invStd[c]·γ[c] + β[c], computed as x·scale + shift.</summary>
    /// <param name="index">One thread per element.</param>
    /// <param name="x">Input (N, C, S).</param>
    /// <param name="gamma">Scale γ (C).</param>
    /// <param name="beta">Shift β (C).</param>
    /// <param name="mean">Batch mean (C).</param>
    /// <param name="invStd">1/sqrt(var + eps) (C).</param>
    /// <param name="y">Output (N, C, S).</param>
    /// <param name="p">C and S.</param>
    public static void BatchNormNormalizeKernel(Index1D index, ArrayView<float> x, ArrayView<float> gamma, ArrayView<float> beta,
        ArrayView<float> mean, ArrayView<float> invStd, ArrayView<float> y, BatchNormParams p)
    {
        int c = index / p.S % p.C;
        float scale = gamma[c] * invStd[c];
        float shift = beta[c] - mean[c] * scale;
        y[index] = x[index] * scale + shift;
    }

    /// <summary>Eval mode: y = (x − runningMean[c]) / sqrt(runningVar[c] + eps)·γ[c] + β[c].</summary>
    /// <param name="index">One thread per element.</param>
    /// <param name="x">Input (N, C, S).</param>
    /// <param name="gamma">Scale γ (C).</param>
    /// <param name="beta">Shift β (C).</param>
    /// <param name="runningMean">Running mean (C).</param>
    /// <param name="runningVar">Running variance (C).</param>
    /// <param name="y">Output (N, C, S).</param>
    /// <param name="p">C, S and eps.</param>
    public static void BatchNormInferenceKernel(Index1D index, ArrayView<float> x, ArrayView<float> gamma, ArrayView<float> beta,
        ArrayView<float> runningMean, ArrayView<float> runningVar, ArrayView<float> y, BatchNormParams p)
    {
        int c = index / p.S % p.C;
        float scale = gamma[c] / MathF.Sqrt(runningVar[c] + p.Eps);
        float shift = beta[c] - runningMean[c] * scale;
        y[index] = x[index] * scale + shift;
    }

    /// <summary>
    /// partials[c·P + j] = Σ dy and partials[C·P + c·P + j] = Σ dy·(x − mean[c]) over slice j of channel c.
    /// </summary>
    /// <param name="index">One thread per (channel, partial): C·P threads.</param>
    /// <param name="x">Forward input (N, C, S).</param>
    /// <param name="dy">Gradient of the output (N, C, S).</param>
    /// <param name="mean">The mean the forward used (C).</param>
    /// <param name="partials">Output (2, C, P), float64.</param>
    /// <param name="p">N, C, S and P.</param>
    public static void BatchNormPartialBackwardKernel(Index1D index, ArrayView<float> x, ArrayView<float> dy,
        ArrayView<float> mean, ArrayView<double> partials, BatchNormParams p)
    {
        int c = index / p.Partials;
        int j = index - c * p.Partials;
        int count = p.N * p.S;
        float m = mean[c];
        double sumDy = 0, sumDyCentred = 0;
        for (int e = j; e < count; e += p.Partials)
        {
            int n = e / p.S;
            int k = (n * p.C + c) * p.S + e - n * p.S;
            float g = dy[k];
            sumDy += g;
            sumDyCentred += g * (x[k] - m);
        }
        partials[index] = sumDy;
        partials[p.C * p.Partials + index] = sumDyCentred;
    }

    /// <summary>
    /// Per channel: dβ = Σ dy, dγ = Σ dy·x̂ with x̂ = (x − mean)·invStd, and the two means the data
    /// gradient needs: coefficients[c] = mean(dy), coefficients[C + c] = mean(dy·x̂).
    /// </summary>
    /// <param name="index">One thread per channel.</param>
    /// <param name="partials">From <see cref="BatchNormPartialBackwardKernel"/> (2, C, P), float64.</param>
    /// <param name="invStd">The 1/sqrt(var + eps) the forward used (C).</param>
    /// <param name="dgamma">Output (C).</param>
    /// <param name="dbeta">Output (C).</param>
    /// <param name="coefficients">Output (2, C), float64.</param>
    /// <param name="p">Shape and P.</param>
    public static void BatchNormBackwardReduceKernel(Index1D index, ArrayView<double> partials, ArrayView<float> invStd,
        ArrayView<float> dgamma, ArrayView<float> dbeta, ArrayView<double> coefficients, BatchNormParams p)
    {
        double sumDy = 0, sumDyCentred = 0;
        int start = index * p.Partials;
        int second = p.C * p.Partials + start;
        for (int j = 0; j < p.Partials; j++)
        {
            sumDy += partials[start + j];
            sumDyCentred += partials[second + j];
        }
        double sumDyXhat = sumDyCentred * invStd[index];
        double count = (double)p.N * p.S;
        dbeta[index] = (float)sumDy;
        dgamma[index] = (float)sumDyXhat;
        coefficients[index] = sumDy / count;
        coefficients[p.C + index] = sumDyXhat / count;
    }

    /// <summary>
    /// dx = γ·invStd·(dy − mean(dy) − x̂·mean(dy·x̂)) with batch statistics; dx = γ·invStd·dy without
    /// (eval mode: the running statistics are constants).
    /// </summary>
    /// <param name="index">One thread per element.</param>
    /// <param name="x">Forward input (N, C, S).</param>
    /// <param name="dy">Gradient of the output (N, C, S).</param>
    /// <param name="gamma">Scale γ (C).</param>
    /// <param name="mean">The mean the forward used (C).</param>
    /// <param name="invStd">The 1/sqrt(var + eps) the forward used (C).</param>
    /// <param name="coefficients">From <see cref="BatchNormBackwardReduceKernel"/> (2, C), float64.</param>
    /// <param name="dx">Output (N, C, S).</param>
    /// <param name="p">C, S and the mode.</param>
    public static void BatchNormBackwardDataKernel(Index1D index, ArrayView<float> x, ArrayView<float> dy,
        ArrayView<float> gamma, ArrayView<float> mean, ArrayView<float> invStd, ArrayView<double> coefficients,
        ArrayView<float> dx, BatchNormParams p)
    {
        int c = index / p.S % p.C;
        float inv = invStd[c];
        float k = gamma[c] * inv;
        if (p.BatchStatistics == 0)
        {
            dx[index] = dy[index] * k;
            return;
        }
        float meanDy = (float)coefficients[c];
        float meanDyXhat = (float)coefficients[p.C + c];
        float xhat = (x[index] - mean[c]) * inv;
        dx[index] = k * (dy[index] - meanDy - xhat * meanDyXhat);
    }
}
