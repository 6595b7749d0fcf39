using System.Diagnostics;
using Gan3D.Data;
using Gan3D.Nn;
using Gan3D.Tensors;

namespace Gan3D.Models;

/// <summary>A whole model's per-layer profile and, for a GAN, one training iteration.</summary>
public sealed record ModelProfile(
    string Device,
    IReadOnlyList<LayerProfile> Layers,
    double? IterationMs,
    long PeakBytes,
    long PeakProcessBytes,
    int PlanKernelVersion = ModelProfiler.DefaultPlanKernelVersion,
    bool PlanOnly = false,
    IReadOnlyList<double>? IterationSamplesMs = null,
    long PeakReservedBytes = 0)
{
    /// <summary>The convolutions' arithmetic (TF32 launches are marked in their plans too).</summary>
    public ConvPrecision Precision { get; init; }
}

/// <summary>
/// <c>gan3d profile --model g32|d32|g64|d64|gan32|gan64</c>: each layer of G and/or D timed on its own
/// (the layer names match the PyTorch peer, bench/peer/torch_gan.py), and for gan* one whole training
/// iteration exactly as <see cref="GanTrainer"/> runs it (D step on real and fake, G step, Adam).
/// Each convolution also gets the CUDA launch plan of its kernels (<see cref="ConvLaunches"/>), pure
/// arithmetic on the shapes whatever the backend; <c>planOnly</c> skips the timing and gives only that.
/// <c>iterationOnly</c> times only the training iteration, so that the process's peak memory is the
/// iteration's own (bench/compare.sh compares it with the PyTorch process's peak).
/// </summary>
public static class ModelProfiler
{
    public static readonly string[] Models = ["g32", "d32", "g64", "d64", "gan32", "gan64"];

    /// <summary>The kernel version a CUDA device runs by default (<see cref="IBackend.KernelVersion"/>).</summary>
    public const int DefaultPlanKernelVersion = 2;

    /// <summary>
    /// The launch plan to show for <paramref name="backend"/>: on an ILGPU device its own kernel version
    /// where that version has a launch plan (2 or 3); else (the CPU's versions are its own, not the
    /// GPU kernels') the version a CUDA device runs by default.
    /// </summary>
    public static int PlanKernelVersion(IBackend backend) =>
        backend.Kind != DeviceKind.Cpu && backend.KernelVersion is 2 or 3 ? backend.KernelVersion : DefaultPlanKernelVersion;

    public static ModelProfile Profile(string model, int batchSize, double width, IBackend backend, int repeat = 5,
        ulong seed = 0, Action<string>? progress = null, int planKernelVersion = DefaultPlanKernelVersion, bool planOnly = false,
        bool iterationOnly = false, double warmUpSeconds = 1)
    {
        if (planKernelVersion is not (2 or 3))
        {
            throw new ArgumentException($"plan kernel version {planKernelVersion}: launch plans exist for versions 2 and 3");
        }
        if (Array.IndexOf(Models, model) < 0)
        {
            throw new ArgumentException($"unknown model '{model}': use one of {string.Join(", ", Models)}");
        }
        bool gan = model.StartsWith("gan", StringComparison.Ordinal);
        if (iterationOnly && (!gan || planOnly))
        {
            throw new ArgumentException($"the training iteration alone applies to gan32 and gan64 and is timed, not planned (model '{model}')");
        }
        int resolution = model.EndsWith("64", StringComparison.Ordinal) ? 64 : 32;
        var arch = new GanArchitecture(resolution, width);
        arch.Validate();
        if (batchSize < 2)
        {
            throw new ArgumentException($"batch size {batchSize} must be at least 2 (batch norm)");
        }
        // The largest activation of G and D per shape (a stage's channels times its voxels), before allocating.
        int r = arch.Resolution;
        long perShape = (long)r * r * r;
        var gc = arch.GeneratorChannels;
        for (int i = 0; i < gc.Length; i++)
        {
            perShape = Math.Max(perShape, (long)gc[i] * (4L << i) * (4L << i) * (4L << i));
        }
        var dc = arch.DiscriminatorChannels;
        for (int i = 0; i < dc.Length; i++)
        {
            long side = r >> (i + 1);
            perShape = Math.Max(perShape, dc[i] * side * side * side);
        }
        if ((double)batchSize * perShape * sizeof(float) > LayerProfiler.MaxTensorBytes)
        {
            throw new ArgumentException($"batch size {batchSize}: the largest activation of {model} at width {width} would take {(double)batchSize * perShape * sizeof(float) / (1L << 30):F1} GiB, more than the {LayerProfiler.MaxTensorBytes >> 30} GiB a profiled tensor may take");
        }
        var rng = new Rng(seed);
        var layers = new List<LayerProfile>();
        if (model[0] == 'g' && !iterationOnly)
        {
            using var g = new Generator3D(arch, backend, rng);
            var zShape = new Shape(batchSize, arch.LatentDim, 1, 1, 1);
            if (planOnly)
            {
                PlanChain(GeneratorChain(g), zShape, planKernelVersion, layers);
            }
            else
            {
                var z = rng.Uniform(zShape, backend).Persist();
                ProfileChain("G", GeneratorChain(g), z, backend, repeat, warmUpSeconds, rng, layers, progress, planKernelVersion);
                z.Dispose();
            }
        }
        if ((model[0] == 'd' || gan) && !iterationOnly)
        {
            using var d = new Discriminator3D(arch, backend, rng);
            if (planOnly)
            {
                PlanChain(DiscriminatorChain(d), new Shape(batchSize, 1, resolution, resolution, resolution), planKernelVersion, layers);
            }
            else
            {
                var data = ShapeFamilies.CreateMixedDataset(batchSize, resolution, seed: (int)(seed & 0x7FFFFFFF));
                var x = Tensor.Empty(new Shape(batchSize, 1, resolution, resolution, resolution), backend).Persist();
                var host = new float[x.Numel];
                data.FillBatch(Enumerable.Range(0, batchSize).ToArray(), host);
                x.CopyFrom(host);
                ProfileChain("D", DiscriminatorChain(d), x, backend, repeat, warmUpSeconds, rng, layers, progress, planKernelVersion);
                x.Dispose();
            }
        }
        double? iteration = null;
        double[]? samples = null;
        long peak = 0, reserved = 0;
        if (gan && !planOnly)
        {
            progress?.Invoke("training iteration");
            (samples, peak, reserved) = ProfileIteration(arch, batchSize, backend, repeat, warmUpSeconds, seed);
            iteration = LayerProfiler.Median(samples);
        }
        else
        {
            peak = layers.Count == 0 ? 0 : layers.Max(l => l.PeakBytes);
        }
        // The TF32 kernels take over the 64 × 64-tile launches (same grids), so the plans only change their label and group.
        var precision = PlanPrecision(backend);
        var planned = layers.Select(l => l.Launches is null ? l
            : l with { Launches = l.Launches.Select(launch => launch with { Plan = launch.Plan.WithPrecision(precision) }).ToList() }).ToList();
        return new ModelProfile(backend.Name, planned, iteration, peak, Process.GetCurrentProcess().PeakWorkingSet64, planKernelVersion, planOnly, samples, reserved)
        {
            Precision = precision,
        };
    }

    /// <summary>The convolutions' arithmetic on <paramref name="backend"/>: the ILGPU backend's <see cref="IlgpuBackend.Precision"/>, else float32.</summary>
    public static ConvPrecision PlanPrecision(IBackend backend) => backend is IlgpuBackend ilgpu ? ilgpu.Precision : ConvPrecision.Fp32;

    /// <summary>G as (name, layer) in order, each batch norm with its activation (one fused op, as G runs it), as the peer names them.</summary>
    private static List<(string Name, Func<Tensor, Tensor> Forward, Module Params, bool IsConv)> GeneratorChain(Generator3D g)
    {
        var chain = new List<(string, Func<Tensor, Tensor>, Module, bool)>();
        foreach (var (name, layer) in g.Layers())
        {
            if (layer is BatchNorm3d bn)
            {
                chain.Add(($"G.{name}+relu", bn.ForwardRelu, bn, false));
            }
            else
            {
                chain.Add(($"G.{name}", layer.Forward, layer, true));
            }
        }
        chain.Add(("G.sigmoid", Ops.Sigmoid, g, false));
        return chain;
    }

    private static List<(string Name, Func<Tensor, Tensor> Forward, Module Params, bool IsConv)> DiscriminatorChain(Discriminator3D d)
    {
        var chain = new List<(string, Func<Tensor, Tensor>, Module, bool)>();
        var layers = d.Layers().ToList();
        for (int i = 0; i < layers.Count; i++)
        {
            var (name, layer) = layers[i];
            if (layer is BatchNorm3d bn)
            {
                chain.Add(($"D.{name}+lrelu", t => bn.ForwardLeakyRelu(t, Discriminator3D.LeakySlope), bn, false));
                continue;
            }
            chain.Add(($"D.{name}", layer.Forward, layer, true));
            bool lastLayer = i == layers.Count - 1;
            bool normFollows = i + 1 < layers.Count && layers[i + 1].Layer is BatchNorm3d;
            if (!lastLayer && !normFollows)
            {
                chain.Add(($"D.lrelu{name[^1]}", t => Ops.LeakyRelu(t, Discriminator3D.LeakySlope), d, false));
            }
        }
        return chain;
    }

    private static void ProfileChain(string net, List<(string Name, Func<Tensor, Tensor> Forward, Module Params, bool IsConv)> chain,
        Tensor input, IBackend backend, int repeat, double warmUpSeconds, Rng rng, List<LayerProfile> results, Action<string>? progress, int planKernelVersion)
    {
        var x = input;
        bool first = true;
        foreach (var (name, forward, module, isConv) in chain)
        {
            progress?.Invoke(name);
            x.RequiresGrad = !first; // the network input needs no gradient, as in training
            Shape outShape;
            using (MemoryScope.Begin())
            {
                outShape = forward(x).Shape;
            }
            var gradOut = rng.Normal(outShape, backend).Persist();
            var layer = new FunctionLayer(forward, backend);
            var (f, b) = LayerProfiler.TimeForwardBackward(layer, x, gradOut, backend, repeat, warmUpSeconds, out long peak);
            long flops = isConv ? LayerProfiler.LayerFlops(module, x.Shape, outShape) : 0;
            var launches = ConvLaunches.ForLayer(module, x.Shape, inputGradient: !first, planKernelVersion);
            results.Add(new LayerProfile(name, x.Shape, outShape, f, b, flops, first ? flops : 2 * flops, peak, launches));
            Tensor next;
            using (Autograd.NoGrad())
            {
                next = forward(x).Persist();
            }
            module.ZeroGrad();
            if (!ReferenceEquals(x, input))
            {
                x.Grad?.Dispose();
                x.Dispose();
            }
            gradOut.Dispose();
            x = next;
            first = false;
        }
        if (!ReferenceEquals(x, input))
        {
            x.Dispose();
        }
    }

    /// <summary>The chain's shapes and launch plans without running anything (times 0).</summary>
    private static void PlanChain(List<(string Name, Func<Tensor, Tensor> Forward, Module Params, bool IsConv)> chain,
        Shape input, int planKernelVersion, List<LayerProfile> results)
    {
        var shape = input;
        bool first = true;
        foreach (var (name, _, module, isConv) in chain)
        {
            var outShape = isConv ? ConvLaunches.OutputShape(module, shape) : shape;
            long flops = isConv ? LayerProfiler.LayerFlops(module, shape, outShape) : 0;
            var launches = isConv ? ConvLaunches.ForLayer(module, shape, inputGradient: !first, planKernelVersion) : [];
            results.Add(new LayerProfile(name, shape, outShape, 0, 0, flops, first ? flops : 2 * flops, 0, launches));
            shape = outShape;
            first = false;
        }
    }

    /// <summary>Times of <see cref="GanTrainer.TrainStep"/> with D updated every iteration (after a warm-up, <see cref="SteadyState.WarmUp(Action, double)"/>), and the pool's peak.</summary>
    private static (double[] Ms, long Peak, long Reserved) ProfileIteration(GanArchitecture arch, int batchSize, IBackend backend, int repeat, double warmUpSeconds, ulong seed)
    {
        var data = ShapeFamilies.CreateMixedDataset(Math.Max(batchSize, 2), arch.Resolution, seed: (int)(seed & 0x7FFFFFFF));
        var options = new GanTrainingOptions
        {
            Architecture = arch,
            BatchSize = batchSize,
            DAccuracyThreshold = 1f, // the rule off: every iteration does the full work
            Seed = seed,
        };
        using var trainer = new GanTrainer(options, data, backend);
        SteadyState.WarmUp(() =>
        {
            trainer.TrainStep();
            backend.Synchronize();
        }, warmUpSeconds); // kernels loaded, pool filled, code compiled
        backend.Pool.ResetPeak();
        var times = new double[Math.Max(repeat, 1)];
        for (int i = 0; i < times.Length; i++)
        {
            backend.Synchronize();
            var sw = Stopwatch.StartNew();
            trainer.TrainStep();
            backend.Synchronize();
            times[i] = sw.Elapsed.TotalMilliseconds;
        }
        return (times, backend.Pool.PeakInUseBytes, backend.Pool.PeakReservedBytes);
    }

    /// <summary>Wraps a closure over existing modules as a module (no parameters of its own).</summary>
    private sealed class FunctionLayer(Func<Tensor, Tensor> forward, IBackend backend) : Module(backend)
    {
        public override Tensor Forward(Tensor input) => forward(input);
    }
}
