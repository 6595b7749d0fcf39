using Gan3D.Tensors;

namespace Gan3D.Nn;

/// <summary>
/// 3D convolution over (N, C, D, H, W), as torch.nn.Conv3d. Weight (out, in, kD, kH, kW). With
/// <c>spectralNorm</c> the convolution uses W/σ(W), as torch.nn.utils.spectral_norm(conv): σ is
/// estimated by one power iteration per forward in training mode, from the vectors kept as the buffers
/// "weight_u" (out) and "weight_v" (in·kD·kH·kW), saved and restored with the weights; in eval mode the
/// stored vectors are used as they are. "weight" stays the unnormalised W (PyTorch's weight_orig).
/// </summary>
public sealed class Conv3d : Module
{
    private readonly Tensor? _u;
    private readonly Tensor? _v;

    public Conv3d(int inChannels, int outChannels, Dim3 kernelSize, Dim3? stride = null, Dim3 padding = default,
        bool bias = true, IBackend? backend = null, Rng? rng = null, bool spectralNorm = false)
        : base(backend)
    {
        Check.Channels(nameof(Conv3d), inChannels, outChannels);
        KernelSize = kernelSize;
        Stride = stride ?? 1;
        Padding = padding;
        Weight = RegisterParameter("weight", Tensor.Empty(new Shape(outChannels, inChannels, kernelSize.D, kernelSize.H, kernelSize.W), Backend));
        Bias = bias ? RegisterParameter("bias", Tensor.Empty(new Shape(outChannels), Backend)) : null;
        rng ??= Rng.Default;
        Init.PyTorchDefault(Weight, Bias, rng);
        if (spectralNorm)
        {
            // u starts as a random unit vector (as PyTorch's); RefreshSpectralNorm moves it and v onto W's leading pair.
            _u = RegisterBuffer("weight_u", Tensor.Empty(new Shape(outChannels), Backend));
            _v = RegisterBuffer("weight_v", Tensor.Empty(new Shape(checked((int)Weight.Shape.SizeFrom(1))), Backend));
            rng.FillNormal(_u);
            RefreshSpectralNorm();
        }
    }

    /// <summary>Whether the convolution uses its spectrally normalised weight.</summary>
    public bool HasSpectralNorm => _u is not null;

    /// <summary>
    /// Runs <paramref name="iterations"/> power iterations on the current weight (after the weight was
    /// set other than by training: an initialisation or a load of weights without their vectors).
    /// PyTorch's parametrised spectral norm runs 15 when it is attached.
    /// </summary>
    public void RefreshSpectralNorm(int iterations = 15)
    {
        if (_u is null || _v is null)
        {
            throw new InvalidOperationException($"{this}: has no spectral normalisation");
        }
        for (int i = 0; i < iterations; i++)
        {
            Ops.SpectralNormPowerIteration(Weight, _u, _v);
        }
    }

    /// <summary>The weight the convolution uses: W, or W/σ(W) with spectral normalisation (one power iteration first in training mode).</summary>
    public Tensor EffectiveWeight()
    {
        if (_u is null || _v is null)
        {
            return Weight;
        }
        if (Training)
        {
            Ops.SpectralNormPowerIteration(Weight, _u, _v);
        }
        return Ops.SpectralNormalize(Weight, _u, _v);
    }

    public Tensor Weight { get; }

    public Tensor? Bias { get; }

    public Dim3 KernelSize { get; }

    public Dim3 Stride { get; }

    public Dim3 Padding { get; }

    public override Tensor Forward(Tensor input) => Ops.Conv3d(input, EffectiveWeight(), Bias, Stride, Padding);

    public override string ToString() =>
        $"Conv3d({Weight.Shape[1]}, {Weight.Shape[0]}, kernel={KernelSize}, stride={Stride}, padding={Padding}, bias={Bias is not null}{(HasSpectralNorm ? ", spectral_norm" : "")})";
}

/// <summary>
/// 3D transposed convolution, as torch.nn.ConvTranspose3d. Weight (in, out, kD, kH, kW); output extent
/// (d − 1)·stride − 2·padding + kernel + outputPadding.
/// </summary>
public sealed class ConvTranspose3d : Module
{
    public ConvTranspose3d(int inChannels, int outChannels, Dim3 kernelSize, Dim3? stride = null, Dim3 padding = default,
        Dim3 outputPadding = default, bool bias = true, IBackend? backend = null, Rng? rng = null)
        : base(backend)
    {
        Check.Channels(nameof(ConvTranspose3d), inChannels, outChannels);
        KernelSize = kernelSize;
        Stride = stride ?? 1;
        Padding = padding;
        OutputPadding = outputPadding;
        Weight = RegisterParameter("weight", Tensor.Empty(new Shape(inChannels, outChannels, kernelSize.D, kernelSize.H, kernelSize.W), Backend));
        Bias = bias ? RegisterParameter("bias", Tensor.Empty(new Shape(outChannels), Backend)) : null;
        Init.PyTorchDefault(Weight, Bias, rng ?? Rng.Default);
    }

    public Tensor Weight { get; }

    public Tensor? Bias { get; }

    public Dim3 KernelSize { get; }

    public Dim3 Stride { get; }

    public Dim3 Padding { get; }

    public Dim3 OutputPadding { get; }

    public override Tensor Forward(Tensor input) => Ops.ConvTranspose3d(input, Weight, Bias, Stride, Padding, OutputPadding);

    public override string ToString() =>
        $"ConvTranspose3d({Weight.Shape[0]}, {Weight.Shape[1]}, kernel={KernelSize}, stride={Stride}, padding={Padding}, bias={Bias is not null})";
}

/// <summary>2D convolution over (N, C, H, W), run as a depth-1 3D convolution. Weight (out, in, 1, kH, kW).</summary>
public sealed class Conv2d : Module
{
    private readonly Conv3d _conv;

    public Conv2d(int inChannels, int outChannels, (int H, int W) kernelSize, (int H, int W)? stride = null,
        (int H, int W) padding = default, bool bias = true, IBackend? backend = null, Rng? rng = null)
        : base(backend)
    {
        var s = stride ?? (1, 1);
        _conv = RegisterModule("conv", new Conv3d(inChannels, outChannels, (1, kernelSize.H, kernelSize.W),
            (1, s.H, s.W), (0, padding.H, padding.W), bias, Backend, rng));
    }

    public Conv2d(int inChannels, int outChannels, int kernelSize, int stride = 1, int padding = 0, bool bias = true,
        IBackend? backend = null, Rng? rng = null)
        : this(inChannels, outChannels, (kernelSize, kernelSize), (stride, stride), (padding, padding), bias, backend, rng)
    {
    }

    public Tensor Weight => _conv.Weight;

    public Tensor? Bias => _conv.Bias;

    public override Tensor Forward(Tensor input)
    {
        if (input.Rank != 4)
        {
            throw new ArgumentException($"Conv2d: expected an (N, C, H, W) input, got {input.Shape}");
        }
        var x = Ops.Reshape(input, input.Shape[0], input.Shape[1], 1, input.Shape[2], input.Shape[3]);
        var y = _conv.Forward(x);
        return Ops.Reshape(y, y.Shape[0], y.Shape[1], y.Shape[3], y.Shape[4]);
    }
}

internal static class Check
{
    public static void Channels(string layer, int inChannels, int outChannels)
    {
        if (inChannels <= 0 || outChannels <= 0)
        {
            throw new ArgumentException($"{layer}: channel counts must be positive, got in={inChannels}, out={outChannels}");
        }
    }
}
