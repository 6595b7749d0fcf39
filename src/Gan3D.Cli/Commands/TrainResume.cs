using System.CommandLine;
using System.Globalization;
using Gan3D.Data;
using Gan3D.Models;
using Gan3D.Tensors;

namespace Gan3D.Cli.Commands;

/// <summary>
/// <c>train --resume</c>'s data: the run notes the command line keeps in the checkpoint say where the
/// shapes came from (unless --data or --pairs name them), and the library restores the trainer.
/// </summary>
internal static class TrainResume
{
    /// <summary>Reads the run's data again and rebuilds its trainer, whichever model it is.</summary>
    public static AdversarialTrainer Build(ParseResult parse, TrainOptions opt, TextWriter o, TrainingCheckpoint resume, IBackend backend, TrainingPreset preset)
    {
        string? givenData = parse.IsGiven(opt.Data) ? parse.GetValue(opt.Data) : null;
        string? pairsDir = parse.GetValue(opt.Pairs) ?? (givenData is null && resume.Note("pairs") == "true" ? resume.Note("data") : null);
        string dataSpec = pairsDir ?? givenData ?? resume.Note("data") ?? "procedural";
        // A run that predates the note trained on the same count for every family: its shape count says how many.
        int families = ShapeFamilies.Names.Count;
        long trained = resume.TrainedOn;
        int perFamily = resume.Count("procedural_per_family", 1) ?? ShapeSets.PerFamilyOf(trained) ?? preset.PerFamily(resume.IsVaeGan, resume.IsLatent);
        if (string.Equals(dataSpec, "procedural", StringComparison.OrdinalIgnoreCase) && resume.Note("procedural_per_family") is not null
            && (long)perFamily * families != trained)
        {
            // Checked before generating: a damaged count would otherwise ask for millions of shapes.
            throw new InvalidDataException($"{resume.Path}: {perFamily} procedural shapes a family do not make the {resume.TrainedOn} shapes it was trained on");
        }
        VoxelDataset shapes;
        TrainingImages? images = null;
        if (resume.IsVaeGan)
        {
            (shapes, images) = TrainCommand.LoadPairsOrData(o, pairsDir, dataSpec, (VaeGanTrainingOptions)resume.Options, perFamily);
        }
        else
        {
            shapes = TrainCommand.LoadData(o, dataSpec, resume.Options.Architecture.Resolution, perFamily);
        }
        var trainer = resume.Resume(shapes, backend, images);
        TrainCommand.RecordData(trainer, dataSpec, pairsDir is not null, perFamily);
        return trainer;
    }

    /// <summary>
    /// --lr-g and --lr-d on resume set the rates from here on (the way out of a divergence warning: resume
    /// checkpoint-before-spike.safetensors with a slower D); returns the line that says what changed, from which
    /// iteration (null when nothing did).
    /// </summary>
    public static string? ChangeRates(ParseResult parse, TrainOptions opt, AdversarialTrainer trainer)
    {
        var saved = trainer.Options;
        float g = parse.GetValue(opt.LrG) ?? saved.LearningRateG;
        float d = parse.GetValue(opt.LrD) ?? saved.LearningRateD;
        if (g == saved.LearningRateG && d == saved.LearningRateD)
        {
            return null;
        }
        static string Change(string name, float from, float to) =>
            from == to ? "" : string.Create(CultureInfo.InvariantCulture, $"{name} {from} → {to}");
        string changes = string.Join(", ", new[] { Change("G", saved.LearningRateG, g), Change("D", saved.LearningRateD, d) }.Where(c => c.Length > 0));
        trainer.SetLearningRates(g, d);
        return $"learning rates from iteration {trainer.Step + 1}: {changes}";
    }
}

/// <summary>What <c>train --resume</c> accepts beside the checkpoint, and which run folder it may write.</summary>
internal static class TrainResumeChecks
{
    /// <summary>
    /// Refuses an option that contradicts the checkpoint (one line naming the option and both values);
    /// an equal value is accepted. --iterations, the cadences, --device, --precision, --threads and --out are the
    /// resumed run's own, and so are --lr-g and --lr-d (<see cref="TrainResume.ChangeRates"/> applies them); --preset is
    /// stated as ignored.
    /// </summary>
    public static void CheckAgainstCheckpoint(ParseResult parse, TrainOptions opt, GivenOptions given, TrainingCheckpoint resume, TextWriter o)
    {
        var saved = resume.Options;
        string model = resume.Model;
        if (parse.IsGiven(opt.Model) && (given.IsVae != resume.IsVaeGan || given.IsLatent != resume.IsLatent))
        {
            Contradiction(parse, opt.Model, model, resume);
        }
        if (!resume.IsVaeGan && opt.VaeOnly.FirstOrDefault(parse.IsGiven) is { } vaeOption)
        {
            throw new UsageException($"{vaeOption.Name} applies to vae-gan runs; {resume.Path} is a {model} run");
        }
        if (resume.IsLatent && opt.NotForLatent.FirstOrDefault(parse.IsGiven) is { } notForLatent)
        {
            throw new UsageException($"{notForLatent.Name} does not apply to {resume.Path}, a {model} run");
        }
        if (parse.IsGiven(opt.OccupiedWeight))
        {
            if (saved is not LatentModelOptions latentSaved)
            {
                throw new UsageException($"--occupied-weight applies to latent runs; {resume.Path} is a {model} run");
            }
            Same(parse, opt.OccupiedWeight, latentSaved.OccupiedWeight, resume);
        }
        Same(parse, opt.Resolution, saved.Architecture.Resolution, resume);
        Same(parse, opt.Width, saved.Architecture.Width, resume);
        Same(parse, opt.Batch, saved.BatchSize, resume);
        Same(parse, opt.Threshold, saved.DAccuracyThreshold, resume);
        Same(parse, opt.GEma, saved.GeneratorEma, resume);
        Same(parse, opt.InstanceNoise, saved.InstanceNoise, resume);
        Same(parse, opt.R1, saved.R1Gamma, resume);
        Same(parse, opt.R1Every, saved.R1Every, resume);
        Same(parse, opt.DSteps, saved.DSteps, resume);
        Same(parse, opt.Grow, saved.GrowIterations, resume);
        Same(parse, opt.Beta1, saved.Beta1, resume);
        Same(parse, opt.Beta2, saved.Beta2, resume);
        Same(parse, opt.MinibatchStdGroup, saved.Architecture.MinibatchStdGroup, resume);
        Same(parse, opt.Pack, saved.Architecture.DiscriminatorPack, resume);
        Same(parse, opt.ModeSeeking, saved.ModeSeeking, resume);
        if (parse.IsGiven(opt.Seed) && parse.GetValue(opt.Seed) != saved.Seed)
        {
            Contradiction(parse, opt.Seed, saved.Seed.ToString(CultureInfo.InvariantCulture), resume);
        }
        if (given.Latent is { } latent && latent != saved.Latent)
        {
            Contradiction(parse, opt.Latent, saved.Latent.ToString().ToLowerInvariant(), resume);
        }
        if (given.Loss is { } loss && loss != saved.Loss)
        {
            Contradiction(parse, opt.Loss, TrainOptionChecks.LossName(saved.Loss), resume);
        }
        if (given.DNorm is { } dNorm && dNorm != saved.Architecture.DiscriminatorNorm)
        {
            Contradiction(parse, opt.DNorm, saved.Architecture.DiscriminatorNorm.ToString().ToLowerInvariant(), resume);
        }
        if (parse.GetValue(opt.PerFamily) is { } perFamily)
        {
            if (resume.Count("procedural_per_family", 1) is not { } savedPerFamily)
            {
                throw new UsageException($"--per-family applies to runs on the built-in families; {resume.Path} was trained on {resume.Note("data") ?? "other shapes"}");
            }
            if (perFamily != savedPerFamily)
            {
                Contradiction(parse, opt.PerFamily, savedPerFamily.ToString(CultureInfo.InvariantCulture) + " shapes a family", resume);
            }
        }
        if (parse.IsGiven(opt.MinibatchStd) && parse.GetValue(opt.MinibatchStd) != saved.Architecture.MinibatchStd)
        {
            throw new UsageException($"--minibatch-std{(saved.Architecture.MinibatchStd ? " false" : "")} contradicts {resume.Path}, trained with{(saved.Architecture.MinibatchStd ? "" : "out")} it: " +
                "leave it out to continue the run, or start a new one");
        }
        if (parse.IsGiven(opt.Conditional) && parse.GetValue(opt.Conditional) != saved.Architecture.Classes > 0)
        {
            throw new UsageException($"--conditional{(saved.Architecture.Classes > 0 ? " false" : "")} contradicts {resume.Path}, trained {(saved.Architecture.Classes > 0 ? $"conditional on {saved.Architecture.Classes} classes" : "without labels")}: " +
                "leave it out to continue the run, or start a new one");
        }
        if (saved is VaeGanTrainingOptions vae)
        {
            Same(parse, opt.ImageSize, vae.ImageSize, resume);
            Same(parse, opt.KlWeight, vae.KlWeight, resume);
            Same(parse, opt.ReconWeight, vae.ReconstructionWeight, resume);
            Same(parse, opt.LrE, vae.LearningRateE, resume);
            if (parse.GetValue(opt.Rgb) && !vae.Rgb)
            {
                throw new UsageException($"--rgb contradicts {resume.Path}, trained on greyscale images: leave it out to continue the run, or start a new one");
            }
            var v = vae.Views;
            if (parse.GetValue(opt.Azimuth) is not null && given.Views is { } a && (a.AzimuthMin, a.AzimuthMax) != (v.AzimuthMin, v.AzimuthMax))
            {
                Contradiction(parse, opt.Azimuth, Range(v.AzimuthMin, v.AzimuthMax), resume);
            }
            if (parse.GetValue(opt.Elevation) is not null && given.Views is { } e && (e.ElevationMin, e.ElevationMax) != (v.ElevationMin, v.ElevationMax))
            {
                Contradiction(parse, opt.Elevation, Range(v.ElevationMin, v.ElevationMax), resume);
            }
        }
        if (parse.GetValue(opt.Preset) is { } preset)
        {
            o.WriteLine($"  --preset {preset} ignored: a resumed run keeps the settings of {resume.Path}");
        }
    }

    /// <summary>
    /// How the run may claim <paramref name="runDir"/>: resume the run in it (the checkpoint's own
    /// folder), overwrite it (--overwrite), or start new (absent or empty). Refuses, before anything is
    /// created or the data is read, a folder in use, a file in the way, or a non-empty folder without either.
    /// </summary>
    public static RunFolderMode FolderMode(string runDir, TrainingCheckpoint? resume, bool overwrite)
    {
        IReadOnlyList<string> contents;
        try
        {
            RunFolder.ThrowIfInUse(runDir);
            contents = RunFolder.Contents(runDir);
        }
        catch (RunFolderException ex)
        {
            throw new UsageException(ex.Message);
        }
        bool own = resume is not null && string.Equals(Path.GetFullPath(runDir), resume.Folder, StringComparison.Ordinal);
        if (own && overwrite)
        {
            throw new UsageException($"--overwrite would delete {resume!.Path}, the checkpoint being resumed: leave it out to continue the run, or --out another folder");
        }
        if (overwrite)
        {
            return RunFolderMode.Overwrite;
        }
        if (own)
        {
            return RunFolderMode.Resume;
        }
        if (contents.Count > 0)
        {
            throw new UsageException(NotEmptyMessage(runDir, contents, resume));
        }
        return RunFolderMode.New;
    }

    /// <summary>Why a new run may not use a folder that holds files, and what to do instead.</summary>
    public static string NotEmptyMessage(string runDir, IReadOnlyList<string> contents, TrainingCheckpoint? resume)
    {
        string what = RunFolder.Describe(contents);
        if (resume is not null)
        {
            return $"{runDir}: is not empty ({what}) and is not the folder of {resume.Path}: --out an empty folder, or pass --overwrite to replace its run";
        }
        return contents.Contains("checkpoint.safetensors") || contents.Contains("metrics.csv")
            ? $"{runDir}: holds a run already ({what}): continue it with --resume {runDir}, or pass --overwrite to replace it"
            : $"{runDir}: is not empty ({what}): choose a new or empty folder, or pass --overwrite (it deletes only a run's own files)";
    }

    private static void Same<T>(ParseResult parse, Option<T?> option, T saved, TrainingCheckpoint resume)
        where T : struct, IEquatable<T>, IFormattable
    {
        if (parse.GetValue(option) is { } value && !value.Equals(saved))
        {
            Contradiction(parse, option, saved.ToString(null, CultureInfo.InvariantCulture), resume);
        }
    }

    private static void Contradiction(ParseResult parse, Option option, string saved, TrainingCheckpoint resume) =>
        throw new UsageException($"{option.Name} {parse.Raw(option)} contradicts {resume.Path}, trained with {saved}: leave it out to continue the run, or start a new one");

    private static string Range(float min, float max) => $"{min.ToString(CultureInfo.InvariantCulture)}:{max.ToString(CultureInfo.InvariantCulture)}";
}
