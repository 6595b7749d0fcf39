using Gan3D.Kernels;
using ILGPU;
using ILGPU.Runtime;

namespace Gan3D.Tensors;

/// <summary>
/// Reductions in two deterministic stages (see <see cref="ReductionKernels"/>): P threads per row write
/// float64 partials to the scratch area, then one thread per row adds them in order. P depends only on
/// the size, so a result is the same on every device and in every run.
/// </summary>
public sealed partial class IlgpuBackend
{
    /// <summary>Work per stage-1 thread below which a smaller P is chosen (fewer, fuller threads).</summary>
    private const int ElementsPerPartial = 256;

    /// <summary>Most partials of a whole-tensor reduction: stage 2 adds them in one thread, serially.</summary>
    private const int MaxPartials = 1024;

    /// <summary>Most partials per channel: stage 2 runs one thread per channel, so fewer suffice.</summary>
    private const int MaxChannelPartials = 256;

    /// <summary>Work per version-2 partial (a group of 256 threads) below which a smaller P is chosen.</summary>
    private const int ElementsPerGroupPartial = GroupReduction.Threads * 8;

    private static int PartialCount(long count, int max) =>
        (int)Math.Clamp((count + ElementsPerPartial - 1) / ElementsPerPartial, 1, max);

    /// <summary>P for the kernels in use: version 2 gives each partial a group, so it needs fewer.</summary>
    private int Partials(long count, int max) => _kernelVersion == 1
        ? PartialCount(count, max)
        : (int)Math.Clamp((count + ElementsPerGroupPartial - 1) / ElementsPerGroupPartial, 1, max);

    /// <summary>A launch of one 256-thread group per (partial, row).</summary>
    private static KernelConfig PartialGrid(int partials, int rows) =>
        new(new Index3D(partials, rows, 1), new Index3D(GroupReduction.Threads, 1, 1));

    public void Sum(Tensor x, Tensor y, float scale)
    {
        var xv = V(x);
        int n = (int)x.Numel;
        int p = Partials(n, MaxPartials);
        var partials = Scratch(p);
        var q = new ReduceParams { Length = n, Partials = p };
        if (_kernelVersion == 1)
        {
            _k.PartialSum(p, xv, partials, q);
        }
        else
        {
            _k.V2!.PartialSum(PartialGrid(p, 1), xv, partials, q);
        }
        _k.FinalizeSum(1, partials, V(y), new FinalizeParams { Partials = p, Multiplier = scale, Divisor = 1 });
    }

    public void BroadcastScalar(Tensor s, Tensor y, float scale)
    {
        if (y.Numel > 0)
        {
            _k.BroadcastScalar((int)y.Numel, V(s), V(y), scale);
        }
    }

    public void ChannelSum(Tensor dy, Tensor db)
    {
        var (n, c, s) = ChannelLayout(dy);
        if (c == 0)
        {
            return;
        }
        int p = Partials((long)n * s, MaxChannelPartials);
        var partials = Scratch((long)c * p);
        var q = new ChannelReduceParams { N = n, C = c, S = s, Partials = p };
        if (_kernelVersion == 1)
        {
            _k.ChannelPartialSum(c * p, V(dy), partials, q);
        }
        else
        {
            _k.V2!.ChannelPartialSum(PartialGrid(p, c), V(dy), partials, q);
        }
        _k.FinalizeSum(c, partials, V(db), new FinalizeParams { Partials = p, Multiplier = 1, Divisor = 1 });
    }

    // ------------------------------------------------------------ batch norm

    public void BatchNormForwardTraining(Tensor x, Tensor gamma, Tensor beta, Tensor y,
        Tensor saveMean, Tensor saveInvStd, Tensor runningMean, Tensor runningVar, float momentum, float eps) =>
        BatchNormActivationForwardTraining(x, gamma, beta, y, saveMean, saveInvStd, runningMean, runningVar, momentum, eps, BatchNormActivation.None, 0f);

    /// <summary>
    /// Batch norm followed by an activation, in one pass over the output with version 2 (y = act(BN(x))).
    /// Version 1 runs the two ops one after the other.
    /// </summary>
    public void BatchNormActivationForwardTraining(Tensor x, Tensor gamma, Tensor beta, Tensor y,
        Tensor saveMean, Tensor saveInvStd, Tensor runningMean, Tensor runningVar, float momentum, float eps,
        BatchNormActivation activation, float alpha)
    {
        var q = BatchNormShape(x, momentum, eps, batchStatistics: true);
        q.Activation = (int)activation;
        q.Alpha = alpha;
        var xv = V(x);
        if (q.C == 0)
        {
            return;
        }
        if (_kernelVersion >= 2)
        {
            // One pass for both sums (shifted, float64), then the statistics, then normalise + activate.
            var stats = Scratch(2L * q.C * q.Partials);
            _k.V2!.BatchNormPartialStatistics(PartialGrid(q.Partials, q.C), xv, stats, q);
            _k.V2!.BatchNormStatistics(q.C, stats, xv, V(saveMean), V(saveInvStd), V(runningMean), V(runningVar), q);
            if (x.Numel > 0)
            {
                _k.V2!.BatchNormActivation((int)x.Numel, xv, V(gamma), V(beta), V(saveMean), V(saveInvStd), V(y), q);
            }
            return;
        }
        var partials = Scratch((long)q.C * q.Partials);
        // Mean, then the squared deviations from it (two passes, as the CPU backend: no cancellation).
        _k.ChannelPartialSum(q.C * q.Partials, xv, partials, new ChannelReduceParams { N = q.N, C = q.C, S = q.S, Partials = q.Partials });
        _k.FinalizeSum(q.C, partials, V(saveMean), new FinalizeParams { Partials = q.Partials, Multiplier = 1, Divisor = (double)q.N * q.S });
        _k.BatchNormPartialSquares(q.C * q.Partials, xv, V(saveMean), partials, q);
        _k.BatchNormStatistics(q.C, partials, V(saveMean), V(saveInvStd), V(runningMean), V(runningVar), q);
        _k.BatchNormNormalize((int)x.Numel, xv, V(gamma), V(beta), V(saveMean), V(saveInvStd), V(y), q);
        if (activation != BatchNormActivation.None)
        {
            Unary(activation == BatchNormActivation.Relu ? UnaryOp.Relu : UnaryOp.LeakyRelu, y, y, alpha);
        }
    }

    public void BatchNormForwardInference(Tensor x, Tensor gamma, Tensor beta,
        Tensor runningMean, Tensor runningVar, Tensor y, float eps)
    {
        var q = BatchNormShape(x, 0f, eps, batchStatistics: false);
        if (x.Numel > 0)
        {
            _k.BatchNormInference((int)x.Numel, V(x), V(gamma), V(beta), V(runningMean), V(runningVar), V(y), q);
        }
    }

    public void BatchNormBackward(Tensor x, Tensor dy, Tensor gamma, Tensor mean, Tensor invStd,
        Tensor dx, Tensor dgamma, Tensor dbeta, bool batchStatistics)
    {
        var q = BatchNormShape(x, 0f, 0f, batchStatistics);
        long cp = (long)q.C * q.Partials;
        // Layout of the scratch area: Σdy partials (C, P), Σdy·(x − mean) partials (C, P), then the
        // two per-channel means the data gradient needs (2, C).
        var scratch = Scratch(2 * cp + 2L * q.C);
        var partials = scratch.SubView(0, 2 * cp);
        var coefficients = scratch.SubView(2 * cp, 2L * q.C);
        var (xv, dyv, meanv, invv) = (V(x), V(dy), V(mean), V(invStd));
        if (_kernelVersion == 1)
        {
            _k.BatchNormPartialBackward((int)cp, xv, dyv, meanv, partials, q);
        }
        else
        {
            _k.V2!.BatchNormPartialBackward(PartialGrid(q.Partials, q.C), xv, dyv, meanv, partials, q);
        }
        _k.BatchNormBackwardReduce(q.C, partials, invv, V(dgamma), V(dbeta), coefficients, q);
        _k.BatchNormBackwardData((int)x.Numel, xv, dyv, V(gamma), meanv, invv, coefficients, V(dx), q);
    }

    /// <summary>
    /// The backward of <see cref="BatchNormActivationForwardTraining"/>: version 2 gates dy by the
    /// activation inside the reduction and the data kernel (g is never stored); version 1 writes the
    /// gated gradient into dx and runs <see cref="BatchNormBackward"/> on it in place.
    /// </summary>
    public void BatchNormActivationBackward(Tensor x, Tensor y, Tensor dy, Tensor gamma, Tensor mean, Tensor invStd,
        Tensor dx, Tensor dgamma, Tensor dbeta, bool batchStatistics, BatchNormActivation activation, float alpha)
    {
        if (_kernelVersion == 1 || activation == BatchNormActivation.None)
        {
            if (activation == BatchNormActivation.None)
            {
                Copy(dy, dx);
            }
            else
            {
                UnaryBackward(activation == BatchNormActivation.Relu ? UnaryOp.Relu : UnaryOp.LeakyRelu, y, dy, dx, alpha);
            }
            BatchNormBackward(x, dx, gamma, mean, invStd, dx, dgamma, dbeta, batchStatistics);
            return;
        }
        var q = BatchNormShape(x, 0f, 0f, batchStatistics);
        q.Activation = (int)activation;
        q.Alpha = alpha;
        long cp = (long)q.C * q.Partials;
        // Scratch as in BatchNormBackward: partials (2, C, P), then the two per-channel means (2, C).
        var scratch = Scratch(2 * cp + 2L * q.C);
        var partials = scratch.SubView(0, 2 * cp);
        var coefficients = scratch.SubView(2 * cp, 2L * q.C);
        var (xv, yv, dyv, meanv, invv) = (V(x), V(y), V(dy), V(mean), V(invStd));
        _k.V2!.BatchNormActivationPartialBackward(PartialGrid(q.Partials, q.C), xv, yv, dyv, meanv, partials, q);
        _k.BatchNormBackwardReduce(q.C, partials, invv, V(dgamma), V(dbeta), coefficients, q);
        if (x.Numel > 0)
        {
            _k.V2!.BatchNormActivationBackwardData((int)x.Numel, xv, yv, dyv, V(gamma), meanv, invv, coefficients, V(dx), q);
        }
    }

    private BatchNormParams BatchNormShape(Tensor x, float momentum, float eps, bool batchStatistics)
    {
        var (n, c, s) = ChannelLayout(x);
        return new BatchNormParams
        {
            N = n,
            C = c,
            S = s,
            Partials = Partials((long)n * s, MaxChannelPartials),
            Momentum = momentum,
            Eps = eps,
            BatchStatistics = batchStatistics ? 1 : 0,
        };
    }

    // ------------------------------------------------------------ losses

    public void BceWithLogits(Tensor logits, Tensor? target, float constantTarget, float positiveWeight, Tensor loss)
    {
        var q = LossShape(logits, target, constantTarget, batch: 1, positiveWeight);
        var partials = Scratch(q.Partials);
        _k.BcePartial(q.Partials, V(logits), TargetView(logits, target), partials, q);
        _k.FinalizeSum(1, partials, V(loss), new FinalizeParams { Partials = q.Partials, Multiplier = 1, Divisor = q.Length });
    }

    public void BceWithLogitsBackward(Tensor logits, Tensor? target, float constantTarget, float positiveWeight, Tensor dLoss, Tensor dx)
    {
        var q = LossShape(logits, target, constantTarget, batch: 1, positiveWeight);
        if (q.Length > 0)
        {
            _k.BceBackward(q.Length, V(logits), TargetView(logits, target), V(dLoss), V(dx), q);
        }
    }

    public void KlStandardNormal(Tensor mu, Tensor logvar, Tensor loss, int batch)
    {
        var q = LossShape(mu, null, 0f, batch);
        var partials = Scratch(q.Partials);
        _k.KlPartial(q.Partials, V(mu), V(logvar), partials, q);
        _k.FinalizeSum(1, partials, V(loss), new FinalizeParams { Partials = q.Partials, Multiplier = -0.5, Divisor = batch });
    }

    public void KlStandardNormalBackward(Tensor mu, Tensor logvar, Tensor dLoss, Tensor dmu, Tensor dlogvar, int batch)
    {
        var q = LossShape(mu, null, 0f, batch);
        if (q.Length > 0)
        {
            _k.KlBackward(q.Length, V(mu), V(logvar), V(dLoss), V(dmu), V(dlogvar), q);
        }
    }

    private static LossParams LossShape(Tensor x, Tensor? target, float constantTarget, int batch, float positiveWeight = 1f)
    {
        CheckSize(x.Numel);
        return new LossParams
        {
            Length = (int)x.Numel,
            Partials = PartialCount(x.Numel, MaxPartials),
            HasTarget = target is null ? 0 : 1,
            ConstantTarget = constantTarget,
            PositiveWeight = positiveWeight,
            Batch = batch,
        };
    }

    /// <summary>The target's view, or (when the target is a constant) any valid view the kernel will not read.</summary>
    private ArrayView<float> TargetView(Tensor logits, Tensor? target) => V(target ?? logits);
}
