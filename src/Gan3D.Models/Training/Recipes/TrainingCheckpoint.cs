using System.Globalization;
using Gan3D.Data;
using Gan3D.Tensors;

namespace Gan3D.Models;

/// <summary>
/// What a training checkpoint says about its run, read without building a network: which model it
/// trains, its settings, the iterations done, how many shapes it trained on and the run's notes
/// (<see cref="AdversarialTrainer.RunMetadata"/>). <see cref="Resume"/> continues the run, whichever
/// model it is.
/// </summary>
public sealed class TrainingCheckpoint
{
    private readonly IReadOnlyDictionary<string, string> _metadata;

    private TrainingCheckpoint(string path, IReadOnlyDictionary<string, string> metadata, string model, GanTrainingOptions options, long step, long trainedOn)
    {
        Path = path;
        _metadata = metadata;
        Model = model;
        Options = options;
        Step = step;
        TrainedOn = trainedOn;
    }

    /// <summary>The checkpoint file (a full path).</summary>
    public string Path { get; }

    /// <summary>The folder of the checkpoint: the run it continues.</summary>
    public string Folder => System.IO.Path.GetDirectoryName(Path)!;

    /// <summary><see cref="GanTrainer.Model"/> or <see cref="VaeGanTrainer.Model"/>.</summary>
    public string Model { get; }

    /// <summary>Whether the run trains a 3D-VAE-GAN.</summary>
    public bool IsVaeGan => Model == VaeGanTrainer.Model;

    /// <summary>Whether the run trains a latent model (<see cref="LatentModelTrainer"/>).</summary>
    public bool IsLatent => Model == LatentModelTrainer.Model;

    /// <summary>The run's settings (a <see cref="VaeGanTrainingOptions"/> for a 3D-VAE-GAN).</summary>
    public GanTrainingOptions Options { get; }

    /// <summary>Iterations done.</summary>
    public long Step { get; }

    /// <summary>How many shapes the run trains on (resume needs the same ones).</summary>
    public long TrainedOn { get; }

    /// <summary>Reads a checkpoint, or a run folder's checkpoint.safetensors (read only).</summary>
    public static TrainingCheckpoint Open(string path)
    {
        if (Directory.Exists(path))
        {
            string inside = System.IO.Path.Combine(path, "checkpoint.safetensors");
            path = File.Exists(inside) ? inside : throw new FileNotFoundException($"{path}: the folder holds no checkpoint.safetensors to resume", inside);
        }
        path = System.IO.Path.GetFullPath(path);
        var ck = Checkpoint.Open(path);
        string model = ck.Get("model");
        GanTrainingOptions options = model switch
        {
            VaeGanTrainer.Model => VaeGanTrainingOptions.FromJson(ck.Get("config"), path),
            LatentModelTrainer.Model => LatentModelOptions.FromJson(ck.Get("config"), path),
            GanTrainer.Model => GanTrainingOptions.FromJson(ck.Get("config"), path),
            _ => throw new InvalidDataException($"{path}: a '{model}' checkpoint is not a training run to resume"),
        };
        long step = ck.GetInt64(ITrainer.StepKey);
        if (step < 0)
        {
            throw new InvalidDataException($"{path}: step {step} is negative");
        }
        // Only the metadata is kept: Resume reads the tensors again, and a paper-size checkpoint is large.
        return new TrainingCheckpoint(path, ck.Metadata, model, options, step, ck.GetInt64(AdversarialTrainer.DataCountKey));
    }

    /// <summary>A note of the run (<see cref="AdversarialTrainer.RunMetadata"/>), or null when the checkpoint has none.</summary>
    public string? Note(string key) => _metadata.TryGetValue(AdversarialTrainer.RunMetadataPrefix + key, out var v) ? v : null;

    /// <summary>A count noted in the run (at least <paramref name="min"/>), or null when the checkpoint has none.</summary>
    public int? Count(string key, int min) => NoteCount(Path, _metadata, key, min);

    /// <summary>
    /// A count noted in the run whose checkpoint at <paramref name="path"/> has this <paramref name="metadata"/> (at least
    /// <paramref name="min"/>, else a clear error naming the file), or null when it has none: for readers of any checkpoint.
    /// </summary>
    public static int? NoteCount(string path, IReadOnlyDictionary<string, string> metadata, string key, int min)
    {
        ArgumentNullException.ThrowIfNull(metadata);
        if (!metadata.TryGetValue(AdversarialTrainer.RunMetadataPrefix + key, out var text))
        {
            return null;
        }
        return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int v) && v >= min
            ? v
            : throw new InvalidDataException($"{path}: checkpoint metadata '{AdversarialTrainer.RunMetadataPrefix}{key}' is '{text}', not a count of {min} or more");
    }

    /// <summary>
    /// The trainer of this run, restored to where it stopped (weights, optimisers, step, random streams,
    /// run notes), on the run's own shapes: <paramref name="data"/> must hold them. A 3D-VAE-GAN run
    /// trained on supplied image pairs needs them as <paramref name="images"/> again; one on rendered
    /// views, and a 3D-GAN, takes none.
    /// </summary>
    public AdversarialTrainer Resume(VoxelDataset data, IBackend backend, TrainingImages? images = null)
    {
        if (IsVaeGan)
        {
            return VaeGanTrainer.Resume(Path, data, backend, images);
        }
        if (images is not null)
        {
            throw new ArgumentException($"{Path}: a {Model} run trains on shapes only, not on images");
        }
        return IsLatent ? LatentModelTrainer.Resume(Path, data, backend) : GanTrainer.Resume(Path, data, backend);
    }
}
