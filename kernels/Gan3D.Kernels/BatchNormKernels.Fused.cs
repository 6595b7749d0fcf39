using ILGPU;

namespace Gan3D.Kernels;

/// <summary>The activation fused after a version-2 batch normalisation.</summary>
public enum BatchNormActivation
{
    /// <summary>y = x̂·γ + β.</summary>
    None = 0,

    /// <summary>max(·, 0).</summary>
    Relu = 1,

    /// <summary>· if positive, else α·(·).</summary>
    LeakyRelu = 2,
}

/// <summary>The activation of a fused batch norm, its formulas those of <see cref="UnaryMath"/>.</summary>
public static class BatchNormActivationMath
{
    /// <summary>act(v).</summary>
    public static float Activate(BatchNormActivation activation, float v, float alpha) =>
        activation == BatchNormActivation.Relu ? ReluFunction.Forward(v, alpha)
        : activation == BatchNormActivation.LeakyRelu ? LeakyReluFunction.Forward(v, alpha)
        : v;

    /// <summary>dy·act′ given the activation's output y (the gradient reaching the normalisation).</summary>
    public static float Gate(BatchNormActivation activation, float y, float dy, float alpha) =>
        activation == BatchNormActivation.Relu ? ReluFunction.Backward(y, dy, alpha)
        : activation == BatchNormActivation.LeakyRelu ? LeakyReluFunction.Backward(y, dy, alpha)
        : dy;
}

/// <summary>
/// Version 2 of batch normalisation: the statistics in one pass over x instead of three (mean, then
/// squared deviations), and the normalisation fused with the activation that follows it in the GAN.
/// One pass needs Σx² − (Σx)²/n, which cancels catastrophically when |mean| ≫ std; the sums are
/// therefore taken of x − x₀, where x₀ is the channel's first element (a sample, so |mean − x₀| is
/// of the order of std), and in float64.
/// </summary>
public static partial class BatchNormKernels
{
    /// <summary>
    /// partials[c·P + j] = Σ (x − x₀[c]) and partials[C·P + c·P + j] = Σ (x − x₀[c])² over part j of
    /// channel c, x₀[c] = x[0, c, 0]. Grid (P, C), groups of 256.
    /// </summary>
    /// <param name="x">Input (N, C, S).</param>
    /// <param name="partials">Output (2, C, P), float64.</param>
    /// <param name="p">N, C, S and P.</param>
    public static void BatchNormPartialStatisticsKernel2(ArrayView<float> x, ArrayView<double> partials, BatchNormParams p)
    {
        int c = Grid.IdxY, j = Grid.IdxX;
        int count = p.N * p.S, stride = p.Partials * GroupReduction.Threads;
        double shift = x[c * p.S];
        double sum = 0, squares = 0;
        for (int e = j * GroupReduction.Threads + Group.IdxX; e < count; e += stride)
        {
            int n = e / p.S;
            double d = x[(n * p.C + c) * p.S + e - n * p.S] - shift;
            sum += d;
            squares += d * d;
        }
        sum = GroupReduction.Sum(sum);
        squares = GroupReduction.Sum(squares);
        if (Group.IdxX == 0)
        {
            partials[c * p.Partials + j] = sum;
            partials[(p.C + c) * p.Partials + j] = squares;
        }
    }

    /// <summary>
    /// Per channel, from the shifted sums: mean = x₀ + Σd/n, var = Σd²/n − (Σd/n)² (biased, clamped at
    /// 0), invStd = 1/sqrt(var + eps); running statistics as <see cref="BatchNormStatisticsKernel"/>.
    /// </summary>
    /// <param name="index">One thread per channel.</param>
    /// <param name="partials">From <see cref="BatchNormPartialStatisticsKernel2"/> (2, C, P), float64.</param>
    /// <param name="x">Input (N, C, S): x₀ is read again.</param>
    /// <param name="mean">Output (C).</param>
    /// <param name="invStd">Output (C).</param>
    /// <param name="runningMean">Updated in place (C).</param>
    /// <param name="runningVar">Updated in place (C).</param>
    /// <param name="p">Shape, P, momentum and eps.</param>
    public static void BatchNormStatisticsKernel2(Index1D index, ArrayView<double> partials, ArrayView<float> x, ArrayView<float> mean,
        ArrayView<float> invStd, ArrayView<float> runningMean, ArrayView<float> runningVar, BatchNormParams p)
    {
        double sum = 0, squares = 0;
        int first = index * p.Partials, second = (p.C + index) * p.Partials;
        for (int j = 0; j < p.Partials; j++)
        {
            sum += partials[first + j];
            squares += partials[second + j];
        }
        double count = (double)p.N * p.S;
        double meanShifted = sum / count;
        double variance = Math.Max(squares / count - meanShifted * meanShifted, 0.0);
        float m = (float)(x[index * p.S] + meanShifted);
        mean[index] = m;
        invStd[index] = (float)(1.0 / Math.Sqrt(variance + p.Eps));
        runningMean[index] = (1f - p.Momentum) * runningMean[index] + p.Momentum * m;
        runningVar[index] = (1f - p.Momentum) * runningVar[index] + p.Momentum * (float)(variance * count / (count - 1));
    }

    /// <summary>y = act((x − mean[c])·invStd[c]·γ[c] + β[c]), act one of <see cref="BatchNormActivation"/>.</summary>
    /// <param name="index">One thread per element.</param>
    /// <param name="x">Input (N, C, S).</param>
    /// <param name="gamma">Scale γ (C).</param>
    /// <param name="beta">Shift β (C).</param>
    /// <param name="mean">Batch mean (C).</param>
    /// <param name="invStd">1/sqrt(var + eps) (C).</param>
    /// <param name="y">Output (N, C, S).</param>
    /// <param name="p">C, S, the activation and its slope.</param>
    public static void BatchNormActivationKernel2(Index1D index, ArrayView<float> x, ArrayView<float> gamma, ArrayView<float> beta,
        ArrayView<float> mean, ArrayView<float> invStd, ArrayView<float> y, BatchNormParams p)
    {
        int c = index / p.S % p.C;
        float scale = gamma[c] * invStd[c];
        float shift = beta[c] - mean[c] * scale;
        y[index] = BatchNormActivationMath.Activate((BatchNormActivation)p.Activation, x[index] * scale + shift, p.Alpha);
    }

    /// <summary>
    /// Version-2 backward partials: Σ dy and Σ dy·(x − mean[c]) over part j of channel c, as
    /// <see cref="BatchNormPartialBackwardKernel"/> but a group per part. Grid (P, C), groups of 256.
    /// </summary>
    /// <param name="x">Forward input (N, C, S).</param>
    /// <param name="dy">Gradient of the output (N, C, S).</param>
    /// <param name="mean">The mean the forward used (C).</param>
    /// <param name="partials">Output (2, C, P), float64.</param>
    /// <param name="p">N, C, S and P.</param>
    public static void BatchNormPartialBackwardKernel2(ArrayView<float> x, ArrayView<float> dy, ArrayView<float> mean,
        ArrayView<double> partials, BatchNormParams p)
    {
        int c = Grid.IdxY, j = Grid.IdxX;
        int count = p.N * p.S, stride = p.Partials * GroupReduction.Threads;
        float m = mean[c];
        double sumDy = 0, sumDyCentred = 0;
        for (int e = j * GroupReduction.Threads + Group.IdxX; e < count; e += stride)
        {
            int n = e / p.S;
            int k = (n * p.C + c) * p.S + e - n * p.S;
            float g = dy[k];
            sumDy += g;
            sumDyCentred += g * (x[k] - m);
        }
        sumDy = GroupReduction.Sum(sumDy);
        sumDyCentred = GroupReduction.Sum(sumDyCentred);
        if (Group.IdxX == 0)
        {
            partials[c * p.Partials + j] = sumDy;
            partials[(p.C + c) * p.Partials + j] = sumDyCentred;
        }
    }

    /// <summary>
    /// The backward of <see cref="BatchNormActivationKernel2"/>, reduction half: Σ g and Σ g·(x − mean[c])
    /// over part j of channel c, g = dy gated by the activation at y (<see cref="BatchNormActivationMath.Gate"/>).
    /// Grid (P, C), groups of 256; the per-channel step is <see cref="BatchNormBackwardReduceKernel"/>.
    /// </summary>
    /// <param name="x">Forward input (N, C, S).</param>
    /// <param name="y">Forward output, after the activation (N, C, S).</param>
    /// <param name="dy">Gradient of the output (N, C, S).</param>
    /// <param name="mean">The mean the forward used (C).</param>
    /// <param name="partials">Output (2, C, P), float64.</param>
    /// <param name="p">N, C, S, P, the activation and its slope.</param>
    public static void BatchNormActivationPartialBackwardKernel2(ArrayView<float> x, ArrayView<float> y, ArrayView<float> dy,
        ArrayView<float> mean, ArrayView<double> partials, BatchNormParams p)
    {
        int c = Grid.IdxY, j = Grid.IdxX;
        int count = p.N * p.S, stride = p.Partials * GroupReduction.Threads;
        float m = mean[c];
        var activation = (BatchNormActivation)p.Activation;
        double sumG = 0, sumGCentred = 0;
        for (int e = j * GroupReduction.Threads + Group.IdxX; e < count; e += stride)
        {
            int n = e / p.S;
            int k = (n * p.C + c) * p.S + e - n * p.S;
            float g = BatchNormActivationMath.Gate(activation, y[k], dy[k], p.Alpha);
            sumG += g;
            sumGCentred += g * (x[k] - m);
        }
        sumG = GroupReduction.Sum(sumG);
        sumGCentred = GroupReduction.Sum(sumGCentred);
        if (Group.IdxX == 0)
        {
            partials[c * p.Partials + j] = sumG;
            partials[(p.C + c) * p.Partials + j] = sumGCentred;
        }
    }

    /// <summary>
    /// The backward of <see cref="BatchNormActivationKernel2"/>, data half: <see cref="BatchNormBackwardDataKernel"/>
    /// with dy replaced by the gated g (recomputed from y, not stored).
    /// </summary>
    /// <param name="index">One thread per element.</param>
    /// <param name="x">Forward input (N, C, S).</param>
    /// <param name="y">Forward output, after the activation (N, C, S).</param>
    /// <param name="dy">Gradient of the output (N, C, S).</param>
    /// <param name="gamma">Scale γ (C).</param>
    /// <param name="mean">The mean the forward used (C).</param>
    /// <param name="invStd">The 1/sqrt(var + eps) the forward used (C).</param>
    /// <param name="coefficients">From <see cref="BatchNormBackwardReduceKernel"/> (2, C), float64.</param>
    /// <param name="dx">Output (N, C, S); may be dy.</param>
    /// <param name="p">C, S, the mode, the activation and its slope.</param>
    public static void BatchNormActivationBackwardDataKernel2(Index1D index, ArrayView<float> x, ArrayView<float> y, ArrayView<float> dy,
        ArrayView<float> gamma, ArrayView<float> mean, ArrayView<float> invStd, ArrayView<double> coefficients,
        ArrayView<float> dx, BatchNormParams p)
    {
        int c = index / p.S % p.C;
        float inv = invStd[c];
        float k = gamma[c] * inv;
        float g = BatchNormActivationMath.Gate((BatchNormActivation)p.Activation, y[index], dy[index], p.Alpha);
        if (p.BatchStatistics == 0)
        {
            dx[index] = g * k;
            return;
        }
        float meanG = (float)coefficients[c];
        float meanGXhat = (float)coefficients[p.C + c];
        float xhat = (x[index] - mean[c]) * inv;
        dx[index] = k * (g - meanG - xhat * meanGXhat);
    }
}
