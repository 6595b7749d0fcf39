using Gan3D.Tensors;

namespace Gan3D.Nn;

/// <summary>y = x·Wᵀ + b over (N, in), as torch.nn.Linear. Weight (out, in).</summary>
public sealed class Linear : Module
{
    public Linear(int inFeatures, int outFeatures, bool bias = true, IBackend? backend = null, Rng? rng = null)
        : base(backend)
    {
        Check.Channels(nameof(Linear), inFeatures, outFeatures);
        Weight = RegisterParameter("weight", Tensor.Empty(new Shape(outFeatures, inFeatures), Backend));
        Bias = bias ? RegisterParameter("bias", Tensor.Empty(new Shape(outFeatures), Backend)) : null;
        Init.PyTorchDefault(Weight, Bias, rng ?? Rng.Default);
    }

    public Tensor Weight { get; }

    public Tensor? Bias { get; }

    public override Tensor Forward(Tensor input) => Ops.Linear(input, Weight, Bias);
}
