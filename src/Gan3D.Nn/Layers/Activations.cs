using Gan3D.Tensors;

namespace Gan3D.Nn;

/// <summary>A module with no parameters that applies a function.</summary>
public abstract class Stateless(IBackend? backend) : Module(backend);

public sealed class ReLU(IBackend? backend = null) : Stateless(backend)
{
    public override Tensor Forward(Tensor input) => Ops.Relu(input);
}

public sealed class LeakyReLU(float negativeSlope = 0.01f, IBackend? backend = null) : Stateless(backend)
{
    public float NegativeSlope { get; } = negativeSlope;

    public override Tensor Forward(Tensor input) => Ops.LeakyRelu(input, NegativeSlope);
}

public sealed class Sigmoid(IBackend? backend = null) : Stateless(backend)
{
    public override Tensor Forward(Tensor input) => Ops.Sigmoid(input);
}

public sealed class Tanh(IBackend? backend = null) : Stateless(backend)
{
    public override Tensor Forward(Tensor input) => Ops.Tanh(input);
}

/// <summary>(N, C, D, H, W) → (N, C·D·H·W).</summary>
public sealed class Flatten(int startDim = 1, IBackend? backend = null) : Stateless(backend)
{
    public override Tensor Forward(Tensor input) => Ops.Flatten(input, startDim);
}

public sealed class MaxPool3d(Dim3 kernelSize, Dim3? stride = null, Dim3 padding = default, IBackend? backend = null) : Stateless(backend)
{
    public override Tensor Forward(Tensor input) => Ops.MaxPool3d(input, kernelSize, stride, padding);
}

/// <summary>Applies its children in order; they are named "0", "1", ... as in torch.nn.Sequential.</summary>
public sealed class Sequential : Module
{
    private readonly List<Module> _layers = new();

    public Sequential(IBackend backend, params Module[] layers) : base(backend)
    {
        foreach (var layer in layers)
        {
            Add(layer);
        }
    }

    public Sequential Add(Module layer)
    {
        RegisterModule(_layers.Count.ToString(System.Globalization.CultureInfo.InvariantCulture), layer);
        _layers.Add(layer);
        return this;
    }

    public IReadOnlyList<Module> Layers => _layers;

    public override Tensor Forward(Tensor input)
    {
        var x = input;
        foreach (var layer in _layers)
        {
            x = layer.Forward(x);
        }
        return x;
    }
}
