using Gan3D.Nn;
using Gan3D.Tensors;

namespace Gan3D.Models;

/// <summary>
/// The 3D-GAN generator: z (N, Z) → occupancy probabilities (N, 1, R, R, R). Volumetric transposed
/// convolutions with kernel 4: the first maps 1³ to 4³ (stride 1, no padding), each next one doubles
/// the resolution (stride 2, padding 1); batch norm and ReLU between, sigmoid at the end.
/// Convolutions followed by batch norm have no bias (it would be cancelled by the normalisation).
/// A conditional G (<see cref="GanArchitecture.Classes"/> = K) takes codes (N, Z + K): z followed by a one-hot label.
/// </summary>
public sealed class Generator3D : Module
{
    private readonly List<(ConvTranspose3d Conv, BatchNorm3d? Norm)> _stages = new();

    public Generator3D(GanArchitecture architecture, IBackend backend, Rng rng)
        : base(backend)
    {
        architecture.Validate();
        Architecture = architecture;
        var channels = architecture.GeneratorChannels;
        int inC = architecture.CodeSize;
        for (int i = 0; i < channels.Length; i++)
        {
            bool first = i == 0;
            var conv = new ConvTranspose3d(inC, channels[i], 4, first ? 1 : 2, first ? 0 : 1, bias: false, backend: backend, rng: rng);
            var norm = new BatchNorm3d(channels[i], backend: backend);
            RegisterModule($"stages.{i}.conv", conv);
            RegisterModule($"stages.{i}.norm", norm);
            _stages.Add((conv, norm));
            inC = channels[i];
        }
        var last = new ConvTranspose3d(inC, 1, 4, 2, 1, bias: true, backend: backend, rng: rng);
        RegisterModule($"stages.{channels.Length}.conv", last);
        _stages.Add((last, null));
        GanInit.Apply(this, rng);
    }

    public GanArchitecture Architecture { get; }

    /// <summary>
    /// The convolution weights the constructor makes for <paramref name="architecture"/>, by state-dict
    /// name: (in, out, 4, 4, 4) each. They hold nearly all of G's parameters, so a checkpoint's tensors
    /// can be checked against a configuration before the (possibly huge) model is built.
    /// </summary>
    public static IEnumerable<(string Name, Shape Shape)> ConvWeightShapes(GanArchitecture architecture)
    {
        var channels = architecture.GeneratorChannels;
        int inC = architecture.CodeSize;
        for (int i = 0; i <= channels.Length; i++)
        {
            int outC = i < channels.Length ? channels[i] : 1;
            yield return ($"stages.{i}.conv.weight", new Shape(inC, outC, 4, 4, 4));
            inC = outC;
        }
    }

    /// <summary>Occupancy probabilities for codes (N, <see cref="GanArchitecture.CodeSize"/>): z, and a conditional G's one-hot label.</summary>
    public override Tensor Forward(Tensor input) => Ops.Sigmoid(ForwardLogits(input));

    /// <summary>The pre-sigmoid output (N, 1, R, R, R).</summary>
    public Tensor ForwardLogits(Tensor z)
    {
        if (z.Rank != 2 || z.Shape[1] != Architecture.CodeSize)
        {
            throw new ArgumentException(Architecture.Classes == 0
                ? $"Generator3D: expected latent codes (N, {Architecture.LatentDim}), got {z.Shape}"
                : $"Generator3D: expected codes (N, {Architecture.CodeSize}): z of {Architecture.LatentDim} and a one-hot label of {Architecture.Classes} classes, got {z.Shape}");
        }
        var x = Ops.Reshape(z, z.Shape[0], z.Shape[1], 1, 1, 1);
        foreach (var (conv, norm) in _stages)
        {
            x = conv.Forward(x);
            if (norm is not null)
            {
                x = norm.ForwardRelu(x);
            }
        }
        return x;
    }

    /// <summary>The layers in order (for profiling).</summary>
    public IEnumerable<(string Name, Module Layer)> Layers()
    {
        for (int i = 0; i < _stages.Count; i++)
        {
            yield return ($"convT{i + 1}", _stages[i].Conv);
            if (_stages[i].Norm is { } n)
            {
                yield return ($"bn{i + 1}", n);
            }
        }
    }
}

/// <summary>
/// DCGAN-style initialisation used by both networks: convolution weights N(0, 0.02), batch-norm
/// scale N(1, 0.02) and shift 0, biases 0.
/// </summary>
public static class GanInit
{
    public static void Apply(Module model, Rng rng)
    {
        foreach (var p in model.NamedParameters())
        {
            bool isNorm = p.Name.Contains(".norm.", StringComparison.Ordinal);
            if (p.Name.EndsWith(".bias", StringComparison.Ordinal))
            {
                Init.Constant(p.Value, 0f);
            }
            else if (isNorm)
            {
                Init.Normal(p.Value, rng, 1f, 0.02f);
            }
            else
            {
                Init.Normal(p.Value, rng, 0f, 0.02f);
            }
        }
    }
}
