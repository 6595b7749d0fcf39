using System.Diagnostics;
using Gan3D.Data;
using Gan3D.Nn;
using Gan3D.Tensors;

namespace Gan3D.Models;

/// <summary>The layers <c>gan3d profile --layer</c> can check and time.</summary>
public enum ProfiledLayerKind
{
    Conv3d,
    ConvTranspose3d,
    BatchNorm3d,
}

/// <summary>One volumetric layer to profile: its kind, input shape (N, C, D, H, W) and geometry.</summary>
public sealed record LayerSpec(
    ProfiledLayerKind Kind,
    int[] Input,
    int OutChannels = 0,
    Dim3 Kernel = default,
    Dim3 Stride = default,
    Dim3 Padding = default,
    Dim3 OutputPadding = default,
    bool Bias = false);

/// <summary>
/// Timings of one layer: medians after warm-up, forward and backward (all input and weight gradients);
/// for a convolution in a model profile, the CUDA launches of its kernels (<see cref="ConvLaunches"/>).
/// </summary>
public sealed record LayerProfile(
    string Name,
    Shape Input,
    Shape Output,
    double ForwardMs,
    double BackwardMs,
    long ForwardFlops,
    long BackwardFlops,
    long PeakBytes,
    IReadOnlyList<LayerLaunch>? Launches = null)
{
    public double ForwardGflops => ForwardMs > 0 ? ForwardFlops / (ForwardMs * 1e6) : 0;

    public double BackwardGflops => BackwardMs > 0 ? BackwardFlops / (BackwardMs * 1e6) : 0;

    /// <summary>Forward plus backward FLOPs over forward plus backward time.</summary>
    public double Gflops => ForwardMs + BackwardMs > 0 ? (ForwardFlops + BackwardFlops) / ((ForwardMs + BackwardMs) * 1e6) : 0;
}

/// <summary>
/// Runs one layer forward and backward on a backend with inputs drawn from a seed, times it, and can
/// dump every tensor as NumPy files so that any other implementation can be compared with it.
/// </summary>
public static class LayerProfiler
{
    /// <summary>
    /// The largest tensor a profile may allocate (2 GiB): far above any layer of the paper's networks
    /// at a sane batch, and below the size where an allocation would take the machine's memory.
    /// </summary>
    public const long MaxTensorBytes = 2L << 30;

    public static LayerProfile ProfileLayer(LayerSpec spec, IBackend backend, ulong seed = 0, int repeat = 5, string? dumpDirectory = null,
        double warmUpSeconds = 1)
    {
        CheckSizes(spec);
        var rng = new Rng(seed);
        var inShape = new Shape(spec.Input);
        var x = rng.Uniform(inShape, backend, -1f, 1f).Persist();
        x.RequiresGrad = true;
        Module layer = spec.Kind switch
        {
            ProfiledLayerKind.Conv3d => new Conv3d(spec.Input[1], Positive(spec.OutChannels), spec.Kernel, spec.Stride, spec.Padding, spec.Bias, backend, rng),
            ProfiledLayerKind.ConvTranspose3d => new ConvTranspose3d(spec.Input[1], Positive(spec.OutChannels), spec.Kernel, spec.Stride, spec.Padding, spec.OutputPadding, spec.Bias, backend, rng),
            _ => new BatchNorm3d(spec.Input[1], backend: backend),
        };
        if (layer is BatchNorm3d bn)
        {
            // Non-trivial scale and shift so that a dump checks them too.
            rng.FillUniform(bn.Weight, 0.5f, 1.5f);
            rng.FillUniform(bn.Bias, -0.5f, 0.5f);
        }
        var dumped = new Dictionary<string, Tensor>();
        if (dumpDirectory is not null)
        {
            foreach (var (name, t) in layer.StateDict())
            {
                if (!name.StartsWith("running", StringComparison.Ordinal))
                {
                    dumped[name] = t.To(CpuBackend.Default).Persist();
                }
            }
        }
        // One forward/backward whose results are kept for the dump (and which warms up kernels and the pool).
        Shape outShape;
        Tensor gradOut;
        using (MemoryScope.Begin())
        {
            var y = layer.Forward(x);
            outShape = y.Shape;
            gradOut = rng.Normal(outShape, backend).Persist();
            y.Backward(gradOut);
            if (dumpDirectory is not null)
            {
                dumped["input"] = x;
                dumped["grad_output"] = gradOut;
                dumped["output"] = y.To(CpuBackend.Default).Persist();
                dumped["grad_input"] = x.Grad!;
                foreach (var p in layer.NamedParameters())
                {
                    dumped["grad_" + p.Name] = p.Value.Grad!;
                }
                if (layer is BatchNorm3d b)
                {
                    dumped["running_mean"] = b.RunningMean;
                    dumped["running_var"] = b.RunningVar;
                }
                Dump(dumpDirectory, dumped);
            }
        }
        var times = TimeForwardBackward(layer, x, gradOut, backend, repeat, warmUpSeconds, out long peak);
        long fwdFlops = LayerFlops(layer, inShape, outShape);
        var profile = new LayerProfile(spec.Kind.ToString(), inShape, outShape, times.Forward, times.Backward,
            fwdFlops, 2 * fwdFlops, peak);
        layer.Dispose();
        x.Grad?.Dispose();
        x.Dispose();
        gradOut.Dispose();
        return profile;
    }

    /// <summary>
    /// Checks the input, weight and output shapes a spec implies (with 64-bit arithmetic) before
    /// anything is allocated: every extent positive, every tensor within <see cref="MaxTensorBytes"/>.
    /// </summary>
    public static void CheckSizes(LayerSpec spec)
    {
        if (spec.Input.Length != 5 || spec.Input.Any(d => d < 1))
        {
            throw new ArgumentException($"the input must be N,C,D,H,W (5 positive numbers), got {string.Join(",", spec.Input)}");
        }
        Check("input", spec.Input.Select(d => (long)d).ToArray());
        if (spec.Kind == ProfiledLayerKind.BatchNorm3d)
        {
            return;
        }
        long outC = Positive(spec.OutChannels);
        var (k, s, p, op) = (spec.Kernel, spec.Stride, spec.Padding, spec.OutputPadding);
        if (k.D < 1 || k.H < 1 || k.W < 1 || s.D < 1 || s.H < 1 || s.W < 1)
        {
            throw new ArgumentException($"kernel {Show(k)} and stride {Show(s)} must be positive");
        }
        bool transposed = spec.Kind == ProfiledLayerKind.ConvTranspose3d;
        Check("weight", transposed ? [spec.Input[1], outC, k.D, k.H, k.W] : [outC, spec.Input[1], k.D, k.H, k.W]);
        long Extent(int input, int kernel, int stride, int pad, int outPad) => transposed
            ? (input - 1L) * stride - 2L * pad + kernel + outPad
            : (input + 2L * pad - kernel) / stride + 1;
        long[] output = [spec.Input[0], outC,
            Extent(spec.Input[2], k.D, s.D, p.D, op.D), Extent(spec.Input[3], k.H, s.H, p.H, op.H), Extent(spec.Input[4], k.W, s.W, p.W, op.W)];
        if (output[2..].Any(d => d < 1))
        {
            throw new ArgumentException($"the output would be {string.Join("x", output)}: the kernel {Show(k)} with padding {Show(p)} does not fit the input {string.Join("x", spec.Input)}");
        }
        Check("output", output);
    }

    private static string Show(Dim3 d) => $"{d.D},{d.H},{d.W}";

    private static void Check(string what, long[] shape)
    {
        long floats = 1;
        foreach (long d in shape)
        {
            // The running product stays below 2^29 floats (the limit) and each extent is checked
            // against the limit first, so no product overflows.
            floats = d > MaxTensorBytes ? long.MaxValue : floats * d;
            if (floats > MaxTensorBytes / sizeof(float))
            {
                throw new ArgumentException($"the {what} {string.Join("x", shape)} would take more than {MaxTensorBytes >> 30} GiB ({MaxTensorBytes} bytes), the most a profiled tensor may take");
            }
        }
    }

    private static int Positive(int outChannels) => outChannels > 0
        ? outChannels
        : throw new ArgumentException("--out-channels must be given (a positive number) for convolutions");

    /// <summary>2·MACs of a convolution layer (a transposed one counted as its adjoint); 0 for other layers.</summary>
    public static long LayerFlops(Module layer, Shape input, Shape output) => layer switch
    {
        Conv3d c => 2 * output.Numel * c.Weight.Shape.SizeFrom(1),
        ConvTranspose3d t => 2 * input.Numel * t.Weight.Shape.SizeFrom(1),
        _ => 0,
    };

    /// <summary>
    /// Median forward time and median backward time (forward+backward minus forward, as the PyTorch peer
    /// measures it), after a warm-up (<see cref="SteadyState.WarmUp(Action, double)"/>), each repetition in its own memory scope.
    /// </summary>
    internal static (double Forward, double Backward) TimeForwardBackward(Module layer, Tensor x, Tensor gradOut, IBackend backend,
        int repeat, double warmUpSeconds, out long peakBytes)
    {
        repeat = Math.Max(repeat, 1);
        var fwd = new double[repeat];
        var total = new double[repeat];
        backend.Pool.ResetPeak();
        int i = -1; // the warm-up's calls record nothing
        void Repetition()
        {
            using (MemoryScope.Begin())
            {
                backend.Synchronize();
                var sw = Stopwatch.StartNew();
                layer.Forward(x);
                backend.Synchronize();
                if (i >= 0)
                {
                    fwd[i] = sw.Elapsed.TotalMilliseconds;
                }
            }
            using (MemoryScope.Begin())
            {
                layer.ZeroGrad();
                x.ZeroGrad();
                backend.Synchronize();
                var sw = Stopwatch.StartNew();
                layer.Forward(x).Backward(gradOut);
                backend.Synchronize();
                if (i >= 0)
                {
                    total[i] = sw.Elapsed.TotalMilliseconds;
                }
            }
        }
        SteadyState.WarmUp(Repetition, warmUpSeconds);
        for (i = 0; i < repeat; i++)
        {
            Repetition();
        }
        peakBytes = backend.Pool.PeakInUseBytes;
        double f = Median(fwd);
        return (f, Math.Max(Median(total) - f, 0));
    }

    internal static double Median(double[] values)
    {
        var s = (double[])values.Clone();
        Array.Sort(s);
        int n = s.Length;
        return n % 2 == 1 ? s[n / 2] : 0.5 * (s[n / 2 - 1] + s[n / 2]);
    }

    private static void Dump(string directory, Dictionary<string, Tensor> tensors)
    {
        Directory.CreateDirectory(directory);
        foreach (var (name, t) in tensors)
        {
            NpyFile.WriteFloat32(Path.Combine(directory, name + ".npy"), t.Shape.ToArray(), t.ToArray());
        }
    }
}
