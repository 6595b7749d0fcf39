using Gan3D.Nn;
using Gan3D.Tensors;

namespace Gan3D.Models;

/// <summary>
/// The shape of the 3D-VAE-GAN image encoder: square input images of <paramref name="ImageSize"/>
/// pixels a side (a power of two, 16..256) with 1 (grey) or 3 (RGB) channels, a width multiplier for
/// the convolution channels, and the latent size (G's).
/// </summary>
/// <param name="ImageSize">Input side in pixels (default 64).</param>
/// <param name="Channels">1 for greyscale, 3 for RGB.</param>
/// <param name="Width">Channel width multiplier (1: 64-128-256-512).</param>
/// <param name="LatentDim">Size of z (G's latent size).</param>
public sealed record EncoderArchitecture(int ImageSize = 64, int Channels = 1, double Width = 1.0, int LatentDim = 200)
{
    /// <summary>Whether the encoder takes RGB images.</summary>
    public bool Rgb => Channels == 3;

    /// <summary>Channels of the stride-2 convolutions, finest first: 64, 128, 256, 512 (capped) times the width, until 4×4 is reached.</summary>
    public int[] ConvChannels
    {
        get
        {
            int stages = System.Numerics.BitOperations.Log2((uint)ImageSize) - 2;
            return Enumerable.Range(0, stages).Select(i => Math.Max(1, (int)Math.Round(Math.Min(512, 64 << i) * Width))).ToArray();
        }
    }

    /// <summary>Throws a clear error for a size, channel count, width or latent size the encoder cannot have.</summary>
    public void Validate()
    {
        if (ImageSize < 16 || ImageSize > 256 || (ImageSize & (ImageSize - 1)) != 0)
        {
            throw new ArgumentException($"encoder image size {ImageSize} must be a power of two in 16..256");
        }
        if (Channels is not (1 or 3))
        {
            throw new ArgumentException($"encoder images have 1 (grey) or 3 (RGB) channels, not {Channels}");
        }
        if (!(Width > 0) || Width > 4)
        {
            throw new ArgumentException($"encoder width multiplier {Width} must be in (0, 4]");
        }
        if (LatentDim <= 0 || LatentDim > 4096)
        {
            throw new ArgumentException($"latent size {LatentDim} must be in 1..4096");
        }
    }

    /// <inheritdoc/>
    public override string ToString() =>
        $"{ImageSize}×{ImageSize} {(Rgb ? "RGB" : "grey")}, width {Width.ToString(System.Globalization.CultureInfo.InvariantCulture)}, z {LatentDim}";
}

/// <summary>
/// The 3D-VAE-GAN image encoder E: images (N, C, S, S) → the mean μ and log-variance log σ² (each
/// (N, Z)) of q(z | image). 2D convolutions with kernel 4, stride 2, padding 1 halve the image down
/// to 4×4, each followed by batch norm and ReLU; two linear heads read μ and log σ² from the
/// flattened 4×4 features. <see cref="Reparameterize"/> draws z = μ + σ·ε so gradients reach μ and σ.
/// </summary>
public sealed class ImageEncoder : Module
{
    private readonly List<(Conv2d Conv, BatchNorm2d Norm)> _stages = new();
    private readonly Linear _mu;
    private readonly Linear _logVar;

    /// <summary>Builds the encoder with weights drawn from <paramref name="rng"/> (the GAN initialisation).</summary>
    public ImageEncoder(EncoderArchitecture architecture, IBackend backend, Rng rng)
        : base(backend)
    {
        architecture.Validate();
        Architecture = architecture;
        int inC = architecture.Channels;
        var channels = architecture.ConvChannels;
        for (int i = 0; i < channels.Length; i++)
        {
            var conv = RegisterModule($"stages.{i}.conv", new Conv2d(inC, channels[i], 4, 2, 1, bias: false, backend: backend, rng: rng));
            var norm = RegisterModule($"stages.{i}.norm", new BatchNorm2d(channels[i], backend: backend));
            _stages.Add((conv, norm));
            inC = channels[i];
        }
        int features = inC * 4 * 4;
        _mu = RegisterModule("mu", new Linear(features, architecture.LatentDim, backend: backend, rng: rng));
        _logVar = RegisterModule("logvar", new Linear(features, architecture.LatentDim, backend: backend, rng: rng));
        GanInit.Apply(this, rng);
    }

    /// <summary>The encoder's shape.</summary>
    public EncoderArchitecture Architecture { get; }

    /// <summary>
    /// The convolution and linear weights the constructor makes for <paramref name="architecture"/>, by
    /// state-dict name (see <see cref="Generator3D.ConvWeightShapes"/> for why).
    /// </summary>
    public static IEnumerable<(string Name, Shape Shape)> WeightShapes(EncoderArchitecture architecture)
    {
        var channels = architecture.ConvChannels;
        int inC = architecture.Channels;
        for (int i = 0; i < channels.Length; i++)
        {
            // Conv2d runs as a depth-1 Conv3d named "conv" inside it: weight (out, in, 1, 4, 4).
            yield return ($"stages.{i}.conv.conv.weight", new Shape(channels[i], inC, 1, 4, 4));
            inC = channels[i];
        }
        yield return ("mu.weight", new Shape(architecture.LatentDim, inC * 4 * 4));
        yield return ("logvar.weight", new Shape(architecture.LatentDim, inC * 4 * 4));
    }

    /// <summary>μ (N, Z): the encoder's point estimate of an image's code (what reconstruction decodes).</summary>
    public override Tensor Forward(Tensor input) => Encode(input).Mu;

    /// <summary>μ and log σ² of q(z | image), each (N, Z), for images (N, C, S, S).</summary>
    public (Tensor Mu, Tensor LogVar) Encode(Tensor images)
    {
        int s = Architecture.ImageSize;
        if (images.Rank != 4 || images.Shape[1] != Architecture.Channels || images.Shape[2] != s || images.Shape[3] != s)
        {
            throw new ArgumentException($"ImageEncoder: expected images (N, {Architecture.Channels}, {s}, {s}), got {images.Shape}");
        }
        var x = images;
        foreach (var (conv, norm) in _stages)
        {
            x = norm.ForwardRelu(conv.Forward(x));
        }
        var flat = Ops.Flatten(x);
        return (_mu.Forward(flat), _logVar.Forward(flat));
    }

    /// <summary>
    /// The reparameterisation trick: z = μ + exp(½ log σ²) ⊙ ε with ε ~ N(0, I) given (no gradient), so
    /// the sample is a differentiable function of μ and log σ².
    /// </summary>
    public static Tensor Reparameterize(Tensor mu, Tensor logVar, Tensor epsilon) =>
        Ops.Add(mu, Ops.Mul(Ops.Exp(Ops.MulScalar(logVar, 0.5f)), epsilon));

    /// <summary>The layers in order (for profiling).</summary>
    public IEnumerable<(string Name, Module Layer)> Layers()
    {
        for (int i = 0; i < _stages.Count; i++)
        {
            yield return ($"conv{i + 1}", _stages[i].Conv);
            yield return ($"bn{i + 1}", _stages[i].Norm);
        }
        yield return ("mu", _mu);
        yield return ("logvar", _logVar);
    }
}
