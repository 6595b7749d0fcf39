using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Gan3D.Data;
using Gan3D.Models;
using Gan3D.Tensors;

namespace Gan3D.Cli.Commands;

/// <summary>
/// <c>gan3d train</c>: trains a 3D-GAN and leaves a run directory to look at. Order of work: every
/// option is checked, then the checkpoint to resume (read only), then the run folder's state, then
/// the data; only then is the folder claimed (locked) and written.
/// </summary>
internal static class TrainCommand
{
    public static Command Create()
    {
        var o = new TrainOptions();
        var command = new Command("train",
            "Train a 3D-GAN (Wu et al., NIPS 2016) on voxel shapes, with --model vae-gan a 3D-VAE-GAN whose image encoder learns " +
            "from views of the shapes rendered at random viewpoints, or with --model latent an autoencoder whose samples are decoded " +
            "codes between neighbouring training shapes' codes. The run directory gets config.json, metrics.csv, losses.png, " +
            "samples/step-N.png montages, checkpoint.safetensors, and at the end samples/final.png, meshes/*.obj and report.html (see gan3d report). " +
            "An existing run directory is refused unless --resume continues it or --overwrite replaces it; one process at a time trains in it. " +
            "SIGINT (Ctrl+C) and SIGTERM save a checkpoint and exit with 130 and 143.\n" +
            "Example: gan3d train --preset quick\n" +
            "Example: gan3d train --model vae-gan --preset quick --iterations 2000\n" +
            "Example: gan3d train --model latent --data ../shared/data/voxels/modelnet10/chair-train-32.npy.gz\n" +
            "Example: gan3d train --resume runs/gan-20260101-120000 --iterations 3000\n" +
            "Example: gan3d train --data ../shared/data/voxels/modelnet10/chair-train-32.npy.gz --device cuda --iterations 20000");
        foreach (var option in o.All)
        {
            command.Options.Add(option);
        }
        command.SetAction(parse => Execute(parse, o));
        return command;
    }

    private static int Execute(ParseResult parse, TrainOptions opt)
    {
        var o = parse.InvocationConfiguration.Output;
        var given = TrainOptionChecks.Check(parse, opt);
        TrainingCheckpoint? resume = null;
        if (parse.GetValue(opt.Resume) is { } resumePath)
        {
            resume = TrainingCheckpoint.Open(resumePath);
            TrainResumeChecks.CheckAgainstCheckpoint(parse, opt, given, resume, o);
        }
        bool isVae = resume?.IsVaeGan ?? given.IsVae;
        bool isLatent = resume?.IsLatent ?? given.IsLatent;
        var preset = Preset(parse.GetValue(opt.Preset), given.Backend.Kind);
        var cadence = preset.Session(
            parse.GetValue(opt.Iterations) ?? resume?.Count("iterations", 1) ?? preset.IterationsFor(isVae, isLatent),
            parse.GetValue(opt.SampleEvery) ?? resume?.Count("sample_every", 0),
            parse.GetValue(opt.CheckpointEvery) ?? resume?.Count("checkpoint_every", 0)) with
        {
            Log = line => o.WriteLine("  " + line),
        };
        if (resume is not null && cadence.Iterations < resume.Step)
        {
            throw new UsageException(parse.GetValue(opt.Iterations) is not null
                ? $"--iterations {cadence.Iterations} is below the {resume.Step} iterations {resume.Path} has done: give the new total"
                : $"{resume.Path} has done {resume.Step} iterations, more than the target {cadence.Iterations}: give the new total with --iterations");
        }

        // The run folder, checked before the data is read (claimed, and only then written, once everything is known).
        string runDir = RunDirectory(parse.GetValue(opt.Output), resume, isVae ? "vae-gan-" : isLatent ? "latent-" : "gan-");
        var mode = TrainResumeChecks.FolderMode(runDir, resume, parse.GetValue(opt.Overwrite));

        var backend = given.Backend;
        using var trainer = resume is not null ? TrainResume.Build(parse, opt, o, resume, backend, preset) : BuildNew(parse, opt, o, given, backend, preset, cadence.Iterations);
        string? rateChange = resume is not null ? TrainResume.ChangeRates(parse, opt, trainer) : null;
        trainer.RunMetadata["iterations"] = cadence.Iterations.ToString(CultureInfo.InvariantCulture);
        trainer.RunMetadata["sample_every"] = cadence.SampleEvery.ToString(CultureInfo.InvariantCulture);
        trainer.RunMetadata["checkpoint_every"] = cadence.CheckpointEvery.ToString(CultureInfo.InvariantCulture);
        string dataSpec = trainer.RunMetadata["data"];

        RunFolder folder;
        try
        {
            folder = RunFolder.Claim(runDir, mode, line => o.WriteLine("  " + line));
        }
        catch (RunFolderException ex)
        {
            throw new UsageException(ex.Entries is { } entries ? TrainResumeChecks.NotEmptyMessage(runDir, entries, resume) : ex.Message);
        }
        using var _ = folder;
        var session = new TrainingSession(trainer, folder, cadence);
        WriteConfig(session.RunDirectory, trainer.ModelName, trainer.Options, dataSpec, trainer.Data, backend);

        Announce(o, trainer, dataSpec, session.RunDirectory, cadence.Iterations);
        if (rateChange is not null)
        {
            o.WriteLine("  " + rateChange);
        }
        var outcome = TrainingProgress.Run(session, trainer, o, cadence.Iterations, out int? stoppedBy);
        RunReport.TryWrite(session.RunDirectory, o, backend);
        if (outcome == SessionOutcome.Interrupted)
        {
            o.WriteLine($"interrupted at iteration {trainer.Step}: checkpoint saved to {session.CheckpointPath} (continue with --resume {session.RunDirectory})");
            return stoppedBy ?? 130;
        }
        o.WriteLine($"done: {trainer.Step} iterations. Samples: {session.FinalMontagePath}; meshes: {session.MeshesDirectory}; losses: {session.LossPlotPath}");
        return ExitCodes.Success;
    }

    /// <summary>--out, else the resumed checkpoint's folder, else a new runs/gan-DATE-TIME (runs/vae-gan-..., runs/latent-...).</summary>
    private static string RunDirectory(string? output, TrainingCheckpoint? resume, string prefix)
    {
        if (output is { Length: 0 })
        {
            throw new UsageException("--out is empty: give a folder");
        }
        return Path.TrimEndingDirectorySeparator(Path.GetFullPath(output
            ?? resume?.Folder
            ?? Path.Combine("runs", prefix + DateTime.Now.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture))));
    }

    /// <summary>The run's first lines: model, data, device, sizes and rates, and where a resumed run stands.</summary>
    private static void Announce(TextWriter o, AdversarialTrainer trainer, string dataSpec, string runDir, long iterations)
    {
        var options = trainer.Options;
        o.WriteLine($"gan3d train: {trainer.ModelName} {options.Architecture} on {trainer.Data.Count} shapes from {dataSpec}, batch {options.BatchSize}, on {trainer.Backend.Name}");
        string encoder = trainer is VaeGanTrainer v ? $", E {v.E.ParameterCount:N0} ({v.VaeOptions.Encoder}; α1 {v.VaeOptions.KlWeight}, α2 {v.VaeOptions.ReconstructionWeight}, lr E {v.VaeOptions.LearningRateE})" : "";
        if (trainer is LatentModelTrainer latent)
        {
            o.WriteLine($"  encoder (D's network) {trainer.D.ParameterCount:N0} parameters, decoder (G) {trainer.G.ParameterCount:N0}; lr {options.LearningRateD} / {options.LearningRateG}; " +
                $"occupied voxels weighted {latent.LatentOptions.OccupiedWeight}; samples between each training code and its {latent.LatentOptions.Neighbours} nearest (margin {latent.LatentOptions.Margin}); run directory {runDir}");
        }
        else
        {
            o.WriteLine($"  G {trainer.G.ParameterCount:N0} parameters, D {trainer.D.ParameterCount:N0}{encoder}; lr G {options.LearningRateG}, D {options.LearningRateD}{(options.GeneratorEma > 0 ? $"; samples from G's moving average (decay {options.GeneratorEma})" : "")}; run directory {runDir}");
        }
        if (StudySettings(options) is { Length: > 0 } study)
        {
            o.WriteLine($"  {study}");
        }
        if (trainer.Step > 0)
        {
            o.WriteLine($"  resuming at iteration {trainer.Step} of {iterations}");
        }
    }

    /// <summary>The settings that differ from the paper's recipe beyond the rates (empty when none do).</summary>
    private static string StudySettings(GanTrainingOptions options)
    {
        var parts = new List<string>();
        if (options.Loss != AdversarialLoss.Bce)
        {
            parts.Add($"{TrainOptionChecks.LossName(options.Loss)} loss");
        }
        if (options.InstanceNoise > 0)
        {
            parts.Add(options.InstanceNoiseIterations > 0
                ? $"instance noise σ {options.InstanceNoise} falling to 0 over {options.InstanceNoiseIterations} iterations"
                : $"instance noise σ {options.InstanceNoise}");
        }
        if (options.R1Gamma > 0)
        {
            parts.Add(options.R1Every > 1 ? $"R1 penalty γ {options.R1Gamma} once every {options.R1Every} updates of D" : $"R1 penalty γ {options.R1Gamma}");
        }
        var paper = new GanTrainingOptions();
        if (options.Beta1 != paper.Beta1 || options.Beta2 != paper.Beta2)
        {
            parts.Add($"Adam β {options.Beta1.ToString(CultureInfo.InvariantCulture)} / {options.Beta2.ToString(CultureInfo.InvariantCulture)}");
        }
        if (options.GrowIterations > 0)
        {
            parts.Add($"D sees half resolution for {options.GrowIterations} iterations, fading to full over {options.GrowIterations} more");
        }
        if (options.DSteps > 1)
        {
            parts.Add($"{options.DSteps} D updates a G step");
        }
        if (options.ModeSeeking > 0)
        {
            parts.Add($"G's mode-seeking term λ {options.ModeSeeking}");
        }
        if (options.ClassNames is { } classes)
        {
            parts.Add($"conditional on {classes.Count} classes ({string.Join(", ", classes.Zip(options.ClassCounts!, (name, count) => $"{name} {count}"))})");
        }
        return string.Join("; ", parts);
    }

    /// <summary>The preset named by --preset, or the device's when none is named.</summary>
    internal static TrainingPreset Preset(string? name, DeviceKind device) => name is null
        ? TrainingPreset.For(device)
        : TrainingPreset.Find(name) ?? throw new UsageException($"--preset {name}: use one of {string.Join(", ", TrainingPreset.All.Select(p => p.Name))}");

    /// <summary>A fresh trainer from the preset, the options (already checked one by one) and the data.</summary>
    private static AdversarialTrainer BuildNew(ParseResult parse, TrainOptions opt, TextWriter o, GivenOptions given, IBackend backend, TrainingPreset preset,
        long iterations)
    {
        string? pairsDir = parse.GetValue(opt.Pairs);
        string dataSpec = pairsDir ?? parse.GetValue(opt.Data)!;
        int res = parse.GetValue(opt.Resolution) ?? (dataSpec == "procedural" || pairsDir is not null ? preset.Resolution : 0);
        int perFamily = parse.GetValue(opt.PerFamily) ?? preset.PerFamily(given.IsVae, given.IsLatent);
        VoxelDataset? dataset = null;
        if (pairsDir is null)
        {
            dataset = LoadData(o, dataSpec, res == 0 ? null : res, perFamily);
            if (res == 0)
            {
                res = dataset.Resolution;
                if (Array.IndexOf(GanArchitecture.SupportedResolutions, res) < 0)
                {
                    throw new UsageException($"{dataSpec} holds {res}³ grids; pass --resolution 32 or 64 to resample them");
                }
            }
        }
        var overrides = TrainOptionChecks.Overrides(parse, opt, given) with { Resolution = res };
        var options = given.IsLatent ? preset.LatentOptions(overrides)
            : given.IsVae ? preset.VaeGanOptions(overrides) : preset.GanOptions(overrides);
        if (!given.IsLatent)
        {
            TrainOptionChecks.CheckPenaltyNorm(parse, opt, given, options);
            TrainOptionChecks.CheckDiscriminatorBatch(parse, opt, options);
        }
        if (parse.GetValue(opt.Conditional))
        {
            options = options.ConditionalOn(dataset!, dataSpec);
        }
        if (options.InstanceNoise > 0 && options.InstanceNoiseIterations == 0)
        {
            // The noise falls to 0 over the run as first asked for; a resume with a new total keeps that schedule.
            options = options with { InstanceNoiseIterations = iterations };
        }
        if (!given.IsVae && options.BatchSize > dataset!.Count)
        {
            throw new UsageException($"--batch-size {options.BatchSize} is larger than the {dataset.Count} shapes in {dataSpec}");
        }
        TrainingImages? images = null;
        if (pairsDir is not null)
        {
            // Supplied pairs are read once the encoder's image size is known (only a 3D-VAE-GAN takes --pairs).
            (dataset, images) = LoadPairsOrData(o, pairsDir, dataSpec, (VaeGanTrainingOptions)options, perFamily);
        }
        var trainer = AdversarialTrainer.Create(options, dataset!, backend, images);
        RecordData(trainer, dataSpec, pairsDir is not null, perFamily);
        return trainer;
    }

    /// <summary>Keeps where the shapes came from in the checkpoint, so <c>--resume</c> alone reads them again.</summary>
    internal static void RecordData(AdversarialTrainer trainer, string dataSpec, bool pairs, int perFamily)
    {
        bool procedural = string.Equals(dataSpec, "procedural", StringComparison.OrdinalIgnoreCase);
        trainer.RunMetadata["data"] = procedural ? "procedural" : Path.GetFullPath(dataSpec);
        trainer.RunMetadata.Remove("pairs");
        trainer.RunMetadata.Remove("procedural_per_family");
        if (pairs)
        {
            trainer.RunMetadata["pairs"] = "true";
        }
        if (procedural)
        {
            trainer.RunMetadata["procedural_per_family"] = perFamily.ToString(CultureInfo.InvariantCulture);
        }
    }

    internal static LatentDistribution ParseLatent(string value) => value.ToLowerInvariant() switch
    {
        "normal" => LatentDistribution.Normal,
        "uniform" => LatentDistribution.Uniform,
        _ => throw new UsageException($"--latent {value}: use uniform or normal"),
    };

    /// <summary>"MIN:MAX" in degrees (a single number is a range of one value).</summary>
    internal static (float Min, float Max) ParseRange(string option, string? value, (float Min, float Max) fallback)
    {
        if (value is null)
        {
            return fallback;
        }
        var parts = value.Split(':');
        if (parts.Length is 1 or 2
            && float.TryParse(parts[0], NumberStyles.Float, CultureInfo.InvariantCulture, out float a)
            && float.TryParse(parts[^1], NumberStyles.Float, CultureInfo.InvariantCulture, out float b)
            && float.IsFinite(a) && float.IsFinite(b) && a <= b)
        {
            return (a, b);
        }
        throw new UsageException($"{option} {value}: give a range MIN:MAX in degrees with MIN ≤ MAX");
    }

    internal static VoxelDataset LoadData(TextWriter o, string spec, int? resolution, int perFamily)
    {
        var options = new VoxelLoadOptions { ProceduralCountPerFamily = perFamily, Log = line => o.WriteLine("  " + line) };
        var dataset = VoxelDataset.Load(spec, resolution, options);
        if (dataset.Count == 0)
        {
            throw new InvalidDataException($"{spec}: no non-empty shapes to train on");
        }
        return dataset;
    }

    /// <summary>The shapes and, for supplied pairs, their images; rendered views need only the shapes.</summary>
    internal static (VoxelDataset Shapes, TrainingImages? Images) LoadPairsOrData(TextWriter o, string? pairsDir, string dataSpec,
        VaeGanTrainingOptions options, int perFamily)
    {
        if (pairsDir is null)
        {
            return (LoadData(o, dataSpec, options.Architecture.Resolution, perFamily), null);
        }
        var (shapes, images, _) = ImageShapePairs.Load(pairsDir, options.Architecture.Resolution, options.ImageSize, options.Rgb);
        if (shapes.Count < options.BatchSize)
        {
            throw new UsageException($"{pairsDir} holds {shapes.Count} pairs, fewer than the batch size {options.BatchSize} (pass --batch-size)");
        }
        return (shapes, TrainingImages.Supplied(shapes, options.Encoder, images));
    }

    private static void WriteConfig(string runDir, string model, GanTrainingOptions options, string dataSpec, VoxelDataset data, IBackend backend)
    {
        var config = new Dictionary<string, object?>
        {
            ["model"] = model,
            ["training"] = JsonSerializer.Deserialize<JsonElement>(options.ToJson()),
            ["data"] = dataSpec,
            ["shapes"] = data.Count,
            ["device"] = backend.Name,
            ["started"] = DateTime.UtcNow.ToString("o", CultureInfo.InvariantCulture),
        };
        AtomicFile.WriteAllText(Path.Combine(runDir, "config.json"), JsonSerializer.Serialize(config, new JsonSerializerOptions { WriteIndented = true }));
    }
}
