namespace Gan3D.Tensors;

/// <summary>
/// One differentiable op on the tape: it knows its inputs and, given the gradient of its output,
/// accumulates the gradients of the inputs that require them (micrograd / tinygrad style).
/// Subclasses keep whatever the backward pass needs (saved tensors, geometry) as fields.
/// </summary>
public abstract class Function
{
    /// <summary>The op's tensor inputs, in order.</summary>
    public Tensor[] Inputs { get; internal set; } = [];

    /// <summary>A short name for error messages and profiles ("Conv3d", "BatchNorm").</summary>
    public virtual string Name => GetType().Name.Replace("Function", "", StringComparison.Ordinal);

    /// <summary>
    /// Whether backward reads this op's own output. An in-place op may overwrite an output only when
    /// its producer says no (a convolution's gradients need its inputs, never its output); the default
    /// is the safe answer.
    /// </summary>
    protected internal virtual bool BackwardReadsOutput => true;

    /// <summary>Computes input gradients from <paramref name="gradOutput"/> and passes each to <see cref="Accumulate"/>.</summary>
    protected internal abstract void Backward(Tensor gradOutput);

    /// <summary>Whether input <paramref name="index"/> wants a gradient.</summary>
    protected bool NeedsGrad(int index) => Inputs[index].RequiresGrad;

    /// <summary>Adds <paramref name="grad"/> into input <paramref name="index"/>'s gradient, taking ownership of it.</summary>
    protected void Accumulate(int index, Tensor grad) => Autograd.AccumulateGrad(Inputs[index], grad);
}
