using System.Text.Json;
using Gan3D.Tensors;

namespace Gan3D.Models;

/// <summary>The generator and discriminator of a 3D-GAN or 3D-VAE-GAN checkpoint, in eval mode.</summary>
public sealed class TrainedGan : IDisposable
{
    private TrainedGan(Generator3D g, Discriminator3D d, ImageEncoder? e, LatentDistribution latent, string model, Checkpoint checkpoint,
        NeighbourMixPrior? prior)
    {
        Prior = prior;
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

    /// <summary>A latent model's prior over its training shapes' codes (null for a 3D-GAN or 3D-VAE-GAN, which draw from <see cref="Latent"/>).</summary>
    public NeighbourMixPrior? Prior { get; }

    /// <summary>"3d-gan", "3d-vae-gan" or "3d-latent" (D is then the encoder).</summary>
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
        // The averaged generator, when the run kept one, is the one to sample from.
        string gPrefix = ck.HasModule(AdversarialTrainer.AveragePrefix) ? AdversarialTrainer.AveragePrefix : "G";
        EncoderArchitecture? encoder = model == VaeGanTrainer.Model ? VaeGanTrainingOptions.FromJson(ck.Get("config"), path).Encoder : null;
        // Everything about the file is checked before a model is built: a configuration that
        // promises a far larger network than the stored tensors would otherwise cost seconds and
        // gigabytes before the first shape mismatch, and NaN weights would sample NaN files.
        CheckShapes(ck, gPrefix, Generator3D.ConvWeightShapes(arch), arch.ToString());
        CheckShapes(ck, "D", Discriminator3D.ConvWeightShapes(arch), arch.ToString());
        if (encoder is not null)
        {
            CheckShapes(ck, "E", ImageEncoder.WeightShapes(encoder), "encoder " + encoder);
        }
        CheckFinite(ck, [gPrefix, "D", .. encoder is null ? Array.Empty<string>() : ["E"]]);
        var rng = new Rng(0);
        var g = new Generator3D(arch, backend, rng);
        var d = new Discriminator3D(arch, backend, rng);
        ck.LoadModule(gPrefix, g);
        ck.LoadModule("D", d);
        g.Eval();
        d.Eval();
        ImageEncoder? e = null;
        if (encoder is not null)
        {
            e = new ImageEncoder(encoder, backend, rng);
            ck.LoadModule("E", e);
            e.Eval();
        }
        return new TrainedGan(g, d, e, latent, model, ck, model == LatentModelTrainer.Model ? ReadPrior(ck, arch) : null)
        {
            Classes = arch.Classes > 0 ? ReadClasses(ck) : null,
        };
    }

    /// <summary>A latent model's prior: its stored training codes (checked) and the configuration's neighbours and margin.</summary>
    private static NeighbourMixPrior ReadPrior(Checkpoint ck, GanArchitecture arch)
    {
        var options = LatentModelOptions.FromJson(ck.Get("config"), ck.Path);
        if (ck.TryGetTensor(LatentModelTrainer.CodesKey) is not { } codes || codes.Shape.Rank != 2 || codes.Shape[1] != arch.LatentDim
            || codes.Shape[0] <= options.Neighbours)
        {
            throw new InvalidDataException($"{ck.Path}: a latent model needs its training codes '{LatentModelTrainer.CodesKey}' as (N > {options.Neighbours}, {arch.LatentDim})");
        }
        CheckFinite(ck, [LatentModelTrainer.CodesPrefix]);
        return new NeighbourMixPrior(codes.Data, codes.Shape[0], arch.LatentDim, options.Neighbours, options.Margin);
    }

    /// <summary>A conditional GAN's class names and counts from its configuration, checked as the trainer checks them.</summary>
    private static (IReadOnlyList<string>, IReadOnlyList<int>) ReadClasses(Checkpoint ck)
    {
        var options = GanTrainingOptions.FromJson(ck.Get("config"), ck.Path);
        try
        {
            options.Validate();
        }
        catch (ArgumentException ex)
        {
            throw new InvalidDataException($"{ck.Path}: {ex.Message}");
        }
        return (options.ClassNames!, options.ClassCounts!);
    }

    /// <summary>Each named weight must be stored under <paramref name="prefix"/> with the shape the configuration implies.</summary>
    private static void CheckShapes(Checkpoint ck, string prefix, IEnumerable<(string Name, Shape Shape)> expected, string configuration)
    {
        foreach (var (name, shape) in expected)
        {
            string key = prefix + "." + name;
            if (ck.TryGetTensor(key) is not { } stored)
            {
                throw new InvalidDataException($"{ck.Path}: missing tensor '{key}' {shape}, which its configuration ({configuration}) implies");
            }
            if (stored.Shape != shape)
            {
                throw new InvalidDataException($"{ck.Path}: tensor '{key}' has shape {stored.Shape} but the checkpoint's configuration ({configuration}) implies {shape}: the configuration does not match the weights");
            }
        }
    }

    /// <summary>Every stored tensor of the modules under <paramref name="prefixes"/> must be finite.</summary>
    private static void CheckFinite(Checkpoint ck, IEnumerable<string> prefixes)
    {
        foreach (string prefix in prefixes)
        {
            foreach (var (name, (_, data)) in ck.File.Tensors)
            {
                if (!name.StartsWith(prefix + ".", StringComparison.Ordinal))
                {
                    continue;
                }
                int bad = Array.FindIndex(data, v => !float.IsFinite(v));
                if (bad >= 0)
                {
                    throw new InvalidDataException($"{ck.Path}: tensor '{name}' holds {data[bad]} (element {bad} of {data.Length}); the weights are not usable");
                }
            }
        }
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

    /// <summary>A conditional GAN's classes in label order, and its training shapes of each (null for an unconditional one).</summary>
    public (IReadOnlyList<string> Names, IReadOnlyList<int> Counts)? Classes { get; private init; }

    /// <summary>G's codes: from the prior of a latent model, else from the run's distribution (a conditional GAN's labels in its training proportions).</summary>
    public float[] DrawLatent(int count, Rng rng) =>
        Prior?.Sample(count, rng) ?? Sampling.DrawCodes(count, Architecture, Latent, Classes?.Counts, rng);

    /// <summary>
    /// Gives each of the <paramref name="count"/> codes the one-hot label of <paramref name="className"/>: shapes of that class
    /// from a conditional GAN; a clear error naming <paramref name="source"/> for an unconditional checkpoint or an unknown class.
    /// </summary>
    public void SetClass(float[] codes, int count, string className, string source)
    {
        if (Classes is not { } classes)
        {
            throw new ArgumentException($"{source}: a class was asked for, but this {Model} was trained without labels (train --conditional makes a GAN that takes one)");
        }
        int label = classes.Names.ToList().IndexOf(className);
        if (label < 0)
        {
            throw new ArgumentException($"{source}: no class '{className}'; its classes are {string.Join(", ", classes.Names)}");
        }
        int zd = Architecture.LatentDim, width = Architecture.CodeSize;
        for (int i = 0; i < count; i++)
        {
            var onehot = codes.AsSpan(i * width + zd, classes.Names.Count);
            onehot.Clear();
            onehot[label] = 1f;
        }
    }

    public float[] Decode(float[] z, int count) => Sampling.Decode(G, z, count);

    public void Dispose()
    {
        G.Dispose();
        D.Dispose();
        E?.Dispose();
    }
}
