using Gan3D.Kernels;

namespace Gan3D.Tensors;

public static partial class Ops
{
    /// <summary>
    /// Batch normalisation over (N, C, ...): per channel, statistics over the batch and every other axis
    /// (BatchNorm1d/2d/3d alike). Training mode normalises with the batch mean and biased variance and
    /// updates the running statistics (momentum, unbiased variance, as PyTorch); eval mode uses the
    /// running statistics.
    /// </summary>
    public static Tensor BatchNorm(Tensor x, Tensor gamma, Tensor beta, Tensor runningMean, Tensor runningVar,
        bool training, float momentum = 0.1f, float eps = 1e-5f) =>
        BatchNormCore("BatchNorm", x, gamma, beta, runningMean, runningVar, training, momentum, eps, fused: false,
            Kernels.BatchNormActivation.None, 0f);

    /// <summary>
    /// act(BatchNorm(x)) as one op (<see cref="IBackend.BatchNormActivationForwardTraining"/>): the same
    /// values, gradients and running statistics as <see cref="BatchNorm"/> followed by
    /// <see cref="Relu"/> or <see cref="LeakyRelu"/> (the unfused path, kept beside it), in two passes
    /// forward and two backward instead of five and four, and without the intermediate tensor.
    /// <paramref name="negativeSlope"/> is LeakyReLU's; ReLU ignores it. Eval mode normalises with the
    /// running statistics and applies the activation in place.
    /// </summary>
    public static Tensor BatchNormActivation(Tensor x, Tensor gamma, Tensor beta, Tensor runningMean, Tensor runningVar,
        bool training, BatchNormActivation activation, float negativeSlope = 0f, float momentum = 0.1f, float eps = 1e-5f)
    {
        bool leaky = activation == Kernels.BatchNormActivation.LeakyRelu;
        if (leaky)
        {
            Check.NegativeSlope("BatchNormActivation", negativeSlope);
        }
        return BatchNormCore("BatchNormActivation", x, gamma, beta, runningMean, runningVar, training, momentum, eps, fused: true,
            activation, leaky ? negativeSlope : 0f);
    }

    /// <summary><see cref="BatchNormActivation"/> with ReLU, for callers above Tensors (which never see kernel enums).</summary>
    public static Tensor BatchNormRelu(Tensor x, Tensor gamma, Tensor beta, Tensor runningMean, Tensor runningVar,
        bool training, float momentum = 0.1f, float eps = 1e-5f) =>
        BatchNormActivation(x, gamma, beta, runningMean, runningVar, training, Kernels.BatchNormActivation.Relu, 0f, momentum, eps);

    /// <summary><see cref="BatchNormActivation"/> with LeakyReLU of slope <paramref name="negativeSlope"/>.</summary>
    public static Tensor BatchNormLeakyRelu(Tensor x, Tensor gamma, Tensor beta, Tensor runningMean, Tensor runningVar,
        bool training, float negativeSlope, float momentum = 0.1f, float eps = 1e-5f) =>
        BatchNormActivation(x, gamma, beta, runningMean, runningVar, training, Kernels.BatchNormActivation.LeakyRelu, negativeSlope, momentum, eps);

    /// <summary>
    /// Both batch-norm ops: <paramref name="fused"/> picks the backend's fused pair (any activation)
    /// or the plain batch norm (version 1, no activation).
    /// </summary>
    private static Tensor BatchNormCore(string op, Tensor x, Tensor gamma, Tensor beta, Tensor runningMean, Tensor runningVar,
        bool training, float momentum, float eps, bool fused, BatchNormActivation activation, float alpha)
    {
        int c = CheckBatchNorm(op, x, gamma, beta, runningMean, runningVar);
        var be = x.Backend;
        bool record = Autograd.IsEnabled && (x.RequiresGrad || gamma.RequiresGrad || beta.RequiresGrad);
        var y = x.EmptyLike();
        var chan = new Shape(c);
        Tensor mean, invStd;
        if (training)
        {
            if (x.Numel / c < 2)
            {
                throw new ArgumentException($"{op}: training needs more than one value per channel, got input {x.Shape}");
            }
            mean = Tensor.Empty(chan, be);
            invStd = Tensor.Empty(chan, be);
            if (fused)
            {
                be.BatchNormActivationForwardTraining(x, gamma, beta, y, mean, invStd, runningMean, runningVar, momentum, eps, activation, alpha);
            }
            else
            {
                be.BatchNormForwardTraining(x, gamma, beta, y, mean, invStd, runningMean, runningVar, momentum, eps);
            }
        }
        else
        {
            be.BatchNormForwardInference(x, gamma, beta, runningMean, runningVar, y, eps);
            if (activation != Kernels.BatchNormActivation.None)
            {
                be.Unary(activation == Kernels.BatchNormActivation.Relu ? UnaryOp.Relu : UnaryOp.LeakyRelu, y, y, alpha);
            }
            if (!record)
            {
                return y;
            }
            // Eval-mode backward treats the running statistics as constants.
            mean = runningMean.EmptyLike();
            be.Copy(runningMean, mean);
            invStd = Tensor.Empty(chan, be);
            be.Unary(UnaryOp.AddScalar, runningVar, invStd, eps);
            be.Unary(UnaryOp.Rsqrt, invStd, invStd, 0f);
        }
        if (!record)
        {
            mean.Dispose();
            invStd.Dispose();
            return y;
        }
        Function function = fused
            ? new BatchNormActivationFunction(y, mean, invStd, training, activation, alpha)
            : new BatchNormFunction(mean, invStd, training);
        return Autograd.Record(y, function, x, gamma, beta);
    }

    /// <summary>Checks the shapes and backends of a batch norm's tensors; returns the channel count.</summary>
    private static int CheckBatchNorm(string op, Tensor x, Tensor gamma, Tensor beta, Tensor runningMean, Tensor runningVar)
    {
        if (x.Rank < 2)
        {
            throw new ArgumentException($"{op}: expected an (N, C, ...) input, got {x.Shape}");
        }
        int c = x.Shape[1];
        foreach (var (t, what) in new[] { (gamma, "weight"), (beta, "bias"), (runningMean, "running mean"), (runningVar, "running var") })
        {
            Check.SameBackend(op, x, t);
            if (t.Rank != 1 || t.Shape[0] != c)
            {
                throw new ArgumentException($"{op}: {what} {t.Shape} does not match the {c} channels of input {x.Shape}");
            }
        }
        return c;
    }

    private sealed class BatchNormActivationFunction(Tensor y, Tensor mean, Tensor invStd, bool training,
        BatchNormActivation activation, float alpha) : Function
    {
        public override string Name => $"BatchNorm+{activation}";

        protected internal override void Backward(Tensor gradOutput)
        {
            var (x, gamma, beta) = (Inputs[0], Inputs[1], Inputs[2]);
            var dx = x.EmptyLike();
            var dgamma = gamma.EmptyLike();
            var dbeta = beta.EmptyLike();
            x.Backend.BatchNormActivationBackward(x, y, gradOutput, gamma, mean, invStd, dx, dgamma, dbeta, training, activation, alpha);
            Accumulate(0, dx);
            Accumulate(1, dgamma);
            Accumulate(2, dbeta);
        }
    }

    private sealed class BatchNormFunction(Tensor mean, Tensor invStd, bool training) : Function
    {
        protected internal override void Backward(Tensor gradOutput)
        {
            var (x, gamma, beta) = (Inputs[0], Inputs[1], Inputs[2]);
            var dx = x.EmptyLike();
            var dgamma = gamma.EmptyLike();
            var dbeta = beta.EmptyLike();
            x.Backend.BatchNormBackward(x, gradOutput, gamma, mean, invStd, dx, dgamma, dbeta, training);
            Accumulate(0, dx);
            Accumulate(1, dgamma);
            Accumulate(2, dbeta);
        }
    }
}
