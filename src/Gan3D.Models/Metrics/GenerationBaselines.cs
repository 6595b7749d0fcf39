using Gan3D.Data;
using Gan3D.Tensors;

namespace Gan3D.Models;

/// <summary>A trivial generator's shapes, scored beside a model's.</summary>
/// <param name="Name">What it is, for people ("mean training shape").</param>
/// <param name="Key">Its key in JSON results ("mean_shape").</param>
/// <param name="Shapes">Its shapes.</param>
public sealed record GenerationBaseline(string Name, string Key, VoxelDataset Shapes);

/// <summary>
/// Trivial generators that put a model's generation metrics in context: real training shapes (the
/// ideal against a held-out reference), the mean training shape repeated (one shape: collapse), and
/// independent voxel noise at the training set's occupancy (with 1 − IoU, noise can score a
/// deceptively good 1-NNA).
/// </summary>
public static class GenerationBaselines
{
    /// <summary>
    /// The three baselines of <paramref name="count"/> shapes each, made one at a time as the caller
    /// iterates: <paramref name="count"/> training shapes in a seeded order (all of them when there are
    /// fewer), <see cref="MeanShape.Compute"/> thresholded at 0.5 (at half its highest frequency when
    /// no voxel is occupied in more than half the shapes, so it is never empty), and noise at the mean
    /// occupancy. One stream of <paramref name="seed"/> draws the order, then the noise.
    /// </summary>
    public static IEnumerable<GenerationBaseline> Create(VoxelDataset training, int count, ulong seed)
    {
        int vox = training.VoxelsPerGrid, r = training.Resolution;
        var rng = new Rng(seed ^ 0xBA5EUL);
        var pick = Enumerable.Range(0, training.Count).ToArray();
        rng.Shuffle(pick.AsSpan());
        yield return new("training shapes (ideal)", "training_shapes", training.Subset(pick.AsSpan(0, Math.Min(count, training.Count))));

        var mean = MeanShape.Compute(training);
        double occupancy = 0;
        foreach (float m in mean)
        {
            occupancy += m;
        }
        occupancy /= vox;
        var meanGrid = VoxelGrid.FromProbabilities(mean, r, 0.5f);
        if (meanGrid.CountOccupied() == 0)
        {
            meanGrid = VoxelGrid.FromProbabilities(mean, r, mean.Max() * 0.5f);
        }
        yield return new("mean training shape", "mean_shape", VoxelDataset.FromGrids(Enumerable.Repeat(meanGrid, count).ToList()));

        var noise = new float[vox];
        var noiseSet = Sampling.Packed(count, (_, k) =>
        {
            var grids = new List<VoxelGrid>(k);
            for (int i = 0; i < k; i++)
            {
                for (int v = 0; v < vox; v++)
                {
                    noise[v] = rng.NextDouble() < occupancy ? 1f : 0f;
                }
                grids.Add(VoxelGrid.FromProbabilities(noise, r, 0.5f));
            }
            return grids;
        });
        yield return new($"noise ({occupancy * 100:F1}% occupied)", "noise", noiseSet);
    }
}
