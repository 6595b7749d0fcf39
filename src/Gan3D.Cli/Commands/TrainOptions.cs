using System.CommandLine;
using System.Globalization;
using Gan3D.Models;
using Gan3D.Tensors;

namespace Gan3D.Cli.Commands;

/// <summary>The options of <c>gan3d train</c>.</summary>
internal sealed class TrainOptions
{
    public Option<string> Data { get; } = new("--data", "-d")
    {
        Description = "Training shapes: a .npy/.npy.gz file, a folder of .npy/.binvox/mesh files (meshes are voxelized once and cached), or 'procedural' (the built-in families). With --resume: the run's own data unless given",
        DefaultValueFactory = _ => "procedural",
    };

    public Option<int?> PerFamily { get; } = new("--per-family", "--count-per-family") { Description = "Built-in shapes a family with --data procedural, 2..10000 (12 families; default: 500 for --model latent and for the 3D-GAN on quick; 50 for the 3D-VAE-GAN on quick and for the GANs on standard; 200 on paper)" };

    public Option<string?> Preset { get; } = new("--preset") { Description = "quick: 32³, narrow, 4500 iterations in batches of 16 (on 500 built-in shapes a family) in about 12 minutes on 2 CPU cores (a 3D-VAE-GAN 1500 in batches of 32, on 50 a family), the 3D-GAN with a D without batch norm at 10× the paper D's rate held by an R1 penalty (--model latent: 3000 iterations, 8 minutes, the closest samples measured); standard: 32³, half width, 4500 iterations in about 40 minutes on 2 CPU cores, the R1 D at 1e-4 (the closer 3D-GAN on real shapes; --model latent: the better shape descriptor); paper: the paper's 64³ network and settings (for a GPU). Default: paper on CUDA, quick on the CPU" };

    public Option<int?> Resolution { get; } = new("--resolution", "-r") { Description = "Voxel resolution of the model: 32 or 64" };

    public Option<double?> Width { get; } = new("--width", "-w") { Description = "Channel width multiplier in (0, 4]: 1 = the paper's widths, 0.5 = half" };

    public Option<long?> Iterations { get; } = new("--iterations", "-n") { Description = "Training iterations in total, 1 or more (a resumed run continues up to this count; default: the run's own target)" };

    public Option<int?> Batch { get; } = new("--batch-size", "-b") { Description = "Shapes per batch, 2..4096 (paper: 100)" };

    public Option<string> Device { get; } = CliDevices.Option();

    public Option<string> Precision { get; } = CliDevices.PrecisionOption();

    public Option<int> Threads { get; } = new("--threads") { Description = "CPU threads (0 = all cores)", DefaultValueFactory = _ => 0 };

    public Option<string?> Output { get; } = new("--out", "-o") { Description = "Run directory (default runs/gan-<date>-<time>; with --resume the checkpoint's folder). Must be new or empty unless --resume continues the run in it or --overwrite replaces it" };

    public Option<string?> Resume { get; } = new("--resume") { Description = "Continue the run saved in this checkpoint or run folder (its settings are kept: other values are refused, except --lr-g and --lr-d, which change the rates from here on)" };

    public Option<bool> Overwrite { get; } = new("--overwrite") { Description = "Replace the run in --out: deletes its config.json, metrics.csv, losses.png, checkpoints, report.html, samples/ and meshes/ (other files stay)" };

    public Option<ulong> Seed { get; } = new("--seed", "-s") { Description = "Seed for weights, latent codes and data order", DefaultValueFactory = _ => 0 };

    public Option<float?> LrG { get; } = new("--lr-g") { Description = "Generator learning rate in (0, 1] (paper: 0.0025)" };

    public Option<float?> LrD { get; } = new("--lr-d") { Description = "Discriminator learning rate in (0, 1] (paper: 1e-5; the quick preset's 3D-GAN 1e-3, its other models 1e-4)" };

    public Option<float?> Threshold { get; } = new("--d-threshold") { Description = "Update D only when its accuracy on the previous batch was below this, in (0, 1] (paper: 0.8; 1 = always, the quick preset's 3D-GAN)" };

    public Option<string?> Latent { get; } = new("--latent") { Description = "Latent distribution: uniform (the paper's U(0,1); paper preset) or normal (N(0,1); quick preset: uniform collapsed to one shape in our 32³ runs)" };

    public Option<float?> GEma { get; } = new("--g-ema") { Description = "Decay in [0, 1) of a moving average of G's weights that samples and the checkpoint's readers use (0 = off, the paper; quick preset: 0.995 for 3d-gan, off for vae-gan)" };

    public Option<string?> Loss { get; } = new("--loss") { Description = "Adversarial loss: bce (the paper's binary cross entropy; default) hinge (D: mean max(0, 1 − D(x)) + mean max(0, 1 + D(G(z))), G: −mean D(G(z))) or wgan-gp (D: mean D(G(z)) − mean D(x) + 10·mean (‖∇D(x̂)‖ − 1)² between real and generated shapes, G: −mean D(G(z)); needs --d-norm spectral or none, and turns the --d-threshold rule off unless given). D's accuracy for --d-threshold is the share of its logits with the right sign" };

    public Option<string?> DNorm { get; } = new("--d-norm") { Description = "D's normalisation: batch (the paper's batch norm; the default but for the quick preset's 3D-GAN; asking for it also gives D the paper's rate, 80% rule and no R1), spectral (no batch norm; every convolution divided by its largest singular value, one power iteration per forward, the vectors kept in the checkpoint) or none (the quick preset's 3D-GAN)" };

    public Option<bool> MinibatchStd { get; } = new("--minibatch-std") { Description = "Give D's last convolution one more input channel: the standard deviation of each feature over the batch, averaged over features (Karras et al. 2018; on in the quick preset's 3D-GAN, off in the paper's D; --minibatch-std false turns it off)" };

    public Option<int?> MinibatchStdGroup { get; } = new("--minibatch-std-group") { Description = "Shapes a group of the minibatch std channel, 2 or more: each run of this many shapes of a batch gets its own group's statistic (StyleGAN's 4; default: the whole batch is one group); the batch size must be a multiple of it" };

    public Option<int?> Pack { get; } = new("--pack") { Description = $"D judges this many consecutive shapes of a batch together, stacked as channels, one logit for them all (PacGAN, Lin et al. 2018: a G that drops kinds of shapes makes packs that look alike), 1..{GanArchitecture.MaxDiscriminatorPack} (default 1); the batch size must be a multiple of it; not with --loss wgan-gp, and such a D is no descriptor for classify" };

    public Option<bool> Conditional { get; } = new("--conditional") { Description = "3d-gan: condition G and D on the shapes' labels (the built-in families, or the classes of labelled data): G's code gets a one-hot label, D a projection term (Miyato & Koyama 2018); samples draw labels in the training proportions (off by default)" };

    public Option<float?> ModeSeeking { get; } = new("--mode-seeking") { Description = "λ ≥ 0 of a mode-seeking term in G's loss (MSGAN, Mao et al. 2019): λ / (r + 1e-5), r the mean squared difference of shapes from the batch's two halves over that of their codes, so G pays for mapping distant codes to alike shapes (0 = off, the paper; 3d-gan only)" };

    public Option<float?> InstanceNoise { get; } = new("--instance-noise") { Description = "Standard deviation ≥ 0 of Gaussian noise added to every voxel D sees, real and generated, falling linearly to 0 over the run's --iterations (0 = off, the paper)" };

    public Option<float?> R1 { get; } = new("--r1") { Description = "γ ≥ 0 of the R1 gradient penalty, γ/2 · mean ‖∇ₓD(x)‖² on real shapes (Mescheder et al. 2018; 0 = off, the paper; the quick preset's 3D-GAN 10 on every 4th update); needs D without batch norm" };

    public Option<int?> R1Every { get; } = new("--r1-every") { Description = "Apply the R1 penalty on every K-th update of D, scaled by K (lazy regularisation; default 1 = every update, the quick preset's 3D-GAN 4)" };

    public Option<int?> DSteps { get; } = new("--d-steps") { Description = $"3d-gan: D's updates a G step, each on its own batch (WGAN-GP's n_critic; Gulrajani et al. and 3D-IWGAN use 5), 1..{GanTrainingOptions.MaxDSteps} (default 1: alternate, the paper); an iteration is one G step" };

    public Option<float?> Beta1 { get; } = new("--beta1") { Description = "Adam's β1 in [0, 1) for G, D (and a 3D-VAE-GAN's encoder) (default 0.5, the paper's)" };

    public Option<float?> Beta2 { get; } = new("--beta2") { Description = "Adam's β2 in [0, 1) for G, D (and a 3D-VAE-GAN's encoder) (default 0.999)" };

    public Option<long?> Grow { get; } = new("--grow") { Description = "Resolution growing as D sees it: for the first N iterations D sees every shape at half resolution (2×2×2 block means), then over N more the block means fade into the full shapes (Karras et al. 2018's fade-in; the networks keep their size); 0 = off (default)" };

    public Option<int?> SampleEvery { get; } = new("--sample-every") { Description = "Write samples/step-N.png every N iterations (0 = never)" };

    public Option<int?> CheckpointEvery { get; } = new("--checkpoint-every") { Description = "Write the checkpoint every N iterations (0 = only at the end and when stopped)" };

    public Option<string> Model { get; } = new("--model", "-m") { Description = "3d-gan (generation), vae-gan (3D-VAE-GAN: adds an image encoder for single-image reconstruction) or latent (an autoencoder, D's network as encoder and G as decoder, sampled between neighbouring training shapes' codes: the closest to real shapes in docs/quality.md)", DefaultValueFactory = _ => "3d-gan" };

    public Option<float?> OccupiedWeight { get; } = new("--occupied-weight") { Description = "latent: weight in (0, 100] of occupied voxels in the reconstruction loss (1 = plain binary cross entropy; presets: 6, which keeps thin parts whole)" };

    public Option<int?> ImageSize { get; } = new("--image-size") { Description = "vae-gan: encoder input side in pixels, a power of two (default 64)" };

    public Option<bool> Rgb { get; } = new("--rgb") { Description = "vae-gan: RGB encoder input instead of greyscale" };

    public Option<float?> KlWeight { get; } = new("--kl-weight") { Description = "vae-gan: α1 ≥ 0, weight of the KL term (paper: 5)" };

    public Option<float?> ReconWeight { get; } = new("--recon-weight") { Description = "vae-gan: α2 ≥ 0, weight of the reconstruction term ‖G(E(y)) − x‖² (paper preset: the paper's 1e-4; quick preset: 1e-2)" };

    public Option<float?> LrE { get; } = new("--lr-e") { Description = "vae-gan: encoder learning rate in (0, 1] (default 1e-4)" };

    public Option<string?> Azimuth { get; } = new("--azimuth") { Description = "vae-gan: azimuth range of rendered training views in degrees, MIN:MAX (default 0:360)" };

    public Option<string?> Elevation { get; } = new("--elevation") { Description = "vae-gan: elevation range of rendered training views in degrees, MIN:MAX (default 10:40)" };

    public Option<string?> Pairs { get; } = new("--pairs") { Description = "vae-gan: train on the (image, shape) pairs of this folder (NAME.png + NAME.npy/.binvox) instead of rendered views of --data" };

    public IEnumerable<Option> All =>
    [
        Data, PerFamily, Preset, Resolution, Width, Iterations, Batch, Device, Precision, Threads, Output, Resume, Overwrite, Seed,
        LrG, LrD, Threshold, Latent, GEma, Loss, DNorm, MinibatchStd, MinibatchStdGroup, Pack, Conditional, ModeSeeking, InstanceNoise, R1, R1Every, DSteps, Grow, Beta1, Beta2, SampleEvery, CheckpointEvery, Model, OccupiedWeight, ImageSize, Rgb, KlWeight, ReconWeight, LrE, Azimuth, Elevation, Pairs,
    ];

    /// <summary>The options only a 3D-VAE-GAN uses.</summary>
    public IEnumerable<Option> VaeOnly => [Pairs, ImageSize, Rgb, KlWeight, ReconWeight, LrE, Azimuth, Elevation];

    /// <summary>The options of adversarial training and of G's moving average, which a latent model (an autoencoder) does not have.</summary>
    public IEnumerable<Option> NotForLatent => [Threshold, Latent, GEma, Loss, DNorm, MinibatchStd, MinibatchStdGroup, Pack, Conditional, ModeSeeking, InstanceNoise, R1, R1Every, DSteps, Grow, Beta1, Beta2];
}

/// <summary>What the options say once each is checked on its own.</summary>
internal sealed record GivenOptions(bool IsVae, LatentDistribution? Latent, ViewSampling? Views, IBackend Backend)
{
    /// <summary>--model latent.</summary>
    public bool IsLatent { get; init; }

    /// <summary>--loss, when given.</summary>
    public AdversarialLoss? Loss { get; init; }

    /// <summary>--d-norm, when given.</summary>
    public DiscriminatorNorm? DNorm { get; init; }
}

/// <summary>Checks of train's options, each on its own, before anything is read or written.</summary>
internal static class TrainOptionChecks
{
    /// <summary>Whether the user typed the option (not a default).</summary>
    public static bool IsGiven(this ParseResult parse, Option option) => parse.GetResult(option) is { Implicit: false };

    /// <summary>The option's value as typed, for messages (1e39 rather than the ∞ it parses to).</summary>
    public static string Raw(this ParseResult parse, Option option) =>
        parse.GetResult(option)?.Tokens is { Count: > 0 } tokens ? tokens[^1].Value : "";

    public static GivenOptions Check(ParseResult parse, TrainOptions opt)
    {
        string modelName = parse.GetValue(opt.Model)!.ToLowerInvariant();
        bool isVae = modelName is "vae-gan" or "3d-vae-gan";
        bool isLatent = modelName is "latent" or "3d-latent";
        if (!isVae && !isLatent && modelName is not ("3d-gan" or "gan"))
        {
            throw new UsageException($"--model {modelName}: use 3d-gan, vae-gan or latent");
        }
        if (isLatent && parse.GetValue(opt.Resume) is null && opt.NotForLatent.FirstOrDefault(parse.IsGiven) is { } notForLatent)
        {
            throw new UsageException($"{notForLatent.Name} does not apply to --model latent (an autoencoder: nothing adversarial, no moving average)");
        }
        if (!isLatent && parse.GetValue(opt.Resume) is null && parse.IsGiven(opt.OccupiedWeight))
        {
            throw new UsageException("--occupied-weight applies to --model latent (the weight of occupied voxels in its reconstruction loss)");
        }
        // With --resume the checkpoint says which model it is; the options are compared with it later.
        if (!isVae && parse.GetValue(opt.Resume) is null && opt.VaeOnly.Any(parse.IsGiven))
        {
            throw new UsageException("--pairs, --image-size, --rgb, --kl-weight, --recon-weight, --lr-e, --azimuth and --elevation need --model vae-gan");
        }
        if (isVae && parse.GetValue(opt.Resume) is null && parse.GetValue(opt.Conditional))
        {
            throw new UsageException("--conditional applies to --model 3d-gan (the 3D-VAE-GAN's G decodes an image's code, which carries no label)");
        }
        if (parse.GetValue(opt.Conditional) && parse.GetValue(opt.Pack) is > 1)
        {
            throw new UsageException($"--conditional judges one shape with its label: it does not take --pack {parse.GetValue(opt.Pack)}");
        }
        if (isVae && parse.GetValue(opt.Resume) is null && parse.IsGiven(opt.ModeSeeking))
        {
            throw new UsageException("--mode-seeking applies to --model 3d-gan (the 3D-VAE-GAN's G learns its variety from the reconstruction term)");
        }
        if (isVae && parse.GetValue(opt.Resume) is null && parse.IsGiven(opt.DSteps))
        {
            throw new UsageException("--d-steps applies to --model 3d-gan (the 3D-VAE-GAN updates D once with each update of G and the encoder)");
        }
        if (parse.GetValue(opt.Resolution) is { } res && Array.IndexOf(GanArchitecture.SupportedResolutions, res) < 0)
        {
            throw new UsageException($"--resolution {res} is not supported: use 32 or 64");
        }
        if (parse.GetValue(opt.Width) is { } width && !(double.IsFinite(width) && width > 0 && width <= 4))
        {
            throw new UsageException($"--width {parse.Raw(opt.Width)}: give a finite number in (0, 4]");
        }
        if (parse.GetValue(opt.PerFamily) is { } perFamily)
        {
            ShapeSets.CheckPerFamily(perFamily, 2);
            if (parse.GetValue(opt.Resume) is null
                && (parse.GetValue(opt.Pairs) is not null || !string.Equals(parse.GetValue(opt.Data), "procedural", StringComparison.OrdinalIgnoreCase)))
            {
                throw new UsageException($"--per-family applies to --data procedural (the built-in families), not to {parse.GetValue(opt.Pairs) ?? parse.GetValue(opt.Data)}");
            }
        }
        if (parse.GetValue(opt.Iterations) is { } n && n < 1)
        {
            throw new UsageException($"--iterations {n}: give 1 or more");
        }
        if (parse.GetValue(opt.Batch) is { } b && (b < 2 || b > 4096))
        {
            throw new UsageException($"--batch-size {b}: give 2..4096 (batch norm needs at least 2 shapes)");
        }
        foreach (var cadence in new[] { opt.SampleEvery, opt.CheckpointEvery })
        {
            if (parse.GetValue(cadence) is { } every && every < 0)
            {
                throw new UsageException($"{cadence.Name} {every}: give 0 (never) or more");
            }
        }
        InRange(parse, opt.LrG, 0, false, 1, true);
        InRange(parse, opt.LrD, 0, false, 1, true);
        InRange(parse, opt.LrE, 0, false, 1, true);
        InRange(parse, opt.Threshold, 0, false, 1, true);
        InRange(parse, opt.GEma, 0, true, 1, false);
        InRange(parse, opt.KlWeight, 0, true, double.PositiveInfinity, false);
        InRange(parse, opt.InstanceNoise, 0, true, double.PositiveInfinity, false);
        InRange(parse, opt.R1, 0, true, double.PositiveInfinity, false);
        InRange(parse, opt.ModeSeeking, 0, true, double.PositiveInfinity, false);
        InRange(parse, opt.Beta1, 0, true, 1, false);
        InRange(parse, opt.Beta2, 0, true, 1, false);
        if (parse.GetValue(opt.MinibatchStdGroup) is { } group && group < 2)
        {
            throw new UsageException($"--minibatch-std-group {group}: give a whole number of 2 or more (shapes a group)");
        }
        if (parse.GetValue(opt.Pack) is { } pack && (pack < 1 || pack > GanArchitecture.MaxDiscriminatorPack))
        {
            throw new UsageException($"--pack {pack}: give a whole number of shapes in 1..{GanArchitecture.MaxDiscriminatorPack}");
        }
        if (parse.GetValue(opt.R1Every) is { } r1Every && r1Every is < 1 or > 1000)
        {
            throw new UsageException($"--r1-every {r1Every}: give a whole number in 1..1000");
        }
        if (parse.GetValue(opt.Grow) is { } grow && grow < 0)
        {
            throw new UsageException($"--grow {grow}: give a whole number of iterations ≥ 0");
        }
        if (parse.GetValue(opt.DSteps) is { } dSteps && dSteps is < 1 or > GanTrainingOptions.MaxDSteps)
        {
            throw new UsageException($"--d-steps {dSteps}: give a whole number in 1..{GanTrainingOptions.MaxDSteps}");
        }
        InRange(parse, opt.ReconWeight, 0, true, double.PositiveInfinity, false);
        InRange(parse, opt.OccupiedWeight, 0, false, 100, true);
        TrainCommand.Preset(parse.GetValue(opt.Preset), DeviceKind.Cpu); // only its name is checked here
        var latent = parse.GetValue(opt.Latent) is { } l ? TrainCommand.ParseLatent(l) : (LatentDistribution?)null;
        var loss = parse.GetValue(opt.Loss) is { } lossName ? ParseLoss(lossName) : (AdversarialLoss?)null;
        var dNorm = parse.GetValue(opt.DNorm) is { } normName ? ParseDNorm(normName) : (DiscriminatorNorm?)null;
        ViewSampling? views = null;
        if (parse.GetValue(opt.Azimuth) is not null || parse.GetValue(opt.Elevation) is not null)
        {
            var defaults = new ViewSampling();
            var (azMin, azMax) = TrainCommand.ParseRange("--azimuth", parse.GetValue(opt.Azimuth), (defaults.AzimuthMin, defaults.AzimuthMax));
            var (elMin, elMax) = TrainCommand.ParseRange("--elevation", parse.GetValue(opt.Elevation), (defaults.ElevationMin, defaults.ElevationMax));
            views = new ViewSampling { AzimuthMin = azMin, AzimuthMax = azMax, ElevationMin = elMin, ElevationMax = elMax };
            try
            {
                views.Validate();
            }
            catch (ArgumentException ex)
            {
                throw new UsageException($"--azimuth/--elevation: {ex.Message}");
            }
        }
        var backend = CliDevices.Create(parse.GetValue(opt.Device)!, parse.GetValue(opt.Threads));
        CliDevices.ApplyPrecision(backend, parse.GetValue(opt.Precision)!);
        return new GivenOptions(isVae, latent, views, backend) { Loss = loss, DNorm = dNorm, IsLatent = isLatent };
    }

    /// <summary>The flag that asks for a penalty on D's input gradient ("--r1 10", "--loss wgan-gp"), or null.</summary>
    private static string? Penalised(ParseResult parse, TrainOptions opt, AdversarialLoss? loss) =>
        parse.GetValue(opt.R1) > 0 ? $"--r1 {parse.Raw(opt.R1)}" : loss == AdversarialLoss.WassersteinGp ? "--loss wgan-gp" : null;

    /// <summary>
    /// Refuses a penalty on D's input gradient (R1's, WGAN-GP's: batch norm's statistics would enter it) that the resolved
    /// options would give a D with batch norm (the 3D-VAE-GAN's, the paper preset's, or one asked for): the library's own
    /// check, worded with the flags.
    /// </summary>
    public static void CheckPenaltyNorm(ParseResult parse, TrainOptions opt, GivenOptions given, GanTrainingOptions options)
    {
        if (options.Architecture.DiscriminatorNorm == DiscriminatorNorm.Batch && Penalised(parse, opt, given.Loss) is { } penalised)
        {
            throw new UsageException($"{penalised}: its gradient penalty needs D without batch norm; add --d-norm spectral or --d-norm none");
        }
    }

    /// <summary>
    /// Refuses a --pack or --minibatch-std-group that the resolved options cannot use: a batch size the pack does not
    /// divide, a group without the channel (the standard and paper presets' D, or --minibatch-std false) or not dividing
    /// the packs of a batch, or a pack with WGAN-GP; the library's own checks, worded with the flags.
    /// </summary>
    public static void CheckDiscriminatorBatch(ParseResult parse, TrainOptions opt, GanTrainingOptions options)
    {
        int pack = options.Architecture.DiscriminatorPack;
        if (parse.GetValue(opt.Pack) is { } given)
        {
            if (options.BatchSize % given != 0)
            {
                throw new UsageException($"--pack {given}: the batch size {options.BatchSize} is not a multiple of it; pass --batch-size a multiple of {given}");
            }
            if (given > 1 && options.Loss == AdversarialLoss.WassersteinGp)
            {
                throw new UsageException($"--pack {given}: WGAN-GP's penalty is on single shapes; use --loss bce or hinge");
            }
        }
        if (parse.GetValue(opt.MinibatchStdGroup) is not { } group)
        {
            return;
        }
        if (!options.Architecture.MinibatchStd)
        {
            throw new UsageException($"--minibatch-std-group {group}: this run's D has no minibatch std channel; add --minibatch-std");
        }
        int packs = options.BatchSize / pack;
        if (packs % group != 0)
        {
            throw new UsageException(pack == 1
                ? $"--minibatch-std-group {group}: the batch size {options.BatchSize} is not a multiple of it; pass --batch-size a multiple of {group}"
                : $"--minibatch-std-group {group}: D sees {packs} packs of {pack} shapes a batch, not a multiple of it; pass --batch-size a multiple of {group * pack}");
        }
    }

    /// <summary>The loss as --loss names it.</summary>
    public static string LossName(AdversarialLoss loss) => loss == AdversarialLoss.WassersteinGp ? "wgan-gp" : loss.ToString().ToLowerInvariant();

    private static AdversarialLoss ParseLoss(string value) => value.ToLowerInvariant() switch
    {
        "bce" => AdversarialLoss.Bce,
        "hinge" => AdversarialLoss.Hinge,
        "wgan-gp" => AdversarialLoss.WassersteinGp,
        _ => throw new UsageException($"--loss {value}: use bce, hinge or wgan-gp"),
    };

    private static DiscriminatorNorm ParseDNorm(string value) => value.ToLowerInvariant() switch
    {
        "batch" => DiscriminatorNorm.Batch,
        "spectral" => DiscriminatorNorm.Spectral,
        "none" => DiscriminatorNorm.None,
        _ => throw new UsageException($"--d-norm {value}: use batch, spectral or none"),
    };

    /// <summary>What the options of a new run replace in its preset (the resolution is the caller's: it may come from the data).</summary>
    public static TrainingOverrides Overrides(ParseResult parse, TrainOptions opt, GivenOptions given) => new()
    {
        Width = parse.GetValue(opt.Width),
        BatchSize = parse.GetValue(opt.Batch),
        LearningRateG = parse.GetValue(opt.LrG),
        LearningRateD = parse.GetValue(opt.LrD),
        DAccuracyThreshold = parse.GetValue(opt.Threshold),
        Latent = given.Latent,
        GeneratorEma = parse.GetValue(opt.GEma),
        Seed = parse.GetValue(opt.Seed),
        ImageSize = parse.GetValue(opt.ImageSize),
        Rgb = parse.GetValue(opt.Rgb),
        KlWeight = parse.GetValue(opt.KlWeight),
        ReconstructionWeight = parse.GetValue(opt.ReconWeight),
        OccupiedWeight = parse.GetValue(opt.OccupiedWeight),
        LearningRateE = parse.GetValue(opt.LrE),
        Views = given.Views,
        Loss = given.Loss,
        DiscriminatorNorm = given.DNorm,
        MinibatchStd = parse.IsGiven(opt.MinibatchStd) ? parse.GetValue(opt.MinibatchStd) : null,
        MinibatchStdGroup = parse.GetValue(opt.MinibatchStdGroup),
        DiscriminatorPack = parse.GetValue(opt.Pack),
        R1Gamma = parse.GetValue(opt.R1),
        R1Every = parse.GetValue(opt.R1Every),
        DSteps = parse.GetValue(opt.DSteps),
        GrowIterations = parse.GetValue(opt.Grow),
        Beta1 = parse.GetValue(opt.Beta1),
        Beta2 = parse.GetValue(opt.Beta2),
        ModeSeeking = parse.GetValue(opt.ModeSeeking),
        InstanceNoise = parse.GetValue(opt.InstanceNoise),
    };

    /// <summary>A float option must be finite and inside its range (1e39 parses to ∞, which no setting can take).</summary>
    private static void InRange(ParseResult parse, Option<float?> option, double min, bool minIncluded, double max, bool maxIncluded)
    {
        if (parse.GetValue(option) is not { } v)
        {
            return;
        }
        bool ok = float.IsFinite(v) && (minIncluded ? v >= min : v > min) && (maxIncluded ? v <= max : v < max);
        if (!ok)
        {
            string range = double.IsPositiveInfinity(max)
                ? $"{(minIncluded ? "≥" : ">")} {min.ToString(CultureInfo.InvariantCulture)}"
                : $"in {(minIncluded ? "[" : "(")}{min.ToString(CultureInfo.InvariantCulture)}, {max.ToString(CultureInfo.InvariantCulture)}{(maxIncluded ? "]" : ")")}";
            throw new UsageException($"{option.Name} {parse.Raw(option)}: give a finite number {range}");
        }
    }
}
