using System.Text.Json;
using Gan3D.Tensors;

namespace Gan3D.Models;

/// <summary>The generator and discriminator of a 3D-GAN or 3D-VAE-GAN checkpoint, in eval mode.</summary>
public sealed class TrainedGan : IDisposable
{
    private TrainedGan(Generator3D g, Discriminator3D d, ImageEncoder? e, LatentDistribution latent, string model, Checkpoint checkpoint)
    {
        E = e;
        G = g;
        D = d;
        Latent = latent;
        Model = model;
        Checkpoint = checkpoint;
    }

    public Generator3D G { get; }

    public Discriminator3D D { get; }

    /// <summary>The image encoder of a 3D-VAE-GAN checkpoint (null for a 3D-GAN).</summary>
    public ImageEncoder? E { get; }

    public LatentDistribution Latent { get; }

    /// <summary>"3d-gan" or "3d-vae-gan".</summary>
    public string Model { get; }

    public Checkpoint Checkpoint { get; }

    public GanArchitecture Architecture => G.Architecture;

    /// <summary>Reads G and D from a training checkpoint; a file that is not one is a clear error naming it.</summary>
    public static TrainedGan Load(string path, IBackend backend)
    {
        var ck = Checkpoint.Open(path);
        string model = ck.Get("model");
        var (arch, latent) = ReadArchitecture(ck);
        if (!ck.HasModule("G") || !ck.HasModule("D"))
        {
            throw new InvalidDataException($"{path}: the '{model}' checkpoint lacks a generator or a discriminator");
        }
        var rng = new Gan3D.Tensors.Generator(0);
        var g = new Generator3D(arch, backend, rng);
        var d = new Discriminator3D(arch, backend, rng);
        // The averaged generator, when the run kept one, is the one to sample from.
        ck.LoadModule(ck.HasModule(AdversarialTrainer.AveragePrefix) ? AdversarialTrainer.AveragePrefix : "G", g);
        ck.LoadModule("D", d);
        g.Eval();
        d.Eval();
        ImageEncoder? e = null;
        if (model == VaeGanTrainer.Model)
        {
            var options = VaeGanTrainingOptions.FromJson(ck.Get("config"), path);
            e = new ImageEncoder(options.Encoder, backend, rng);
            ck.LoadModule("E", e);
            e.Eval();
        }
        return new TrainedGan(g, d, e, latent, model, ck);
    }

    /// <summary>The architecture and latent distribution in a checkpoint's JSON configuration.</summary>
    public static (GanArchitecture Architecture, LatentDistribution Latent) ReadArchitecture(Checkpoint ck)
    {
        try
        {
            using var doc = JsonDocument.Parse(ck.Get("config"));
            var root = doc.RootElement;
            var arch = root.GetProperty(nameof(GanTrainingOptions.Architecture)).Deserialize<GanArchitecture>()
                ?? throw new InvalidDataException($"{ck.Path}: the configuration has no architecture");
            arch.Validate();
            var latent = root.TryGetProperty(nameof(GanTrainingOptions.Latent), out var l) && l.GetString() == nameof(LatentDistribution.Normal)
                ? LatentDistribution.Normal : LatentDistribution.Uniform;
            return (arch, latent);
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or ArgumentException or InvalidOperationException)
        {
            throw new InvalidDataException($"{ck.Path}: unreadable configuration in the checkpoint metadata ({ex.Message})");
        }
    }

    public float[] DrawLatent(int count, Gan3D.Tensors.Generator rng) =>
        Sampling.DrawLatent(count, Architecture.LatentDim, Latent, rng);

    public float[] Decode(float[] z, int count) => Sampling.Decode(G, z, count);

    public void Dispose()
    {
        G.Dispose();
        D.Dispose();
        E?.Dispose();
    }
}
