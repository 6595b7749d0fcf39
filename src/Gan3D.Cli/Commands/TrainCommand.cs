using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Gan3D.Data;
using Gan3D.Models;
using Gan3D.Tensors;

namespace Gan3D.Cli.Commands;

/// <summary><c>gan3d train</c>: trains a 3D-GAN and leaves a run directory to look at.</summary>
internal static class TrainCommand
{
    /// <summary>Exit code after Ctrl+C (128 + SIGINT), with the checkpoint saved.</summary>
    public const int Interrupted = 130;

    public static Command Create()
    {
        var data = new Option<string>("--data", "-d")
        {
            Description = "Training shapes: a .npy/.npy.gz file, a folder of .npy/.binvox/mesh files (meshes are voxelized once and cached), or 'procedural' (the built-in families)",
            DefaultValueFactory = _ => "procedural",
        };
        var preset = new Option<string?>("--preset") { Description = "quick: 32³, narrow, about 10 minutes on 2 CPU cores; paper: the paper's 64³ network and settings (for a GPU). Default: paper on CUDA, quick on the CPU" };
        var resolution = new Option<int?>("--resolution", "-r") { Description = "Voxel resolution of the model: 32 or 64" };
        var width = new Option<double?>("--width", "-w") { Description = "Channel width multiplier: 1 = the paper's widths, 0.5 = half" };
        var iterations = new Option<long?>("--iterations", "-n") { Description = "Training iterations in total (a resumed run continues up to this count)" };
        var batch = new Option<int?>("--batch-size", "-b") { Description = "Shapes per batch (paper: 100)" };
        var device = new Option<string>("--device") { Description = "auto, cpu or cuda", DefaultValueFactory = _ => "auto" };
        var threads = new Option<int>("--threads") { Description = "CPU threads (0 = all cores)", DefaultValueFactory = _ => 0 };
        var output = new Option<string?>("--out", "-o") { Description = "Run directory (default runs/gan-<date>-<time>)" };
        var resume = new Option<string?>("--resume") { Description = "Continue the run saved in this checkpoint (its settings are used)" };
        var seed = new Option<ulong>("--seed", "-s") { Description = "Seed for weights, latent codes and data order", DefaultValueFactory = _ => 0 };
        var lrG = new Option<float?>("--lr-g") { Description = "Generator learning rate (paper: 0.0025)" };
        var lrD = new Option<float?>("--lr-d") { Description = "Discriminator learning rate (paper: 1e-5)" };
        var threshold = new Option<float?>("--d-threshold") { Description = "Update D only when its accuracy on the previous batch was below this (paper: 0.8; 1 = always)" };
        var latent = new Option<string?>("--latent") { Description = "Latent distribution: uniform (the paper's U(0,1); paper preset) or normal (N(0,1); quick preset: uniform collapsed to one shape in our 32³ runs)" };
        var gEma = new Option<float?>("--g-ema") { Description = "Decay of a moving average of G's weights that samples and the checkpoint's readers use (0 = off, the paper; quick preset: 0.995 for 3d-gan, off for vae-gan)" };
        var sampleEvery = new Option<int?>("--sample-every") { Description = "Write samples/step-N.png every N iterations" };
        var checkpointEvery = new Option<int?>("--checkpoint-every") { Description = "Write the checkpoint every N iterations" };
        var model = new Option<string>("--model", "-m") { Description = "3d-gan (generation) or vae-gan (3D-VAE-GAN: adds an image encoder for single-image reconstruction)", DefaultValueFactory = _ => "3d-gan" };
        var imageSize = new Option<int?>("--image-size") { Description = "vae-gan: encoder input side in pixels, a power of two (default 64)" };
        var rgb = new Option<bool>("--rgb") { Description = "vae-gan: RGB encoder input instead of greyscale" };
        var klWeight = new Option<float?>("--kl-weight") { Description = "vae-gan: α1, weight of the KL term (paper: 5)" };
        var reconWeight = new Option<float?>("--recon-weight") { Description = "vae-gan: α2, weight of the reconstruction term ‖G(E(y)) − x‖² (paper: 1e-4)" };
        var lrE = new Option<float?>("--lr-e") { Description = "vae-gan: encoder learning rate (default 1e-4)" };
        var azimuth = new Option<string?>("--azimuth") { Description = "vae-gan: azimuth range of rendered training views in degrees, MIN:MAX (default 0:360)" };
        var elevation = new Option<string?>("--elevation") { Description = "vae-gan: elevation range of rendered training views in degrees, MIN:MAX (default 10:40)" };
        var pairs = new Option<string?>("--pairs") { Description = "vae-gan: train on the (image, shape) pairs of this folder (NAME.png + NAME.npy/.binvox) instead of rendered views of --data" };
        var command = new Command("train",
            "Train a 3D-GAN (Wu et al., NIPS 2016) on voxel shapes, or with --model vae-gan a 3D-VAE-GAN whose image encoder learns " +
            "from views of the shapes rendered at random viewpoints. The run directory gets config.json, metrics.csv, losses.png, " +
            "samples/step-N.png montages, checkpoint.safetensors, and at the end samples/final.png, meshes/*.obj and report.html (see gan3d report).\n" +
            "Example: gan3d train --preset quick\n" +
            "Example: gan3d train --model vae-gan --preset quick --iterations 2000\n" +
            "Example: gan3d train --data ../shared/data/voxels/modelnet10/chair-train-32.npy.gz --device cuda --iterations 20000")
        {
            data, preset, resolution, width, iterations, batch, device, threads, output, resume, seed,
            lrG, lrD, threshold, latent, gEma, sampleEvery, checkpointEvery, model, imageSize, rgb, klWeight, reconWeight, lrE, azimuth, elevation, pairs,
        };
        command.SetAction(parse =>
        {
            var o = parse.InvocationConfiguration.Output;
            var backend = CliDevices.Create(parse.GetValue(device)!, parse.GetValue(threads));
            string? resumePath = parse.GetValue(resume);
            var settings = RunSettings.Resolve(parse.GetValue(preset), backend.Kind == DeviceKind.Cuda);
            string? pairsDir = parse.GetValue(pairs);

            GanTrainingOptions options;
            AdversarialTrainer trainer;
            VoxelDataset dataset;
            string dataSpec = pairsDir ?? parse.GetValue(data)!;
            if (resumePath is not null)
            {
                var ck = Checkpoint.Open(resumePath);
                var saved = GanTrainingOptions.FromJson(ck.Get("config"), resumePath);
                if (ck.Get("model") == VaeGanTrainer.Model)
                {
                    var vae = VaeGanTrainingOptions.FromJson(ck.Get("config"), resumePath);
                    var (shapes, images) = LoadPairsOrData(o, pairsDir, dataSpec, vae, settings.ProceduralPerFamily);
                    dataset = shapes;
                    trainer = VaeGanTrainer.Resume(resumePath, dataset, backend, images);
                }
                else
                {
                    dataset = LoadData(o, dataSpec, saved.Architecture.Resolution, settings.ProceduralPerFamily);
                    trainer = GanTrainer.Resume(resumePath, dataset, backend);
                }
                options = trainer.Options;
            }
            else
            {
                string modelName = parse.GetValue(model)!.ToLowerInvariant();
                bool isVae = modelName switch
                {
                    "3d-gan" or "gan" => false,
                    "vae-gan" or "3d-vae-gan" => true,
                    _ => throw new UsageException($"--model {modelName}: use 3d-gan or vae-gan"),
                };
                if (!isVae && (pairsDir is not null || parse.GetValue(imageSize) is not null || parse.GetValue(klWeight) is not null
                    || parse.GetValue(reconWeight) is not null || parse.GetValue(lrE) is not null || parse.GetValue(rgb)
                    || parse.GetValue(azimuth) is not null || parse.GetValue(elevation) is not null))
                {
                    throw new UsageException("--pairs, --image-size, --rgb, --kl-weight, --recon-weight, --lr-e, --azimuth and --elevation need --model vae-gan");
                }
                int res = parse.GetValue(resolution) ?? (dataSpec == "procedural" || pairsDir is not null ? settings.Resolution : 0);
                if (res != 0 && Array.IndexOf(GanArchitecture.SupportedResolutions, res) < 0)
                {
                    throw new UsageException($"--resolution {res} is not supported: use 32 or 64");
                }
                TrainingImages? images = null;
                if (pairsDir is null)
                {
                    dataset = LoadData(o, dataSpec, res == 0 ? null : res, settings.ProceduralPerFamily);
                    if (res == 0)
                    {
                        res = dataset.Resolution;
                        if (Array.IndexOf(GanArchitecture.SupportedResolutions, res) < 0)
                        {
                            throw new UsageException($"{dataSpec} holds {res}³ grids; pass --resolution 32 or 64 to resample them");
                        }
                    }
                }
                else
                {
                    // Supplied pairs are read below, once the encoder's image size is known.
                    dataset = null!;
                }
                var gan = new GanTrainingOptions
                {
                    Architecture = new GanArchitecture(res, parse.GetValue(width) ?? settings.Width),
                    BatchSize = parse.GetValue(batch) ?? settings.BatchSize,
                    LearningRateG = parse.GetValue(lrG) ?? settings.LearningRateG,
                    LearningRateD = parse.GetValue(lrD) ?? settings.LearningRateD,
                    DAccuracyThreshold = parse.GetValue(threshold) ?? 0.8f,
                    Latent = parse.GetValue(latent) is { } l ? ParseLatent(l) : isVae ? LatentDistribution.Normal : settings.Latent,
                    // Off for the VAE-GAN unless asked for: its encoder learns codes for G's own weights (unmeasured with the average).
                    GeneratorEma = parse.GetValue(gEma) ?? (isVae ? 0f : settings.GeneratorEma),
                    Seed = parse.GetValue(seed),
                };
                if (!isVae && gan.BatchSize > dataset.Count)
                {
                    throw new UsageException($"--batch-size {gan.BatchSize} is larger than the {dataset.Count} shapes in {dataSpec}");
                }
                if (isVae)
                {
                    var defaults = new VaeGanTrainingOptions();
                    var vae = new VaeGanTrainingOptions
                    {
                        Architecture = gan.Architecture,
                        BatchSize = gan.BatchSize,
                        LearningRateG = gan.LearningRateG,
                        LearningRateD = gan.LearningRateD,
                        DAccuracyThreshold = gan.DAccuracyThreshold,
                        Latent = gan.Latent,
                        GeneratorEma = gan.GeneratorEma,
                        Seed = gan.Seed,
                        ImageSize = parse.GetValue(imageSize) ?? defaults.ImageSize,
                        Rgb = parse.GetValue(rgb),
                        KlWeight = parse.GetValue(klWeight) ?? defaults.KlWeight,
                        ReconstructionWeight = parse.GetValue(reconWeight) ?? defaults.ReconstructionWeight,
                        LearningRateE = parse.GetValue(lrE) ?? defaults.LearningRateE,
                    };
                    var (azMin, azMax) = ParseRange("--azimuth", parse.GetValue(azimuth), (defaults.Views.AzimuthMin, defaults.Views.AzimuthMax));
                    var (elMin, elMax) = ParseRange("--elevation", parse.GetValue(elevation), (defaults.Views.ElevationMin, defaults.Views.ElevationMax));
                    vae = vae with { Views = new ViewSampling { AzimuthMin = azMin, AzimuthMax = azMax, ElevationMin = elMin, ElevationMax = elMax } };
                    if (pairsDir is not null)
                    {
                        (dataset, images) = LoadPairsOrData(o, pairsDir, dataSpec, vae, settings.ProceduralPerFamily);
                    }
                    options = vae;
                    trainer = new VaeGanTrainer(vae, dataset, backend, images);
                }
                else
                {
                    options = gan;
                    trainer = new GanTrainer(gan, dataset, backend);
                }
            }
            using var _ = trainer;

            string runDir = parse.GetValue(output)
                ?? (resumePath is not null ? Path.GetDirectoryName(Path.GetFullPath(resumePath))!
                    : Path.Combine("runs", (trainer is VaeGanTrainer ? "vae-gan-" : "gan-") + DateTime.Now.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture)));
            var session = new TrainingSession(trainer, runDir, new TrainingSessionOptions
            {
                Iterations = parse.GetValue(iterations) ?? settings.Iterations,
                SampleEvery = parse.GetValue(sampleEvery) ?? settings.SampleEvery,
                CheckpointEvery = parse.GetValue(checkpointEvery) ?? settings.CheckpointEvery,
            }, resumed: resumePath is not null);
            WriteConfig(session.RunDirectory, trainer.ModelName, options, dataSpec, dataset, backend);

            o.WriteLine($"gan3d train: {trainer.ModelName} {options.Architecture} on {dataset.Count} shapes from {dataSpec}, batch {options.BatchSize}, on {backend.Name}");
            string encoder = trainer is VaeGanTrainer v ? $", E {v.E.ParameterCount:N0} ({v.VaeOptions.Encoder}; α1 {v.VaeOptions.KlWeight}, α2 {v.VaeOptions.ReconstructionWeight}, lr E {v.VaeOptions.LearningRateE})" : "";
            o.WriteLine($"  G {trainer.G.ParameterCount:N0} parameters, D {trainer.D.ParameterCount:N0}{encoder}; lr G {options.LearningRateG}, D {options.LearningRateD}{(options.GeneratorEma > 0 ? $"; samples from G's moving average (decay {options.GeneratorEma})" : "")}; run directory {session.RunDirectory}");
            if (trainer.Step > 0)
            {
                o.WriteLine($"  resuming at iteration {trainer.Step}");
            }
            var outcome = TrainingProgress.Run(session, trainer, o, parse.GetValue(iterations) ?? settings.Iterations);
            RunReport.TryWrite(session.RunDirectory, o, backend);
            if (outcome == SessionOutcome.Interrupted)
            {
                o.WriteLine($"interrupted at iteration {trainer.Step}: checkpoint saved to {session.CheckpointPath} (continue with --resume)");
                return Interrupted;
            }
            o.WriteLine($"done: {trainer.Step} iterations. Samples: {session.FinalMontagePath}; meshes: {session.MeshesDirectory}; losses: {session.LossPlotPath}");
            return ExitCodes.Success;
        });
        return command;
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
    private static (VoxelDataset Shapes, TrainingImages? Images) LoadPairsOrData(TextWriter o, string? pairsDir, string dataSpec,
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

/// <summary>The settings a preset stands for; explicit options override each.</summary>
internal sealed record RunSettings(int Resolution, double Width, int BatchSize, float LearningRateG, float LearningRateD,
    long Iterations, int SampleEvery, int CheckpointEvery, int ProceduralPerFamily, LatentDistribution Latent, float GeneratorEma)
{
    /// <summary>The paper's network and hyperparameters, for a GPU.</summary>
    public static readonly RunSettings Paper = new(64, 1.0, 100, 0.0025f, 1e-5f, 20000, 500, 1000, 200, LatentDistribution.Uniform, 0f);

    /// <summary>
    /// A 32³ quarter-width network that learns the built-in families in about ten minutes on two CPU
    /// cores, with a normal z (the paper's uniform z collapsed to one shape in these runs) and samples
    /// from a moving average of G's weights (decay 0.995: coverage 29.5% → 38.3% in the same run).
    /// </summary>
    public static readonly RunSettings Quick = new(32, 0.25, 32, 0.0025f, 1e-4f, 1500, 250, 250, 50, LatentDistribution.Normal, 0.995f);

    public static RunSettings Resolve(string? preset, bool cuda) => preset?.ToLowerInvariant() switch
    {
        null => cuda ? Paper : Quick,
        "quick" => Quick,
        "paper" => Paper,
        _ => throw new UsageException($"--preset {preset}: use quick or paper"),
    };
}
