using Gan3D.Tensors;

namespace Gan3D.Nn;

/// <summary>Binary cross entropy on logits, averaged over elements (torch.nn.BCEWithLogitsLoss).</summary>
public sealed class BceWithLogitsLoss
{
    public Tensor Forward(Tensor logits, Tensor target) => Ops.BceWithLogits(logits, target);

    /// <summary>Every element against the same label: 1 for "real", 0 for "fake".</summary>
    public Tensor Forward(Tensor logits, float target) => Ops.BceWithLogits(logits, target);
}

/// <summary>Mean (or summed) squared error (torch.nn.MSELoss).</summary>
public sealed class MseLoss(Reduction reduction = Reduction.Mean)
{
    public Tensor Forward(Tensor input, Tensor target) => Ops.MseLoss(input, target, reduction);
}

/// <summary>KL(N(μ, σ²) ‖ N(0, I)) from μ and log σ², summed over the latent axis, averaged over the batch.</summary>
public sealed class KlDivergenceLoss
{
    public Tensor Forward(Tensor mu, Tensor logvar) => Ops.KlDivergenceStandardNormal(mu, logvar);
}
