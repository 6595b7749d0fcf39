using Gan3D.Nn;
using Gan3D.Tensors;

namespace Gan3D.Bench;

/// <summary>
/// The l-GAN's networks (<see cref="LatentGanStudy"/>): linear layers with leaky ReLUs (slope 0.2) between them,
/// none after the last. A D of one output also gives its input gradient as a graph in its weights, for R1 and WGAN-GP.
/// </summary>
internal sealed class CodeMlp : Module
{
    public const float Slope = 0.2f;

    private readonly List<Linear> _layers = [];

    public CodeMlp(int[] sizes, IBackend backend, Rng rng)
        : base(backend)
    {
        for (int i = 0; i + 1 < sizes.Length; i++)
        {
            _layers.Add(RegisterModule($"fc{i + 1}", new Linear(sizes[i], sizes[i + 1], backend: backend, rng: rng)));
        }
    }

    public override Tensor Forward(Tensor input)
    {
        var x = input;
        for (int i = 0; i < _layers.Count; i++)
        {
            x = _layers[i].Forward(x);
            if (i + 1 < _layers.Count)
            {
                x = Ops.LeakyRelu(x, Slope);
            }
        }
        return x;
    }

    /// <summary>The logits (N, 1) and ∇ₓ Σ logits (N, in) as a graph in the weights (one output only).</summary>
    public (Tensor Logits, Tensor InputGradient) ForwardWithInputGradient(Tensor input)
    {
        var last = _layers[^1];
        if (last.Weight.Shape[0] != 1)
        {
            throw new InvalidOperationException($"CodeMlp: the input gradient is of a single output, not {last.Weight.Shape[0]}");
        }
        var activations = new List<Tensor>();
        var x = input;
        for (int i = 0; i + 1 < _layers.Count; i++)
        {
            x = Ops.LeakyRelu(_layers[i].Forward(x), Slope);
            activations.Add(x);
        }
        var y = last.Forward(x);
        var grad = Ops.MatMul(Tensor.Ones(new Shape(input.Shape[0], 1), Backend), last.Weight);
        for (int i = _layers.Count - 2; i >= 0; i--)
        {
            grad = Ops.MatMul(Ops.LeakyReluBackward(grad, activations[i], Slope), _layers[i].Weight);
        }
        return (y, grad);
    }
}
