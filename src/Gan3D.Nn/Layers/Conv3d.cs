using Gan3D.Tensors;

namespace Gan3D.Nn;

/// <summary>3D convolution over (N, C, D, H, W), as torch.nn.Conv3d. Weight (out, in, kD, kH, kW).</summary>
public sealed class Conv3d : Module
{
    public Conv3d(int inChannels, int outChannels, Dim3 kernelSize, Dim3? stride = null, Dim3 padding = default,
        bool bias = true, IBackend? backend = null, Rng? rng = null)
        : base(backend)
    {
        Check.Channels(nameof(Conv3d), inChannels, outChannels);
        KernelSize = kernelSize;
        Stride = stride ?? 1;
        Padding = padding;
        Weight = RegisterParameter("weight", Tensor.Empty(new Shape(outChannels, inChannels, kernelSize.D, kernelSize.H, kernelSize.W), Backend));
        Bias = bias ? RegisterParameter("bias", Tensor.Empty(new Shape(outChannels), Backend)) : null;
        Init.PyTorchDefault(Weight, Bias, rng ?? Rng.Default);
    }

    public Tensor Weight { get; }

    public Tensor? Bias { get; }

    public Dim3 KernelSize { get; }

    public Dim3 Stride { get; }

    public Dim3 Padding { get; }

    public override Tensor Forward(Tensor input) => Ops.Conv3d(input, Weight, Bias, Stride, Padding);

    public override string ToString() =>
        $"Conv3d({Weight.Shape[1]}, {Weight.Shape[0]}, kernel={KernelSize}, stride={Stride}, padding={Padding}, bias={Bias is not null})";
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
