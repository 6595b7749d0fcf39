using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Gan3D.Models;
using Gan3D.Tensors;

namespace Gan3D.Cli.Commands;

/// <summary><c>gan3d profile</c>: check and time one volumetric layer, or every layer of a model and a training iteration.</summary>
internal static class ProfileCommand
{
    public static Command Create()
    {
        var layer = new Option<string?>("--layer") { Description = "One layer: conv3d, convtranspose3d or batchnorm3d" };
        var model = new Option<string?>("--model") { Description = "A whole model: g32, d32, g64, d64, gan32 or gan64 (gan* also times one training iteration)" };
        var input = new Option<string?>("--input") { Description = "--layer: input shape N,C,D,H,W" };
        var outChannels = new Option<int>("--out-channels") { Description = "--layer: output channels of a convolution" };
        var kernel = new Option<string>("--kernel") { Description = "k or kd,kh,kw", DefaultValueFactory = _ => "4" };
        var stride = new Option<string>("--stride") { Description = "s or sd,sh,sw", DefaultValueFactory = _ => "1" };
        var padding = new Option<string>("--padding") { Description = "p or pd,ph,pw", DefaultValueFactory = _ => "0" };
        var outputPadding = new Option<string>("--output-padding") { Description = "convtranspose3d: op or opd,oph,opw", DefaultValueFactory = _ => "0" };
        var bias = new Option<bool>("--bias") { Description = "Give the convolution a bias" };
        var batch = new Option<int>("--batch-size", "-b") { Description = "--model: batch size", DefaultValueFactory = _ => 32 };
        var width = new Option<double>("--width", "-w") { Description = "--model: channel width multiplier", DefaultValueFactory = _ => 1.0 };
        var device = CliDevices.Option();
        var threads = new Option<int>("--threads") { Description = "CPU threads (0 = all cores)", DefaultValueFactory = _ => 0 };
        var seed = new Option<ulong>("--seed", "-s") { Description = "Seed of the inputs, weights and upstream gradient", DefaultValueFactory = _ => 0 };
        var repeat = new Option<int>("--repeat") { Description = "Timed repetitions (the median is reported, after the warm-up)", DefaultValueFactory = _ => 5 };
        var warmUp = new Option<double>("--warm-up")
        {
            Description = "Seconds of untimed calls before timing each layer and the iteration: at least 40 calls and until the JIT has compiled nothing new for 0.25 s (at most 10 times this long), so that the timings are of optimised code; 0 = one call",
            DefaultValueFactory = _ => 1,
        };
        var dump = new Option<string?>("--dump") { Description = "--layer: write input, weight, bias, grad_output, output, grad_input, grad_weight, grad_bias (and running statistics) as .npy files here" };
        var json = new Option<bool>("--json") { Description = "Print JSON instead of a table" };
        var precision = CliDevices.PrecisionOption();
        var kernelVersion = new Option<int>("--kernel-version")
        {
            Description = "Kernel version to time: 1 (naive reference), 2 (tiled) or 3 (ILGPU: convolutions on 8×8 register tiles; CPU: shape-specific convolution paths, the CPU default); 0 = the backend's default",
            DefaultValueFactory = _ => 0,
        };
        var iterationOnly = new Option<bool>("--iteration-only") { Description = "--model gan32|gan64: time only the training iteration (the process's peak memory is then the iteration's)" };
        var planOnly = new Option<bool>("--plan-only") { Description = "--model: only the CUDA launch plan of each convolution (no timing, nothing run)" };
        var planVersion = new Option<int>("--plan-version")
        {
            Description = "--model: kernel version (2 or 3) of the CUDA launch plan; 0 = the ILGPU backend's version, else 2 (CUDA's default)",
            DefaultValueFactory = _ => 0,
        };
        var command = new Command("profile",
            "Check and time a volumetric layer (forward and backward, with GFLOP/s and memory), or every layer of a model.\n" +
            "Example: gan3d profile --layer convtranspose3d --input 8,256,4,4,4 --out-channels 128 --kernel 4 --stride 2 --padding 1 --dump out/\n" +
            "Example: gan3d profile --model gan32 --batch-size 32 --json\n" +
            "Example: gan3d profile --model g64 --batch-size 100 --plan-only")
        {
            layer, model, input, outChannels, kernel, stride, padding, outputPadding, bias, batch, width, device, threads, seed, repeat, warmUp, dump, json, kernelVersion,
            planOnly, planVersion, iterationOnly, precision,
        };
        command.SetAction(parse =>
        {
            var o = parse.InvocationConfiguration.Output;
            string? layerName = parse.GetValue(layer), modelName = parse.GetValue(model);
            if ((layerName is null) == (modelName is null))
            {
                throw new UsageException("give exactly one of --layer and --model");
            }
            int reps = parse.GetValue(repeat);
            if (reps < 1 || reps > 10_000)
            {
                throw new UsageException($"--repeat {reps} must be between 1 and 10000");
            }
            double warmUpSeconds = parse.GetValue(warmUp);
            if (!(warmUpSeconds >= 0 && warmUpSeconds <= 600))
            {
                throw new UsageException($"--warm-up {warmUpSeconds.ToString(CultureInfo.InvariantCulture)} must be between 0 and 600 seconds");
            }
            int requestedPlan = parse.GetValue(planVersion);
            if (requestedPlan is not (0 or 2 or 3))
            {
                throw new UsageException($"--plan-version {requestedPlan}: use 2 or 3 (or 0 for the default)");
            }
            if (layerName is not null && (parse.GetValue(planOnly) || requestedPlan != 0 || parse.GetValue(iterationOnly)))
            {
                throw new UsageException("--plan-only, --plan-version and --iteration-only apply to --model");
            }
            var backend = CliDevices.Create(parse.GetValue(device)!, parse.GetValue(threads));
            SelectKernelVersion(backend, parse.GetValue(kernelVersion));
            CliDevices.ApplyPrecision(backend, parse.GetValue(precision)!);
            int plan = requestedPlan != 0 ? requestedPlan : ModelProfiler.PlanKernelVersion(backend);
            if (layerName is not null)
            {
                var spec = new LayerSpec(
                    ParseKind(layerName),
                    ParseInts("--input", parse.GetValue(input) ?? throw new UsageException("--layer needs --input N,C,D,H,W"), 5),
                    parse.GetValue(outChannels),
                    ParseDim3("--kernel", parse.GetValue(kernel)!),
                    ParseDim3("--stride", parse.GetValue(stride)!),
                    ParseDim3("--padding", parse.GetValue(padding)!),
                    ParseDim3("--output-padding", parse.GetValue(outputPadding)!),
                    parse.GetValue(bias));
                var p = LayerProfiler.ProfileLayer(spec, backend, parse.GetValue(seed), reps, parse.GetValue(dump), warmUpSeconds);
                if (parse.GetValue(json))
                {
                    o.WriteLine(ToJson(new ModelProfile(backend.Name, [p], null, p.PeakBytes, 0)));
                }
                else
                {
                    o.WriteLine($"{p.Name} on {backend.Name}: {p.Input} → {p.Output}");
                    o.WriteLine($"  forward  {p.ForwardMs,9:F3} ms  {p.ForwardGflops,8:F1} GFLOP/s");
                    o.WriteLine($"  backward {p.BackwardMs,9:F3} ms  {p.BackwardGflops,8:F1} GFLOP/s (input and weight gradients)");
                    o.WriteLine($"  peak memory {p.PeakBytes / 1048576.0:F1} MiB (pool, in use)");
                    if (parse.GetValue(dump) is { } d)
                    {
                        o.WriteLine($"  tensors written to {d}");
                    }
                }
                return ExitCodes.Success;
            }
            var profile = ModelProfiler.Profile(modelName!, parse.GetValue(batch), parse.GetValue(width), backend, reps, parse.GetValue(seed),
                parse.GetValue(json) ? null : name => Console.Error.Write($"\rprofiling {name,-24}"), plan, parse.GetValue(planOnly),
                parse.GetValue(iterationOnly), warmUpSeconds);
            if (!parse.GetValue(json))
            {
                Console.Error.Write("\r" + new string(' ', 40) + "\r");
            }
            o.WriteLine(parse.GetValue(json) ? ToJson(profile) : ToTable(profile, modelName!, parse.GetValue(batch), parse.GetValue(width)));
            return ExitCodes.Success;
        });
        return command;
    }

    private static void SelectKernelVersion(IBackend backend, int version)
    {
        if (version == 0)
        {
            return;
        }
        try
        {
            backend.KernelVersion = version;
        }
        catch (Exception e) when (e is ArgumentOutOfRangeException or NotSupportedException)
        {
            throw new UsageException($"--kernel-version {version}: {backend.Name} has versions {string.Join(", ", backend.KernelVersions)}");
        }
    }

    private static ProfiledLayerKind ParseKind(string s) => s.ToLowerInvariant() switch
    {
        "conv3d" => ProfiledLayerKind.Conv3d,
        "convtranspose3d" or "conv_transpose3d" => ProfiledLayerKind.ConvTranspose3d,
        "batchnorm3d" or "batch_norm3d" => ProfiledLayerKind.BatchNorm3d,
        _ => throw new UsageException($"--layer {s}: use conv3d, convtranspose3d or batchnorm3d"),
    };

    internal static int[] ParseInts(string option, string text, int count)
    {
        var parts = text.Split(',', StringSplitOptions.TrimEntries);
        if (parts.Length != count || parts.Any(p => !int.TryParse(p, NumberStyles.None, CultureInfo.InvariantCulture, out int v) || v <= 0))
        {
            throw new UsageException($"{option} {text}: expected {count} positive integers separated by commas");
        }
        return parts.Select(p => int.Parse(p, CultureInfo.InvariantCulture)).ToArray();
    }

    private static Dim3 ParseDim3(string option, string text)
    {
        var parts = text.Split(',', StringSplitOptions.TrimEntries);
        if ((parts.Length != 1 && parts.Length != 3) || parts.Any(p => !int.TryParse(p, NumberStyles.None, CultureInfo.InvariantCulture, out _)))
        {
            throw new UsageException($"{option} {text}: expected n or nd,nh,nw (non-negative integers)");
        }
        var v = parts.Select(p => int.Parse(p, CultureInfo.InvariantCulture)).ToArray();
        return v.Length == 1 ? v[0] : (v[0], v[1], v[2]);
    }

    private static string Shape(Shape s) => string.Join('x', s);

    internal static string ToJson(ModelProfile p)
    {
        var doc = new Dictionary<string, object?>
        {
            ["device"] = p.Device,
            ["layers"] = p.Layers.Select(l => new Dictionary<string, object>
            {
                ["name"] = l.Name,
                ["input"] = Shape(l.Input),
                ["output"] = Shape(l.Output),
                ["forward_ms"] = l.ForwardMs,
                ["backward_ms"] = l.BackwardMs,
                ["gflops"] = l.Gflops,
                ["launches"] = (l.Launches ?? []).Select(LaunchJson).ToList(),
            }).ToList(),
            ["launch_plan"] = PlanLabel(p),
            ["precision"] = p.Precision == ConvPrecision.Tf32 ? "tf32" : "fp32",
            ["plan_only"] = p.PlanOnly,
        };
        if (p.IterationMs is { } it)
        {
            doc["iteration_ms"] = it;
            doc["iteration_samples_ms"] = p.IterationSamplesMs ?? [];
            doc["peak_reserved_bytes"] = p.PeakReservedBytes; // in use plus cached in the pool
        }
        doc["peak_bytes"] = p.PeakBytes;
        doc["peak_process_bytes"] = p.PeakProcessBytes;
        return JsonSerializer.Serialize(doc, new JsonSerializerOptions { WriteIndented = true });
    }

    private static string PlanLabel(ModelProfile p) =>
        p.Precision == ConvPrecision.Tf32 ? $"CUDA plan, kernel v{p.PlanKernelVersion}, TF32 tensor cores" : $"CUDA plan, kernel v{p.PlanKernelVersion}";

    private static Dictionary<string, object> LaunchJson(LayerLaunch l) => new()
    {
        ["role"] = l.Role,
        ["kernel"] = l.Plan.KernelName,
        ["grid"] = new long[] { l.Plan.GridX, l.Plan.GridY, l.Plan.GridZ },
        ["group"] = l.Plan.GroupSize,
        ["precision"] = l.Plan.Precision == ConvPrecision.Tf32 ? "tf32" : "fp32",
        ["split_k"] = l.Plan.SplitK,
        ["executed_flops"] = l.Plan.ExecutedFlops,
        ["useful_flops"] = l.Plan.UsefulFlops,
        ["nominal_flops"] = l.Plan.NominalFlops,
        ["exec_per_useful"] = l.Plan.Waste,
        ["exec_per_nominal"] = l.Plan.WasteOverNominal,
    };

    /// <summary>One line a launch, under its layer's row.</summary>
    private static void AppendLaunches(System.Text.StringBuilder sb, LayerProfile l)
    {
        foreach (var launch in l.Launches ?? [])
        {
            var plan = launch.Plan;
            string shape = $"{plan.GridText} × {plan.GroupSize}";
            sb.AppendLine(CultureInfo.InvariantCulture,
                $"  {launch.Role,-12} {plan.KernelName,-17} {shape,-22} {plan.SplitK,7} {plan.Waste,11:F2} {plan.WasteOverNominal,12:F2}");
        }
    }

    private static string ToTable(ModelProfile p, string model, int batch, double width)
    {
        if (p.PlanOnly)
        {
            var plan = new System.Text.StringBuilder();
            plan.AppendLine(CultureInfo.InvariantCulture, $"{model}, batch {batch}, width {width}: {PlanLabel(p)} (nothing run)");
            plan.AppendLine(CultureInfo.InvariantCulture, $"  {"pass",-12} {"kernel",-17} {"launch (grid × group)",-22} {"split-K",7} {"exec/useful",11} {"exec/nominal",12}");
            foreach (var l in p.Layers.Where(l => l.Launches is { Count: > 0 }))
            {
                plan.AppendLine(CultureInfo.InvariantCulture, $"{l.Name,-16} {Shape(l.Input)} → {Shape(l.Output)}");
                AppendLaunches(plan, l);
            }
            return plan.ToString().TrimEnd();
        }
        double total = p.Layers.Sum(l => l.ForwardMs + l.BackwardMs);
        var sb = new System.Text.StringBuilder();
        sb.AppendLine(CultureInfo.InvariantCulture, $"{model}, batch {batch}, width {width} on {p.Device} (medians after warm-up)");
        if (p.Layers.Count > 0)
        {
            AppendLayers(sb, p, total);
        }
        if (p.IterationMs is { } it)
        {
            sb.AppendLine(CultureInfo.InvariantCulture, $"training iteration (D step on real + fake, G step, Adam): {it:F1} ms, peak memory {p.PeakBytes / 1048576.0:F0} MiB (pool), process peak {p.PeakProcessBytes / 1048576.0:F0} MiB");
        }
        return sb.ToString().TrimEnd();
    }

    private static void AppendLayers(System.Text.StringBuilder sb, ModelProfile p, double total)
    {
        sb.AppendLine(CultureInfo.InvariantCulture, $"{"layer",-16} {"input → output",-34} {"fwd ms",9} {"bwd ms",9} {"GFLOP/s",8} {"share",6}");
        sb.AppendLine(CultureInfo.InvariantCulture, $"  {"pass",-12} {"kernel",-17} {"launch (grid × group)",-22} {"split-K",7} {"exec/useful",11} {"exec/nominal",12}   ({PlanLabel(p)})");
        foreach (var l in p.Layers)
        {
            string io = $"{Shape(l.Input)} → {Shape(l.Output)}";
            sb.AppendLine(CultureInfo.InvariantCulture,
                $"{l.Name,-16} {io,-34} {l.ForwardMs,9:F2} {l.BackwardMs,9:F2} {(l.ForwardFlops > 0 ? l.Gflops.ToString("F1", CultureInfo.InvariantCulture) : "-"),8} {(l.ForwardMs + l.BackwardMs) / total,6:P0}");
            AppendLaunches(sb, l);
        }
        sb.AppendLine(CultureInfo.InvariantCulture, $"{"sum of layers",-51} {total,19:F2} ms");
    }
}
