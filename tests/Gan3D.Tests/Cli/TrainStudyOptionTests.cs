using Gan3D.Models;
using static Gan3D.Tests.Cli.CliRunner;

namespace Gan3D.Tests.Cli;

/// <summary>gan3d train's options of the recipe study (issue 17): each reaches the run's settings, is checked, and is kept on resume.</summary>
public sealed class TrainStudyOptionTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("gan3d-train-arms-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string P(string name) => Path.Combine(_dir, name);

    private (int Code, string Out, string Err) Train(string name, params string[] args) =>
        Run(["train", "--preset", "quick", "--width", "0.125", "--iterations", "1", "--batch-size", "4", "--device", "cpu",
            "--sample-every", "0", "--checkpoint-every", "0", "--out", P(name), .. args]);

    private GanTrainingOptions Settings(string name, params string[] args)
    {
        var r = Train(name, args);
        Assert.True(r.Code == 0, r.Err);
        using var config = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(P(name), "config.json")));
        string training = config.RootElement.GetProperty("training").GetRawText();
        return args.Contains("vae-gan") ? VaeGanTrainingOptions.FromJson(training, name)
            : args.Contains("latent") ? LatentModelOptions.FromJson(training, name)
            : GanTrainingOptions.FromJson(training, name);
    }

    private void AssertRefused(string expected, params string[] args)
    {
        string output = P("run-" + Guid.NewGuid().ToString("N")[..8]);
        // One iteration: a check that wrongly lets the run start fails in seconds, not after a whole preset's run.
        AssertBadInput(Run(["train", .. args, "--iterations", "1", "--out", output, "--device", "cpu"]), expected);
        Assert.False(Directory.Exists(output), "a refused run must not leave a run directory");
    }

    [Fact]
    public void TheLossReachesEitherModelAndIsKeptOnResume()
    {
        var quick = TrainingPreset.Quick.GanOptions(new TrainingOverrides { Width = 0.125, BatchSize = 4 });
        Assert.Equal(quick, Settings("bce"));
        Assert.Equal(quick with { Loss = AdversarialLoss.Hinge }, Settings("hinge", "--loss", "hinge"));
        Assert.Equal(AdversarialLoss.Hinge, Settings("vae", "--model", "vae-gan", "--image-size", "16", "--loss", "HINGE").Loss);
        AssertRefused("--loss wasserstein: use bce, hinge or wgan-gp", "--loss", "wasserstein");
        // WGAN-GP's critic has no sign to be accurate with: the rule is off unless asked for, and D must lose its batch norm.
        var wgan = Settings("wgan", "--loss", "wgan-gp", "--d-norm", "none");
        Assert.Equal((AdversarialLoss.WassersteinGp, 1f), (wgan.Loss, wgan.DAccuracyThreshold));
        Assert.Equal(0.9f, Settings("wgan-rule", "--loss", "wgan-gp", "--d-norm", "spectral", "--d-threshold", "0.9").DAccuracyThreshold);
        AssertRefused("--loss wgan-gp: its gradient penalty needs D without batch norm; add --d-norm spectral or --d-norm none", "--loss", "wgan-gp");

        string ck = Path.Combine(P("hinge"), "checkpoint.safetensors");
        AssertBadInput(Run("train", "--resume", P("hinge"), "--loss", "bce", "--device", "cpu"), $"--loss bce contradicts {ck}, trained with hinge");
        var resumed = Run("train", "--resume", P("hinge"), "--loss", "hinge", "--iterations", "2", "--device", "cpu");
        Assert.True(resumed.Code == 0, resumed.Err);
        Assert.Contains("hinge loss", resumed.Out);
        string wganCk = Path.Combine(P("wgan"), "checkpoint.safetensors");
        AssertBadInput(Run("train", "--resume", P("wgan"), "--loss", "hinge", "--device", "cpu"), $"--loss hinge contradicts {wganCk}, trained with wgan-gp");
        var wganResumed = Run("train", "--resume", P("wgan"), "--iterations", "2", "--device", "cpu");
        Assert.True(wganResumed.Code == 0, wganResumed.Err);
        Assert.Contains("wgan-gp loss", wganResumed.Out);
    }

    [Fact]
    public void DsNormalisationReachesTheArchitectureAndIsKeptOnResume()
    {
        var quick = TrainingPreset.Quick.GanOptions(new TrainingOverrides { Width = 0.125, BatchSize = 4 });
        var spectral = Settings("spectral", "--d-norm", "spectral");
        Assert.Equal(quick with { Architecture = quick.Architecture with { DiscriminatorNorm = DiscriminatorNorm.Spectral } }, spectral);
        Assert.Equal(DiscriminatorNorm.None, Settings("none", "--d-norm", "none").Architecture.DiscriminatorNorm);
        Assert.Equal(DiscriminatorNorm.Batch, Settings("batch", "--d-norm", "batch").Architecture.DiscriminatorNorm);
        AssertRefused("--d-norm layer: use batch, spectral or none", "--d-norm", "layer");

        string ck = Path.Combine(P("spectral"), "checkpoint.safetensors");
        AssertBadInput(Run("train", "--resume", P("spectral"), "--d-norm", "batch", "--device", "cpu"), $"--d-norm batch contradicts {ck}, trained with spectral");
        var resumed = Run("train", "--resume", P("spectral"), "--iterations", "2", "--device", "cpu");
        Assert.True(resumed.Code == 0, resumed.Err);
        Assert.Contains("D spectral norm", resumed.Out);
        // The commands that read a checkpoint build the same D.
        Gan3D.Data.ShapeFamilies.CreateDataset(1, 32, families: ["mug", "vase"]).SaveNpy(P("two.npy"));
        var features = Run("features", "--checkpoint", ck, "--data", P("two.npy"), "--out", P("features.npy"), "--device", "cpu");
        Assert.True(features.Code == 0, features.Err);
    }

    [Fact]
    public void MinibatchStdReachesTheArchitectureAndIsKeptOnResume()
    {
        // The quick preset's 3D-GAN D has the channel; --minibatch-std false removes it, --d-norm batch gives the paper's D
        // (1e-4, the 80% rule, no R1) without it unless --minibatch-std adds it.
        var quick = TrainingPreset.Quick.GanOptions(new TrainingOverrides { Width = 0.125, BatchSize = 4 });
        Assert.True(quick.Architecture.MinibatchStd);
        Assert.Equal(quick, Settings("mbstd", "--minibatch-std"));
        Assert.Equal(quick with { Architecture = quick.Architecture with { MinibatchStd = false } }, Settings("plain", "--minibatch-std", "false"));
        var paperD = quick with
        {
            LearningRateD = 1e-4f,
            DAccuracyThreshold = 0.8f,
            R1Gamma = 0f,
            R1Every = 1,
            Architecture = quick.Architecture with { DiscriminatorNorm = DiscriminatorNorm.Batch, MinibatchStd = false },
        };
        Assert.Equal(paperD, Settings("bn", "--d-norm", "batch"));
        Assert.Equal(paperD with { Architecture = paperD.Architecture with { MinibatchStd = true } }, Settings("mbstd-bn", "--minibatch-std", "--d-norm", "batch"));
        AssertBadInput(Run("train", "--resume", P("plain"), "--minibatch-std", "--device", "cpu"),
            $"--minibatch-std contradicts {Path.Combine(P("plain"), "checkpoint.safetensors")}, trained without it");
        AssertBadInput(Run("train", "--resume", P("mbstd"), "--minibatch-std", "false", "--device", "cpu"),
            $"--minibatch-std false contradicts {Path.Combine(P("mbstd"), "checkpoint.safetensors")}, trained with it");
        var resumed = Run("train", "--resume", P("mbstd"), "--iterations", "2", "--device", "cpu");
        Assert.True(resumed.Code == 0, resumed.Err);
        Assert.Contains("D minibatch std", resumed.Out);
        var sample = Run("sample", "--checkpoint", Path.Combine(P("mbstd"), "checkpoint.safetensors"), "--count", "2", "--out", P("samples"), "--device", "cpu");
        Assert.True(sample.Code == 0, sample.Err);
    }

    [Fact]
    public void ConditionalTakesTheDatasLabelsIsKeptOnResumeAndSamplesCarryThem()
    {
        var conditional = Settings("cond", "--conditional");
        Assert.Equal(Gan3D.Data.ShapeFamilies.Names, conditional.ClassNames!);
        int perFamily = TrainingPreset.Quick.PerFamily(vae: false, latent: false);
        Assert.Equal(Enumerable.Repeat(perFamily, 12), conditional.ClassCounts!);
        var quick = TrainingPreset.Quick.GanOptions(new TrainingOverrides { Width = 0.125, BatchSize = 4 });
        Assert.Equal(quick.Architecture with { Classes = 12 }, conditional.Architecture);

        string ck = Path.Combine(P("cond"), "checkpoint.safetensors");
        AssertBadInput(Run("train", "--resume", P("cond"), "--conditional", "false", "--device", "cpu"),
            $"--conditional false contradicts {ck}, trained conditional on 12 classes");
        Assert.True(Train("plain").Code == 0);
        AssertBadInput(Run("train", "--resume", P("plain"), "--conditional", "--device", "cpu"),
            $"--conditional contradicts {Path.Combine(P("plain"), "checkpoint.safetensors")}, trained without labels");
        var resumed = Run("train", "--resume", P("cond"), "--iterations", "2", "--device", "cpu");
        Assert.True(resumed.Code == 0, resumed.Err);
        Assert.Contains("conditional on 12 classes (chair " + perFamily, resumed.Out);

        // The codes a sample writes are z followed by a one-hot label.
        var sample = Run("sample", "--checkpoint", ck, "--count", "5", "--out", P("samples"), "--device", "cpu");
        Assert.True(sample.Code == 0, sample.Err);
        var (shape, codes) = Gan3D.Data.NpyFile.ReadFloat32(Path.Combine(P("samples"), "z.npy"));
        int zd = quick.Architecture.LatentDim;
        Assert.Equal([5, zd + 12], shape);
        for (int i = 0; i < 5; i++)
        {
            var label = codes.AsSpan(i * (zd + 12) + zd, 12).ToArray();
            Assert.Equal((11, 1f), (label.Count(v => v == 0f), label.Sum()));
        }
        var vases = Run("sample", "--checkpoint", ck, "--count", "3", "--class", "vase", "--out", P("vases"), "--device", "cpu");
        Assert.True(vases.Code == 0, vases.Err);
        var (_, vaseCodes) = Gan3D.Data.NpyFile.ReadFloat32(Path.Combine(P("vases"), "z.npy"));
        int vase = Gan3D.Data.ShapeFamilies.Names.ToList().IndexOf("vase");
        Assert.All(Enumerable.Range(0, 3), i =>
        {
            var label = vaseCodes.AsSpan(i * (zd + 12) + zd, 12).ToArray();
            Assert.Equal((vase, 1f), (Array.IndexOf(label, 1f), label.Sum()));
        });
        AssertBadInput(Run("sample", "--checkpoint", ck, "--class", "teapot", "--out", P("teapots"), "--device", "cpu"),
            $"{ck}: no class 'teapot'; its classes are chair, table");
        AssertBadInput(Run("sample", "--checkpoint", Path.Combine(P("plain"), "checkpoint.safetensors"), "--class", "vase", "--out", P("plain-vases"), "--device", "cpu"),
            "trained without labels");
        var interpolated = Run("interpolate", "--checkpoint", ck, "--steps", "3", "--out", P("between"), "--device", "cpu");
        Assert.True(interpolated.Code == 0, interpolated.Err);

        AssertRefused("--conditional applies to --model 3d-gan", "--model", "vae-gan", "--conditional");
        AssertRefused("--conditional does not apply to --model latent", "--model", "latent", "--conditional");
        AssertRefused("does not take --pack 2", "--conditional", "--pack", "2");
        Gan3D.Data.ShapeFamilies.CreateDataset(2, 32, families: ["mug", "vase"]).SaveNpy(P("mugs.npy"));
        AssertRefused($"{P("mugs.npy")}: a conditional GAN needs at least two classes, and every shape is labelled 'mugs'",
            "--conditional", "--data", P("mugs.npy"), "--batch-size", "2", "--width", "0.125");
    }

    /// <summary>A resume of <paramref name="run"/> refuses <paramref name="option"/> with another value and continues without it, as saved.</summary>
    private void AssertKeptOnResume(string run, string option, string other, string saved, string printed)
    {
        AssertBadInput(Run("train", "--resume", P(run), option, other, "--device", "cpu"),
            $"{option} {other} contradicts {Path.Combine(P(run), "checkpoint.safetensors")}, trained with {saved}");
        var resumed = Run("train", "--resume", P(run), "--iterations", "2", "--device", "cpu");
        Assert.True(resumed.Code == 0, resumed.Err);
        Assert.Contains(printed, resumed.Out);
    }

    [Fact]
    public void MinibatchStdGroupReachesTheArchitectureAndIsChecked()
    {
        var quick = TrainingPreset.Quick.GanOptions(new TrainingOverrides { Width = 0.125, BatchSize = 4 });
        Assert.Equal(quick with { Architecture = quick.Architecture with { MinibatchStdGroup = 2 } }, Settings("pairs", "--minibatch-std-group", "2"));
        AssertKeptOnResume("pairs", "--minibatch-std-group", "4", "2", "D minibatch std in groups of 2");
        AssertRefused("--minibatch-std-group 1: give a whole number of 2 or more", "--minibatch-std-group", "1");
        AssertRefused("--minibatch-std-group 4: this run's D has no minibatch std channel; add --minibatch-std", "--preset", "standard", "--minibatch-std-group", "4");
        AssertRefused("--minibatch-std-group 4: this run's D has no minibatch std channel", "--minibatch-std", "false", "--minibatch-std-group", "4");
        AssertRefused("--minibatch-std-group 5: the batch size 16 is not a multiple of it; pass --batch-size a multiple of 5", "--minibatch-std-group", "5");
        AssertRefused("--minibatch-std-group 3: D sees 8 packs of 4 shapes a batch, not a multiple of it; pass --batch-size a multiple of 12",
            "--minibatch-std-group", "3", "--pack", "4", "--batch-size", "32");
    }

    [Fact]
    public void PackReachesTheArchitectureAndIsChecked()
    {
        var quick = TrainingPreset.Quick.GanOptions(new TrainingOverrides { Width = 0.125, BatchSize = 4 });
        Assert.Equal(quick with { Architecture = quick.Architecture with { DiscriminatorPack = 2 } }, Settings("pack", "--pack", "2"));
        AssertKeptOnResume("pack", "--pack", "1", "2", "D packs 2 shapes");
        AssertBadInput(Run("classify", "--checkpoint", Path.Combine(P("pack"), "checkpoint.safetensors"), "--data", "procedural", "--per-family", "4", "--device", "cpu"),
            "judges 2 shapes together (trained with a pack): it has no features of a single shape");
        AssertRefused("--pack 9: give a whole number of shapes in 1..8", "--pack", "9");
        AssertRefused("--pack 0: give a whole number of shapes in 1..8", "--pack", "0");
        AssertRefused("--pack 3: the batch size 16 is not a multiple of it; pass --batch-size a multiple of 3", "--pack", "3");
        AssertRefused("--pack 2: WGAN-GP's penalty is on single shapes; use --loss bce or hinge", "--pack", "2", "--loss", "wgan-gp", "--d-norm", "none");
        AssertRefused("--pack does not apply to --model latent", "--model", "latent", "--pack", "2");
    }

    [Fact]
    public void ModeSeekingReachesTheRunAndIsChecked()
    {
        var quick = TrainingPreset.Quick.GanOptions(new TrainingOverrides { Width = 0.125, BatchSize = 4 });
        Assert.Equal(quick with { ModeSeeking = 0.05f }, Settings("ms", "--mode-seeking", "0.05"));
        AssertKeptOnResume("ms", "--mode-seeking", "0.1", "0.05", "G's mode-seeking term λ 0.05");
        Assert.Contains("loss_mode_seeking", File.ReadLines(Path.Combine(P("ms"), "metrics.csv")).First());
        AssertRefused("--mode-seeking -1: give a finite number ≥ 0", "--mode-seeking", "-1");
        AssertRefused("--mode-seeking applies to --model 3d-gan", "--model", "vae-gan", "--mode-seeking", "1");
        AssertRefused("--mode-seeking does not apply to --model latent", "--model", "latent", "--mode-seeking", "1");
    }

    [Fact]
    public void InstanceNoiseFallsOverTheRunsIterationsAndIsChecked()
    {
        var quick = TrainingPreset.Quick.GanOptions(new TrainingOverrides { Width = 0.125, BatchSize = 4 });
        Assert.Equal(quick with { InstanceNoise = 0.1f, InstanceNoiseIterations = 1 }, Settings("noise", "--instance-noise", "0.1"));
        Assert.Equal(0f, Settings("off", "--instance-noise", "0").InstanceNoise);
        AssertRefused("--instance-noise -0.5: give a finite number ≥ 0", "--instance-noise", "-0.5");
        string ck = Path.Combine(P("noise"), "checkpoint.safetensors");
        AssertBadInput(Run("train", "--resume", P("noise"), "--instance-noise", "0.2", "--device", "cpu"), $"--instance-noise 0.2 contradicts {ck}, trained with 0.1");
    }

    [Fact]
    public void TheR1PenaltyReachesTheRunNeedsADWithoutBatchNormAndIsKeptOnResume()
    {
        var quick = TrainingPreset.Quick.GanOptions(new TrainingOverrides { Width = 0.125, BatchSize = 4 });
        // The quick preset's 3D-GAN has R1 (γ 10, every 4th update) on a D without norm; the flags replace its values.
        Assert.Equal((DiscriminatorNorm.None, 10f, 4), (quick.Architecture.DiscriminatorNorm, quick.R1Gamma, quick.R1Every));
        var r1 = Settings("r1", "--d-norm", "spectral", "--r1", "5", "--r1-every", "2");
        Assert.Equal(quick with { R1Gamma = 5f, R1Every = 2, Architecture = quick.Architecture with { DiscriminatorNorm = DiscriminatorNorm.Spectral } }, r1);
        Assert.Equal(0f, Settings("r1-off", "--r1", "0").R1Gamma);
        AssertRefused("--r1 10: its gradient penalty needs D without batch norm; add --d-norm spectral or --d-norm none", "--r1", "10", "--d-norm", "batch");
        // The 3D-VAE-GAN's and the paper preset's D have batch norm.
        AssertRefused("--r1 10: its gradient penalty needs D without batch norm", "--model", "vae-gan", "--image-size", "16", "--r1", "10");
        AssertRefused("--r1 10: its gradient penalty needs D without batch norm", "--preset", "paper", "--r1", "10");
        AssertRefused("--r1 10: its gradient penalty needs D without batch norm", "--r1", "10", "--d-norm", "batch", "--minibatch-std");
        AssertRefused("--r1 -1: give a finite number ≥ 0", "--r1", "-1", "--d-norm", "none");
        AssertRefused("--r1-every 0: give a whole number in 1..1000", "--r1", "1", "--r1-every", "0", "--d-norm", "none");
        AssertRefused("--r1 does not apply to --model latent", "--model", "latent", "--r1", "1");

        string ck = Path.Combine(P("r1"), "checkpoint.safetensors");
        AssertBadInput(Run("train", "--resume", P("r1"), "--r1", "10", "--device", "cpu"), $"--r1 10 contradicts {ck}, trained with 5");
        var resumed = Run("train", "--resume", P("r1"), "--iterations", "2", "--device", "cpu");
        Assert.True(resumed.Code == 0, resumed.Err);
        Assert.Contains("R1 penalty γ 5 once every 2 updates of D", resumed.Out);
    }

    [Fact]
    public void AdamsBetasReachTheRunAreCheckedAndKeptOnResume()
    {
        var quick = TrainingPreset.Quick.GanOptions(new TrainingOverrides { Width = 0.125, BatchSize = 4 });
        Assert.Equal(quick with { Beta1 = 0f, Beta2 = 0.99f }, Settings("betas", "--beta1", "0", "--beta2", "0.99"));
        Assert.Equal(0.9f, Settings("vae-betas", "--model", "vae-gan", "--image-size", "16", "--beta2", "0.9").Beta2);
        AssertRefused("--beta2 1: give a finite number in [0, 1)", "--beta2", "1");
        AssertRefused("--beta1 -0.1: give a finite number in [0, 1)", "--beta1", "-0.1");
        AssertRefused("--beta1 does not apply to --model latent", "--model", "latent", "--beta1", "0.9");
        AssertKeptOnResume("betas", "--beta2", "0.999", "0.99", "Adam β 0 / 0.99");
    }

    [Fact]
    public void GrowingReachesTheRunIsCheckedAndKeptOnResume()
    {
        var quick = TrainingPreset.Quick.GanOptions(new TrainingOverrides { Width = 0.125, BatchSize = 4 });
        Assert.Equal(quick with { GrowIterations = 100 }, Settings("grow", "--grow", "100"));
        AssertRefused("--grow -1: give a whole number of iterations ≥ 0", "--grow", "-1");
        AssertRefused("--grow does not apply to --model latent", "--model", "latent", "--grow", "10");
        AssertKeptOnResume("grow", "--grow", "50", "100", "D sees half resolution for 100 iterations, fading to full over 100 more");
    }

    [Fact]
    public void DStepsReachTheRunAreCheckedAndKeptOnResume()
    {
        var quick = TrainingPreset.Quick.GanOptions(new TrainingOverrides { Width = 0.125, BatchSize = 4 });
        Assert.Equal(quick with { DSteps = 3 }, Settings("steps", "--d-steps", "3"));
        AssertRefused("--d-steps 0: give a whole number in 1..20", "--d-steps", "0");
        AssertRefused("--d-steps 21: give a whole number in 1..20", "--d-steps", "21");
        AssertRefused("--d-steps applies to --model 3d-gan", "--model", "vae-gan", "--image-size", "16", "--d-steps", "2");
        AssertRefused("--d-steps does not apply to --model latent", "--model", "latent", "--d-steps", "2");
        AssertKeptOnResume("steps", "--d-steps", "5", "3", "3 D updates a G step");
    }

    [Fact]
    public void TheLatentModelTrainsResumesAndIsEvaluatedAndRefusesAdversarialOptions()
    {
        var expected = TrainingPreset.Quick.LatentOptions(new TrainingOverrides { Width = 0.125, BatchSize = 4 });
        // A latent model's preset trains on 500 built-in shapes a family; 10 keep the test short.
        Assert.Equal(expected, Settings("latent", "--model", "latent", "--per-family", "10"));
        AssertRefused("--loss does not apply to --model latent (an autoencoder: nothing adversarial, no moving average)", "--model", "latent", "--loss", "hinge");
        AssertRefused("--g-ema does not apply to --model latent", "--model", "latent", "--g-ema", "0.99");
        AssertRefused("--model autoencoder: use 3d-gan, vae-gan or latent", "--model", "autoencoder");
        string ck = Path.Combine(P("latent"), "checkpoint.safetensors");
        AssertBadInput(Run("train", "--resume", P("latent"), "--minibatch-std", "--device", "cpu"),
            $"--minibatch-std does not apply to {ck}, a 3d-latent run");
        var resumed = Run("train", "--resume", P("latent"), "--iterations", "2", "--device", "cpu");
        Assert.True(resumed.Code == 0, resumed.Err);
        Assert.Contains("samples between each training code and its 10 nearest", resumed.Out);
        Assert.DoesNotContain("D acc", resumed.Out);
        Gan3D.Data.ShapeFamilies.CreateDataset(2, 32, families: ["mug", "vase"]).SaveNpy(P("four.npy"));
        var eval = Run("eval", "--checkpoint", ck, "--reference", P("four.npy"), "--json", "--device", "cpu");
        Assert.True(eval.Code == 0, eval.Err);
        Assert.Contains("\"samples\":4", eval.Out);
        // classify reads the encoder (D's network) and names its row for what it is.
        var classify = Run("classify", "--checkpoint", ck, "--data", "procedural", "--per-family", "3", "--device", "cpu");
        Assert.True(classify.Code == 0, classify.Err);
        Assert.Contains("latent encoder", classify.Out);
        Assert.Contains("per class (latent encoder features):", classify.Out);
        Assert.DoesNotContain("GAN discriminator", classify.Out);
        Assert.Contains("D as encoder; features of its latent encoder, on cpu", classify.Out + classify.Err);
    }

    [Fact]
    public void TheOccupiedWeightReachesTheLatentModelAndIsKeptOnResume()
    {
        var expected = TrainingPreset.Quick.LatentOptions(new TrainingOverrides { Width = 0.125, BatchSize = 4, OccupiedWeight = 2f });
        Assert.Equal(expected, Settings("weighted", "--model", "latent", "--per-family", "10", "--occupied-weight", "2"));
        AssertRefused("--occupied-weight applies to --model latent", "--occupied-weight", "2");
        AssertRefused("--occupied-weight 0: give a finite number in (0, 100]", "--model", "latent", "--occupied-weight", "0");
        string ck = Path.Combine(P("weighted"), "checkpoint.safetensors");
        AssertBadInput(Run("train", "--resume", P("weighted"), "--occupied-weight", "3", "--device", "cpu"), $"--occupied-weight 3 contradicts {ck}, trained with 2");
        var resumed = Run("train", "--resume", P("weighted"), "--occupied-weight", "2", "--iterations", "2", "--device", "cpu");
        Assert.True(resumed.Code == 0, resumed.Err);
        Assert.Contains("occupied voxels weighted 2;", resumed.Out);
        Assert.Equal(0, Train("gan").Code);
        AssertBadInput(Run("train", "--resume", P("gan"), "--occupied-weight", "2", "--device", "cpu"),
            $"--occupied-weight applies to latent runs; {Path.Combine(P("gan"), "checkpoint.safetensors")} is a 3d-gan run");
    }

    [Fact]
    public void PerFamilySetsTheBuiltInShapesAndIsKeptOnResume()
    {
        Assert.Equal(500, TrainingPreset.Quick.PerFamily(vae: false, latent: true));
        Assert.Equal(500, TrainingPreset.Quick.PerFamily(vae: false, latent: false));
        Assert.Equal(50, TrainingPreset.Quick.PerFamily(vae: true, latent: false));
        Assert.Equal(50, TrainingPreset.Standard.PerFamily(vae: false, latent: false));
        Settings("three", "--per-family", "3");
        using (var config = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(P("three"), "config.json"))))
        {
            Assert.Equal(3 * Gan3D.Data.ShapeFamilies.Names.Count, config.RootElement.GetProperty("shapes").GetInt32());
        }
        AssertRefused("--per-family 1 must be between 2 and 10000", "--per-family", "1");
        Gan3D.Data.ShapeFamilies.CreateDataset(2, 32, families: ["mug", "vase"]).SaveNpy(P("four.npy"));
        AssertRefused($"--per-family applies to --data procedural (the built-in families), not to {P("four.npy")}", "--data", P("four.npy"), "--per-family", "3");

        string ck = Path.Combine(P("three"), "checkpoint.safetensors");
        AssertBadInput(Run("train", "--resume", P("three"), "--per-family", "4", "--device", "cpu"),
            $"--per-family 4 contradicts {ck}, trained with 3 shapes a family");
        var resumed = Run("train", "--resume", P("three"), "--per-family", "3", "--iterations", "2", "--device", "cpu");
        Assert.True(resumed.Code == 0, resumed.Err);
        Assert.Contains("36 shapes", resumed.Out);
        // eval's '--training procedural' is the run's own 3 a family, whatever --per-family says of the reference.
        var eval = Run("eval", "--checkpoint", ck, "--reference", "procedural", "--per-family", "1", "--training", "procedural", "--json", "--device", "cpu");
        Assert.True(eval.Code == 0, eval.Err);
        Assert.Contains("\"training_shapes\":36", eval.Out);
        Assert.Contains("\"reference\":12", eval.Out);
        // A damaged note is a clear error before any shape is drawn.
        var file = Gan3D.Nn.SafeTensors.Load(ck);
        using var be = new Gan3D.Tensors.CpuBackend(threads: 1);
        var tensors = file.Tensors.ToDictionary(kv => kv.Key, kv => Gan3D.Tensors.Tensor.FromArray(kv.Value.Data, kv.Value.Shape, be));
        foreach (var (note, message) in new[] { ("100000000", "it notes 100000000 built-in shapes a family"), ("three", "is 'three', not a count of 1 or more") })
        {
            string damaged = P($"damaged-{note}.safetensors");
            Gan3D.Nn.SafeTensors.Save(damaged, tensors, new Dictionary<string, string>(file.Metadata) { ["run.procedural_per_family"] = note });
            AssertBadInput(Run("eval", "--checkpoint", damaged, "--reference", "procedural", "--per-family", "1", "--training", "procedural", "--device", "cpu"),
                $"{damaged}: " + (note == "three" ? "checkpoint metadata 'run.procedural_per_family' " : "") + message);
        }
        // A run from before the note resumes on the count it trained on (its shapes over the families), not the preset's.
        Directory.CreateDirectory(P("unnoted"));
        foreach (string f in Directory.GetFiles(P("three")))
        {
            File.Copy(f, Path.Combine(P("unnoted"), Path.GetFileName(f)));
        }
        var unnoted = new Dictionary<string, string>(file.Metadata);
        Assert.True(unnoted.Remove("run.procedural_per_family"));
        Gan3D.Nn.SafeTensors.Save(Path.Combine(P("unnoted"), "checkpoint.safetensors"), tensors, unnoted);
        var old = Run("train", "--resume", P("unnoted"), "--iterations", "2", "--device", "cpu");
        Assert.True(old.Code == 0, old.Err);
        Assert.Contains("36 shapes", old.Out);
        // eval reads the same count from such a checkpoint (the resume above noted it: strip it again).
        Gan3D.Nn.SafeTensors.Save(Path.Combine(P("unnoted"), "checkpoint.safetensors"), tensors, unnoted);
        var oldEval = Run("eval", "--checkpoint", Path.Combine(P("unnoted"), "checkpoint.safetensors"), "--reference", "procedural", "--per-family", "1", "--training", "procedural", "--json", "--device", "cpu");
        Assert.True(oldEval.Code == 0, oldEval.Err);
        Assert.Contains("\"training_shapes\":36", oldEval.Out);
        Settings("file", "--data", P("four.npy"));
        AssertBadInput(Run("train", "--resume", P("file"), "--per-family", "3", "--device", "cpu"),
            $"--per-family applies to runs on the built-in families; {Path.Combine(P("file"), "checkpoint.safetensors")} was trained on {P("four.npy")}");
    }
}
