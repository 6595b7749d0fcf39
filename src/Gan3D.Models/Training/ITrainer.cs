using Gan3D.Tensors;
namespace Gan3D.Models;

/// <summary>One iteration's measurements, in a fixed column order (a row of metrics.csv).</summary>
public sealed record TrainingStepReport(long Step, IReadOnlyList<(string Name, double Value)> Metrics)
{
    public double this[string name] => Metrics.First(m => m.Name == name).Value;
}

/// <summary>What <see cref="TrainingSession"/> drives: the 3D-GAN and the 3D-VAE-GAN trainers.</summary>
public interface ITrainer : IDisposable
{
    /// <summary>Iterations completed.</summary>
    long Step { get; }

    /// <summary>The model's voxel resolution.</summary>
    int Resolution { get; }

    /// <summary>Runs one iteration.</summary>
    TrainingStepReport Train();

    /// <summary>The checkpoint metadata key of the iterations done, which every model's <see cref="Save"/> writes.</summary>
    const string StepKey = "step";

    /// <summary>Writes a checkpoint that <c>Resume</c> continues exactly: a safetensors file whose metadata holds its <see cref="StepKey"/>.</summary>
    void Save(string path);

    /// <summary>Occupancy probabilities (count, 1, R, R, R) from G for latent codes z (count × Z), in eval mode.</summary>
    float[] Decode(float[] z, int count);

    /// <summary>Latent codes for sample montages.</summary>
    float[] DrawLatent(int count, Rng rng);

    /// <summary>The panels of losses.png: titles and the metric columns each shows.</summary>
    IReadOnlyList<(string Title, string[] Columns)> PlotLayout { get; }

    /// <summary>The non-negative loss column whose sudden jump <see cref="TrainingSession"/> reports as a likely divergence (a <see cref="LossSpikeWatch"/>); null: none.</summary>
    string? WatchedLoss { get; }
}
