namespace Gan3D.Tensors;

/// <summary>How a loss reduces its elementwise terms.</summary>
public enum Reduction
{
    /// <summary>Average over all elements (PyTorch's default).</summary>
    Mean,

    /// <summary>Sum over all elements.</summary>
    Sum,
}

public static partial class Ops
{
    /// <summary>
    /// Binary cross entropy computed from logits (never sigmoid-then-log): the mean over all elements of
    /// max(x, 0) − x·t + log(1 + e^−|x|), as torch.nn.BCEWithLogitsLoss. With a
    /// <paramref name="positiveWeight"/> p ≠ 1 the target-1 term is weighted by p, as its pos_weight:
    /// the mean of −[p·t·log σ(x) + (1 − t)·log(1 − σ(x))]; p &gt; 1 makes a missed occupied voxel cost more
    /// than a stray empty one.
    /// </summary>
    public static Tensor BceWithLogits(Tensor logits, Tensor target, float positiveWeight = 1f)
    {
        Check.SameShape("BceWithLogits", logits, target);
        if (!(positiveWeight > 0) || float.IsInfinity(positiveWeight))
        {
            throw new ArgumentException($"BceWithLogits: the positive weight must be finite and positive, got {positiveWeight}");
        }
        return BceWithLogitsCore(logits, target, 0f, positiveWeight);
    }

    /// <summary>BCE-with-logits against the same target for every element (1 for real, 0 for fake).</summary>
    public static Tensor BceWithLogits(Tensor logits, float target) => BceWithLogitsCore(logits, null, target, 1f);

    private static Tensor BceWithLogitsCore(Tensor logits, Tensor? target, float constant, float positiveWeight)
    {
        if (logits.Numel == 0)
        {
            throw new ArgumentException($"BceWithLogits: logits {logits.Shape} are empty");
        }
        var loss = Tensor.Empty(new Shape(), logits.Backend);
        logits.Backend.BceWithLogits(logits, target, constant, positiveWeight, loss);
        var fn = new BceFunction(target, constant, positiveWeight);
        return Autograd.Record(loss, fn, logits);
    }

    /// <summary>
    /// The hinge loss mean(max(0, 1 − sign·x)) over all elements: with <paramref name="sign"/> +1 the
    /// term of logits that should be positive (a discriminator's on real shapes), with −1 of those that
    /// should be negative (on generated ones), as in F.relu(1 − x).mean() and F.relu(1 + x).mean().
    /// Written with the elementwise ops: the logits are one per shape, so fusing would gain nothing.
    /// </summary>
    public static Tensor HingeLoss(Tensor logits, float sign)
    {
        if (sign is not (1f or -1f))
        {
            throw new ArgumentException($"HingeLoss: the sign must be +1 or -1, got {sign}");
        }
        if (logits.Numel == 0)
        {
            throw new ArgumentException($"HingeLoss: logits {logits.Shape} are empty");
        }
        return Mean(Relu(AddScalar(MulScalar(logits, -sign), 1f)));
    }

    /// <summary>
    /// KL(N(μ, σ²) ‖ N(0, I)) from μ and log σ², both (N, Z): −½ Σ (1 + logvar − μ² − e^logvar),
    /// summed over the latent axis and averaged over the batch.
    /// </summary>
    public static Tensor KlDivergenceStandardNormal(Tensor mu, Tensor logvar)
    {
        const string op = "KlDivergence";
        Check.SameShape(op, mu, logvar);
        if (mu.Rank < 1 || mu.Shape[0] == 0)
        {
            throw new ArgumentException($"{op}: expected a non-empty (N, Z) mean, got {mu.Shape}");
        }
        int batch = mu.Shape[0];
        var loss = Tensor.Empty(new Shape(), mu.Backend);
        mu.Backend.KlStandardNormal(mu, logvar, loss, batch);
        return Autograd.Record(loss, new KlFunction(batch), mu, logvar);
    }

    /// <summary>Squared error between input and target, averaged or summed over all elements.</summary>
    public static Tensor MseLoss(Tensor input, Tensor target, Reduction reduction = Reduction.Mean)
    {
        Check.SameShape("MseLoss", input, target);
        var sq = Square(Sub(input, target));
        return reduction == Reduction.Mean ? Mean(sq) : Sum(sq);
    }

    private sealed class BceFunction(Tensor? target, float constant, float positiveWeight) : Function
    {
        public override string Name => "BceWithLogits";

        protected internal override void Backward(Tensor gradOutput)
        {
            var x = Inputs[0];
            var dx = x.EmptyLike();
            x.Backend.BceWithLogitsBackward(x, target, constant, positiveWeight, gradOutput, dx);
            Accumulate(0, dx);
        }
    }

    private sealed class KlFunction(int batch) : Function
    {
        public override string Name => "KlDivergence";

        protected internal override void Backward(Tensor gradOutput)
        {
            var (mu, logvar) = (Inputs[0], Inputs[1]);
            var dmu = mu.EmptyLike();
            var dlogvar = logvar.EmptyLike();
            mu.Backend.KlStandardNormalBackward(mu, logvar, gradOutput, dmu, dlogvar, batch);
            Accumulate(0, dmu);
            Accumulate(1, dlogvar);
        }
    }
}
