using Gan3D.Data;
using static Gan3D.Tests.Cli.CliRunner;

namespace Gan3D.Tests.Cli;

/// <summary>gan3d train's bad inputs: each one line, exit code 2, and no run directory left behind.</summary>
public sealed class TrainCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("gan3d-train-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string P(string name) => Path.Combine(_dir, name);

    private void AssertRefused(string expected, params string[] args)
    {
        string output = P("run-" + Guid.NewGuid().ToString("N")[..8]);
        AssertBadInput(Run(["train", .. args, "--out", output, "--device", "cpu"]), expected);
        Assert.False(Directory.Exists(output), "a refused run must not leave a run directory");
    }

    [Fact]
    public void MissingEmptyMixedAndNonVoxelDataAreRefused()
    {
        AssertRefused("nope.npy: no such file or folder", "--data", P("nope.npy"));
        Directory.CreateDirectory(P("empty"));
        AssertRefused("empty: the folder holds no", "--data", P("empty"));
        Directory.CreateDirectory(P("mixed"));
        ShapeFamilies.CreateDataset(1, 32, families: ["mug"]).SaveNpy(P("mixed/a.npy"));
        ShapeFamilies.CreateDataset(1, 16, families: ["mug"]).SaveNpy(P("mixed/b.npy"));
        AssertRefused("a dataset needs one resolution", "--data", P("mixed"));
        NpyFile.WriteFloat32(P("z.npy"), [2, 200], new float[400]);
        AssertRefused("z.npy: shape (2, 200) is not a voxel grid", "--data", P("z.npy"));
        File.WriteAllText(P("text.npy"), "hello");
        AssertRefused("text.npy: not a NumPy .npy file", "--data", P("text.npy"));
    }

    [Fact]
    public void ImpossibleSettingsAreRefused()
    {
        ShapeFamilies.CreateDataset(1, 32, families: ["mug", "vase"]).SaveNpy(P("two.npy"));
        AssertRefused("--batch-size 8 is larger than the 2 shapes in", "--data", P("two.npy"), "--batch-size", "8");
        AssertRefused("--resolution 48 is not supported", "--resolution", "48");
        AssertRefused("--preset fast: use one of quick, standard, paper", "--preset", "fast");
        AssertRefused("--latent cauchy", "--latent", "cauchy");
        AssertRefused("--g-ema 1: give a finite number in [0, 1)", "--g-ema", "1");
    }

    [Fact]
    public void TheQuickPresetKeepsAMovingAverageOfGAndGEmaZeroTurnsItOff()
    {
        string Train(string name, params string[] extra)
        {
            string output = P(name);
            var r = Run(["train", "--preset", "quick", "--width", "0.125", "--iterations", "2", "--batch-size", "4", "--device", "cpu",
                "--sample-every", "1000", "--checkpoint-every", "1000", "--out", output, .. extra]);
            Assert.True(r.Code == 0, r.Err);
            return Path.Combine(output, "checkpoint.safetensors");
        }
        var quick = Gan3D.Models.Checkpoint.Open(Train("default"));
        Assert.True(quick.HasModule("G_ema"));
        Assert.Equal(0.995f, Gan3D.Models.GanTrainingOptions.FromJson(quick.Get("config"), "test").GeneratorEma);
        Assert.False(Gan3D.Models.Checkpoint.Open(Train("off", "--g-ema", "0")).HasModule("G_ema"));
    }

    [Fact]
    public void EveryOptionOverThePresetReachesTheRunsSettings()
    {
        Gan3D.Models.GanTrainingOptions Settings(string name, params string[] args)
        {
            string output = P(name);
            var r = Run(["train", "--preset", "quick", "--width", "0.125", "--iterations", "1", "--batch-size", "4", "--device", "cpu",
                "--sample-every", "0", "--checkpoint-every", "0", "--out", output, .. args]);
            Assert.True(r.Code == 0, r.Err);
            using var config = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(output, "config.json")));
            string training = config.RootElement.GetProperty("training").GetRawText();
            return args.Contains("vae-gan")
                ? Gan3D.Models.VaeGanTrainingOptions.FromJson(training, name)
                : Gan3D.Models.GanTrainingOptions.FromJson(training, name);
        }

        Assert.Equal(new Gan3D.Models.GanTrainingOptions
        {
            // The quick preset's 3D-GAN D (no norm, a minibatch std channel, R1 γ 10 every 4th update) under the given rate and threshold.
            Architecture = new Gan3D.Models.GanArchitecture(32, 0.125) { DiscriminatorNorm = Gan3D.Models.DiscriminatorNorm.None, MinibatchStd = true },
            BatchSize = 4,
            LearningRateG = 0.001f,
            LearningRateD = 0.002f,
            DAccuracyThreshold = 0.7f,
            Latent = Gan3D.Models.LatentDistribution.Uniform,
            GeneratorEma = 0.5f,
            R1Gamma = 10f,
            R1Every = 4,
            Seed = 3,
        }, Settings("gan", "--lr-g", "0.001", "--lr-d", "0.002", "--d-threshold", "0.7", "--latent", "uniform", "--g-ema", "0.5", "--seed", "3"));

        Assert.Equal(new Gan3D.Models.VaeGanTrainingOptions
        {
            Architecture = new Gan3D.Models.GanArchitecture(32, 0.125),
            BatchSize = 4,
            LearningRateG = 0.0025f,
            LearningRateD = 1e-4f,
            Latent = Gan3D.Models.LatentDistribution.Normal,
            GeneratorEma = 0f,
            Seed = 4,
            ImageSize = 16,
            Rgb = true,
            KlWeight = 2f,
            ReconstructionWeight = 0.01f,
            LearningRateE = 0.003f,
            Views = new Gan3D.Models.ViewSampling { AzimuthMin = 10, AzimuthMax = 20, ElevationMin = 5, ElevationMax = 15 },
        }, Settings("vae", "--model", "vae-gan", "--seed", "4", "--image-size", "16", "--rgb", "--kl-weight", "2", "--recon-weight", "0.01",
            "--lr-e", "0.003", "--azimuth", "10:20", "--elevation", "5:15"));
    }

    [Fact]
    public void CudaWithoutAGpuIsRefused()
    {
        if (Gan3D.Tensors.IlgpuBackend.ListCudaDevices().Count > 0)
        {
            Assert.Skip("this machine has a CUDA device");
        }
        string output = P("run-cuda");
        AssertBadInput(Run("train", "--device", "cuda", "--out", output), "no CUDA device found");
        Assert.False(Directory.Exists(output));
    }

    [Fact]
    public void ATruncatedCheckpointIsRefusedAndLeftAsItWas()
    {
        string path = P("trunc.safetensors");
        var bytes = new byte[64];
        BitConverter.TryWriteBytes(bytes, 5000L);
        File.WriteAllBytes(path, bytes);
        AssertBadInput(Run("train", "--resume", path), "trunc.safetensors: header declares 5000 bytes");
        AssertBadInput(Run("sample", "--checkpoint", path, "--out", P("s")), "trunc.safetensors");
        Assert.Equal(bytes, File.ReadAllBytes(path));
    }
}
