using Gan3D.Nn;
using Gan3D.Tensors;

namespace Gan3D.Models;

/// <summary>
/// The 3D-GAN discriminator: (N, 1, R, R, R) → one logit per shape (N, 1). Volumetric convolutions
/// with kernel 4, stride 2, padding 1 halve the resolution down to 4³; batch norm (not on the first
/// layer) and leaky ReLU (0.2) between; a last convolution (kernel 4, stride 1, no padding) maps 4³ to 1³.
/// <see cref="GanArchitecture.DiscriminatorNorm"/> may replace the batch norms by spectral
/// normalisation of every convolution, or drop them; without batch norm every convolution has a bias.
/// With <see cref="GanArchitecture.MinibatchStd"/> the last convolution also sees the batch's standard
/// deviation as one more channel (so D's logit for a shape depends on the rest of its batch, or of its group of
/// <see cref="GanArchitecture.MinibatchStdGroup"/> shapes).
/// With <see cref="GanArchitecture.DiscriminatorPack"/> = k it judges k consecutive shapes together, stacked as channels
/// (PacGAN): one logit for every k shapes.
/// With <see cref="GanArchitecture.DiscriminatorOutputs"/> = Z the last convolution has Z outputs: the same
/// network is then a latent model's encoder x → z (N, Z).
/// A conditional D (<see cref="GanArchitecture.Classes"/> = K) scores a shape with its one-hot label y (N, K):
/// the logit gains the projection ⟨yE, Σₚ h⟩ (Miyato &amp; Koyama 2018), h the last strided stage's responses
/// (N, C, 4, 4, 4) summed over the positions p, E (K, C) the parameter "projection.weight".
/// </summary>
public sealed class Discriminator3D : Module
{
    private readonly List<(Conv3d Conv, BatchNorm3d? Norm)> _stages = new();
    private readonly Conv3d _final;
    private readonly Tensor? _projection;

    /// <summary>Leaky ReLU slope of the paper.</summary>
    public const float LeakySlope = 0.2f;

    public Discriminator3D(GanArchitecture architecture, IBackend backend, Rng rng)
        : base(backend)
    {
        architecture.Validate();
        Architecture = architecture;
        var channels = architecture.DiscriminatorChannels;
        bool batchNorm = architecture.DiscriminatorNorm == DiscriminatorNorm.Batch;
        bool spectral = architecture.DiscriminatorNorm == DiscriminatorNorm.Spectral;
        int inC = architecture.DiscriminatorPack;
        for (int i = 0; i < channels.Length; i++)
        {
            bool first = i == 0;
            // A bias is cancelled by the batch norm that follows; without one the convolution needs its own.
            var conv = new Conv3d(inC, channels[i], 4, 2, 1, bias: first || !batchNorm, backend: backend, rng: rng, spectralNorm: spectral);
            RegisterModule($"stages.{i}.conv", conv);
            BatchNorm3d? norm = null;
            if (!first && batchNorm)
            {
                norm = RegisterModule($"stages.{i}.norm", new BatchNorm3d(channels[i], backend: backend));
            }
            _stages.Add((conv, norm));
            inC = channels[i];
        }
        int finalIn = architecture.MinibatchStd ? inC + 1 : inC;
        _final = RegisterModule($"stages.{channels.Length}.conv", new Conv3d(finalIn, architecture.DiscriminatorOutputs, 4, 1, 0, bias: true, backend: backend, rng: rng, spectralNorm: spectral));
        if (architecture.Classes > 0)
        {
            _projection = RegisterParameter(ProjectionName, Tensor.Empty(new Shape(architecture.Classes, inC), backend));
        }
        GanInit.Apply(this, rng);
        if (spectral)
        {
            // The vectors followed the constructor's weights; GanInit drew new ones.
            foreach (var conv in _stages.Select(s => s.Conv).Append(_final))
            {
                conv.RefreshSpectralNorm();
            }
        }
    }

    public GanArchitecture Architecture { get; }

    /// <summary>The state-dict name of a conditional D's class embedding E (K, C).</summary>
    public const string ProjectionName = "projection.weight";

    /// <summary>
    /// The convolution weights the constructor makes for <paramref name="architecture"/>, by state-dict
    /// name: (out, in, 4, 4, 4) each (see <see cref="Generator3D.ConvWeightShapes"/> for why), and a conditional D's
    /// projection (K, C).
    /// </summary>
    public static IEnumerable<(string Name, Shape Shape)> ConvWeightShapes(GanArchitecture architecture)
    {
        var channels = architecture.DiscriminatorChannels;
        int inC = architecture.DiscriminatorPack;
        for (int i = 0; i <= channels.Length; i++)
        {
            bool last = i == channels.Length;
            int outC = last ? architecture.DiscriminatorOutputs : channels[i];
            yield return ($"stages.{i}.conv.weight", new Shape(outC, last && architecture.MinibatchStd ? inC + 1 : inC, 4, 4, 4));
            if (last && architecture.Classes > 0)
            {
                yield return (ProjectionName, new Shape(architecture.Classes, inC));
            }
            inC = outC;
        }
    }

    /// <summary>
    /// Logits (N, 1): positive means "real" (an encoder's codes (N, Z) with <see cref="GanArchitecture.DiscriminatorOutputs"/> = Z;
    /// (N / k, 1) for a D that packs k shapes, one logit for each run of k shapes).
    /// </summary>
    public override Tensor Forward(Tensor input) => Forward(input, null);

    /// <summary>
    /// Logits (N, 1) of shapes with their one-hot labels (N, K) for a conditional D (<see cref="GanArchitecture.Classes"/> = K);
    /// null labels for an unconditional one (<see cref="Forward(Tensor)"/>).
    /// </summary>
    public Tensor Forward(Tensor input, Tensor? labels)
    {
        CheckLabels(input, labels);
        var trunk = Trunk(Packed(input), null);
        var x = Architecture.MinibatchStd ? Ops.MinibatchStdDev(trunk, StdEps, Architecture.MinibatchStdGroup) : trunk;
        var y = _final.Forward(x);
        return WithProjection(Ops.Reshape(y, y.Shape[0], y.Shape[1]), trunk, Embeddings(labels));
    }

    /// <summary>A conditional D needs one one-hot row (N, K) per shape; an unconditional one takes none.</summary>
    private void CheckLabels(Tensor input, Tensor? labels)
    {
        int k = Architecture.Classes;
        if (k == 0 && labels is not null)
        {
            throw new ArgumentException("Discriminator3D: labels were given to an unconditional D");
        }
        if (k > 0 && (labels is null || labels.Rank != 2 || labels.Shape[0] != input.Shape[0] || labels.Shape[1] != k))
        {
            throw new ArgumentException($"Discriminator3D: a D conditional on {k} classes needs one-hot labels ({input.Shape[0]}, {k}), got {labels?.Shape.ToString() ?? "none"}");
        }
    }

    /// <summary>
    /// The labels' class embeddings yE (N, C), the gradient of the projection term at each position of the trunk's output;
    /// null without labels.
    /// </summary>
    private Tensor? Embeddings(Tensor? labels) => labels is null ? null : Ops.MatMul(labels, _projection!);

    /// <summary>The logits (N, 1) plus ⟨yE, Σₚ h⟩ for a conditional D (its <see cref="Embeddings"/>); the logits themselves otherwise.</summary>
    private static Tensor WithProjection(Tensor logits, Tensor trunk, Tensor? embeddings)
    {
        if (embeddings is null)
        {
            return logits;
        }
        var be = trunk.Backend;
        int n = trunk.Shape[0], c = trunk.Shape[1], s = checked((int)trunk.Shape.SizeFrom(2));
        var pooled = Ops.Reshape(Ops.MatMul(Ops.Reshape(trunk, n * c, s), Tensor.Ones(new Shape(s, 1), be)), n, c);
        var projection = Ops.MatMul(Ops.Mul(pooled, embeddings), Tensor.Ones(new Shape(c, 1), be));
        return Ops.Add(logits, projection);
    }

    /// <summary>The minibatch standard deviation's eps (<see cref="Ops.MinibatchStdDev"/>), shared by its forward and its written-out gradient.</summary>
    private const float StdEps = 1e-8f;

    /// <summary>
    /// Whether <see cref="ForwardWithInputGradient"/> can form D's input gradient: D must be piecewise linear between
    /// its convolutions, so no batch norm (a minibatch standard deviation channel is written out).
    /// </summary>
    public bool HasInputGradient => Architecture.DiscriminatorNorm != DiscriminatorNorm.Batch;

    /// <summary>
    /// D's logits (as <see cref="Forward(Tensor, Tensor?)"/>) and their gradient with respect to the input, ∇ₓ Σ D(x) (N, 1, R, R, R),
    /// as a differentiable graph in D's weights: the backward pass written forward, each stage's transposed
    /// convolution with the weight the forward used (W/σ under spectral normalisation) and the leaky ReLU's
    /// slopes from the forward's activations (<see cref="Ops.LeakyReluBackward"/>). A penalty on it, such as
    /// R1's Σ‖∇ₓD(x)‖², back-propagates to the weights through ordinary ops: the second derivative of a
    /// network of convolutions and leaky ReLUs, with no second-order autograd. With a minibatch standard deviation
    /// channel every logit depends on every shape of the batch, and the gradient is that of the batch's summed logits
    /// (what PyTorch's autograd.grad(D(x).sum(), x) gives, StyleGAN2's R1): each shape's own path plus the channel's
    /// (<see cref="MinibatchStdInputGradient"/>). Only for a D that is <see cref="HasInputGradient"/> (batch norm's
    /// statistics are not written out).
    /// </summary>
    /// <param name="input">The shapes (N, 1, R, R, R).</param>
    /// <param name="labels">A conditional D's one-hot labels (N, K), whose projection term adds yE at every position of
    /// the trunk's output to the gradient flowing back; null for an unconditional D.</param>
    public (Tensor Logits, Tensor InputGradient) ForwardWithInputGradient(Tensor input, Tensor? labels = null)
    {
        CheckLabels(input, labels);
        if (!HasInputGradient)
        {
            throw new InvalidOperationException(
                "Discriminator3D: the input gradient is formed stage by stage for a D without batch norm (this one has batch norm; use spectral or no normalisation)");
        }
        var weights = new List<Tensor>();
        var inputs = new List<Tensor>();
        var activations = new List<Tensor>();
        var x = Packed(input);
        foreach (var (conv, _) in _stages)
        {
            inputs.Add(x);
            var w = conv.EffectiveWeight();
            weights.Add(w);
            x = Ops.LeakyReluInPlace(Ops.Conv3d(x, w, conv.Bias, conv.Stride, conv.Padding), LeakySlope);
            activations.Add(x);
        }
        var trunk = x;
        if (Architecture.MinibatchStd)
        {
            x = Ops.MinibatchStdDev(trunk, StdEps, Architecture.MinibatchStdGroup);
        }
        var finalWeight = _final.EffectiveWeight();
        var y = Ops.Conv3d(x, finalWeight, _final.Bias, _final.Stride, _final.Padding);

        // Back from ∂ΣD/∂y = 1: a convolution's input gradient is the transposed convolution of its output's
        // gradient with the same weight, padded out to the input's extent.
        var g = Ops.ConvTranspose3d(Tensor.Ones(y.Shape, y.Backend), finalWeight, null, _final.Stride, _final.Padding, FillOut(x, y, _final));
        if (Architecture.MinibatchStd)
        {
            g = MinibatchStdInputGradient(trunk, g, Architecture.MinibatchStdGroup);
        }
        var embeddings = Embeddings(labels);
        if (embeddings is not null)
        {
            // ∂⟨yE, Σₚ h⟩/∂h[n, c, p] = (yE)[n, c] at every position p.
            int n = trunk.Shape[0], c = trunk.Shape[1], s = checked((int)trunk.Shape.SizeFrom(2));
            var spread = Ops.MatMul(Ops.Reshape(embeddings, n * c, 1), Tensor.Ones(new Shape(1, s), trunk.Backend));
            g = Ops.Add(g, Ops.Reshape(spread, trunk.Shape.ToArray()));
        }
        for (int i = _stages.Count - 1; i >= 0; i--)
        {
            g = Ops.LeakyReluBackward(g, activations[i], LeakySlope);
            g = Ops.ConvTranspose3d(g, weights[i], null, _stages[i].Conv.Stride, _stages[i].Conv.Padding, FillOut(inputs[i], activations[i], _stages[i].Conv));
        }
        return (WithProjection(Ops.Reshape(y, y.Shape[0], y.Shape[1]), trunk, embeddings), Ops.Reshape(g, input.Shape.ToArray()));
    }

    /// <summary>
    /// The gradient at the trunk's output t (N, C, 4, 4, 4) from the gradient <paramref name="g"/> (N, C + 1, 4, 4, 4) at
    /// the minibatch standard deviation layer's output, as differentiable ops in t: the first C channels pass through,
    /// and the last one's total G_k over the shapes of group k (m shapes) reaches t through s_k = mean over features f
    /// of σ[k, f], with ∂s_k/∂t[i, f] = (t[i, f] − μ[k, f]) / (m·F·σ[k, f]) for i in group k
    /// (<see cref="Ops.MinibatchStdDev"/>'s own backward, written as a graph; A = <see cref="Ops.GroupAveraging"/>
    /// gives each row its group's mean, and G_k / m).
    /// </summary>
    private static Tensor MinibatchStdInputGradient(Tensor trunk, Tensor g, int group)
    {
        var be = trunk.Backend;
        int n = trunk.Shape[0], c = trunk.Shape[1];
        int f = checked((int)trunk.Shape.SizeFrom(1));
        int s = checked((int)trunk.Shape.SizeFrom(2));
        var direct = Ops.Narrow(g, 1, 0, c);
        var perShape = Ops.MatMul(Ops.Reshape(Ops.Narrow(g, 1, c, 1), n, s), Tensor.Ones(new Shape(s, 1), be));
        var averaging = Ops.GroupAveraging(n, group, be);
        var rows = Ops.Reshape(trunk, n, f);
        var centered = Ops.Sub(rows, Ops.MatMul(averaging, rows));
        var invStd = Ops.Rsqrt(Ops.AddScalar(Ops.MatMul(averaging, Ops.Square(centered)), StdEps));
        var scale = Ops.MatMul(Ops.MatMul(averaging, perShape), Tensor.Full(new Shape(1, f), 1f / f, be));
        var throughStd = Ops.Mul(Ops.Mul(centered, invStd), scale);
        return Ops.Add(direct, Ops.Reshape(throughStd, trunk.Shape.ToArray()));
    }

    /// <summary>The output padding that makes a transposed <paramref name="conv"/> from <paramref name="output"/>'s extent give <paramref name="input"/>'s.</summary>
    private static Dim3 FillOut(Tensor input, Tensor output, Conv3d conv)
    {
        int Extra(int axis, int k, int s, int p) => input.Shape[axis] - ((output.Shape[axis] - 1) * s - 2 * p + k);
        return new Dim3(Extra(2, conv.KernelSize.D, conv.Stride.D, conv.Padding.D), Extra(3, conv.KernelSize.H, conv.Stride.H, conv.Padding.H),
            Extra(4, conv.KernelSize.W, conv.Stride.W, conv.Padding.W));
    }

    /// <summary>
    /// The activations after each strided convolution stage (after batch norm and leaky ReLU), finest first:
    /// the responses the shape descriptor pools.
    /// </summary>
    public IReadOnlyList<Tensor> StageActivations(Tensor input)
    {
        if (Architecture.DiscriminatorPack > 1)
        {
            throw new InvalidOperationException($"Discriminator3D: a D that packs {Architecture.DiscriminatorPack} shapes has no responses of a single shape");
        }
        var outputs = new List<Tensor>();
        Trunk(Packed(input), outputs);
        return outputs;
    }

    private Tensor Trunk(Tensor input, List<Tensor>? outputs)
    {
        var x = input;
        foreach (var (conv, norm) in _stages)
        {
            x = conv.Forward(x);
            // Without batch norm (the first stage, or a D without them) the activation overwrites the
            // convolution's output, which nothing else reads (PyTorch's inplace=True), saving a tensor.
            x = norm is null ? Ops.LeakyReluInPlace(x, LeakySlope) : norm.ForwardLeakyRelu(x, LeakySlope);
            outputs?.Add(x);
        }
        return x;
    }

    /// <summary>
    /// The input checked and, for a D that packs k shapes, read as (N / k, k, R, R, R): consecutive shapes become the
    /// channels of one input (a reshape, no copy).
    /// </summary>
    private Tensor Packed(Tensor input)
    {
        int r = Architecture.Resolution, k = Architecture.DiscriminatorPack;
        if (input.Rank != 5 || input.Shape[1] != 1 || input.Shape[2] != r || input.Shape[3] != r || input.Shape[4] != r)
        {
            throw new ArgumentException($"Discriminator3D: expected voxel grids (N, 1, {r}, {r}, {r}), got {input.Shape}");
        }
        if (input.Shape[0] % k != 0)
        {
            throw new ArgumentException($"Discriminator3D: a D that packs {k} shapes needs a batch that is a multiple of {k}, got {input.Shape[0]}");
        }
        return k == 1 ? input : Ops.Reshape(input, input.Shape[0] / k, k, r, r, r);
    }

    /// <summary>The layers in order (for profiling).</summary>
    public IEnumerable<(string Name, Module Layer)> Layers()
    {
        for (int i = 0; i < _stages.Count; i++)
        {
            yield return ($"conv{i + 1}", _stages[i].Conv);
            if (_stages[i].Norm is { } n)
            {
                yield return ($"bn{i + 1}", n);
            }
        }
        yield return ($"conv{_stages.Count + 1}", _final);
    }
}
