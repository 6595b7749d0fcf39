using Gan3D.Data;
using Gan3D.Tensors;

namespace Gan3D.Models;

/// <summary>Drawing shapes from a trained generator.</summary>
public static class Sampling
{
    /// <summary>Latent codes (count, Z) from the run's distribution.</summary>
    public static float[] DrawLatent(int count, int latentDim, LatentDistribution distribution, Rng rng)
    {
        using var scope = MemoryScope.Begin();
        var z = Tensor.Empty(new Shape(count, latentDim), CpuBackend.Default);
        if (distribution == LatentDistribution.Uniform)
        {
            rng.FillUniform(z);
        }
        else
        {
            rng.FillNormal(z);
        }
        return z.ToArray();
    }

    /// <summary>
    /// G's codes (count, <see cref="GanArchitecture.CodeSize"/>) for <paramref name="architecture"/>: latent codes from the
    /// distribution and, for a conditional GAN, each followed by the one-hot label of a class drawn in proportion to
    /// <paramref name="classCounts"/> (the training shapes of each class; null: equal shares), after all the latent values.
    /// </summary>
    public static float[] DrawCodes(int count, GanArchitecture architecture, LatentDistribution distribution, IReadOnlyList<int>? classCounts, Rng rng)
    {
        int zd = architecture.LatentDim, k = architecture.Classes;
        var z = DrawLatent(count, zd, distribution, rng);
        if (k == 0)
        {
            return z;
        }
        if (classCounts is not null && (classCounts.Count != k || classCounts.Any(c => c <= 0)))
        {
            throw new ArgumentException($"a GAN conditional on {k} classes needs {k} positive class counts, got [{string.Join(", ", classCounts)}]");
        }
        double Share(int c) => classCounts?[c] ?? 1;
        double total = Enumerable.Range(0, k).Sum(Share);
        var codes = new float[count * (zd + k)];
        for (int i = 0; i < count; i++)
        {
            z.AsSpan(i * zd, zd).CopyTo(codes.AsSpan(i * (zd + k)));
            // The first class whose running total passes u.
            double u = rng.NextDouble() * total, below = Share(0);
            int label = 0;
            while (label < k - 1 && u >= below)
            {
                below += Share(++label);
            }
            codes[i * (zd + k) + zd + label] = 1f;
        }
        return codes;
    }

    /// <summary>G's occupancy probabilities (count, 1, R, R, R) for fresh codes (a conditional G's classes in equal shares).</summary>
    public static float[] Sample(Generator3D g, LatentDistribution distribution, int count, Rng rng) =>
        Decode(g, DrawCodes(count, g.Architecture, distribution, null, rng), count);

    /// <summary>Shapes <see cref="Shapes(Generator3D, float[], int, float, int)"/> decodes and packs at a time.</summary>
    public const int PackChunk = 256;

    /// <summary>
    /// <paramref name="count"/> shapes of G for fresh codes of <paramref name="rng"/>, thresholded (as
    /// <see cref="VoxelGrid.FromProbabilities"/>) and packed to bits <see cref="PackChunk"/> at a time, so
    /// a large count never holds every probability (4·R³ bytes a shape) at once: the generated set of an evaluation
    /// (a conditional G's classes in equal shares).
    /// </summary>
    public static VoxelDataset Shapes(Generator3D g, LatentDistribution distribution, int count, Rng rng, float threshold = 0.5f) =>
        Shapes(g, DrawCodes(count, g.Architecture, distribution, null, rng), count, threshold);

    /// <summary>
    /// As above, for given codes (count × <see cref="GanArchitecture.CodeSize"/>), e.g. a latent model's draws; with
    /// <paramref name="dropParts"/> above 0, post-processed by <see cref="SmallParts.Drop"/> (0: the raw samples).
    /// </summary>
    public static VoxelDataset Shapes(Generator3D g, float[] z, int count, float threshold = 0.5f, int dropParts = 0)
    {
        int zd = g.Architecture.CodeSize, r = g.Architecture.Resolution, vox = r * r * r;
        return Packed(count, (start, k) =>
        {
            var probabilities = Decode(g, z.AsSpan(start * zd, k * zd), k);
            SmallParts.Drop(probabilities, k, r, threshold, dropParts);
            return Enumerable.Range(0, k).Select(i => VoxelGrid.FromProbabilities(probabilities.AsSpan(i * vox, vox), r, threshold)).ToList();
        });
    }

    /// <summary>
    /// <paramref name="count"/> grids made <see cref="PackChunk"/> at a time by <paramref name="make"/>
    /// (first index, count) and packed to bits as they come: a large count never holds every grid
    /// (R³ bytes each) at once.
    /// </summary>
    internal static VoxelDataset Packed(int count, Func<int, int, List<VoxelGrid>> make)
    {
        var parts = new List<(VoxelDataset, string?)>();
        for (int start = 0; start < count; start += PackChunk)
        {
            int k = Math.Min(PackChunk, count - start);
            parts.Add((VoxelDataset.FromGrids(make(start, k)), null));
        }
        return VoxelDataset.Concat(parts);
    }

    /// <summary>
    /// G's occupancy probabilities for given codes z (count × <see cref="GanArchitecture.CodeSize"/> floats), in eval mode (running batch-norm
    /// statistics) and without recording gradients; G's training mode is restored afterwards.
    /// Decodes in chunks so a large count does not need one huge batch.
    /// </summary>
    public static float[] Decode(Generator3D g, ReadOnlySpan<float> z, int count, int chunk = 16)
    {
        int zd = g.Architecture.CodeSize, r = g.Architecture.Resolution;
        if (z.Length != (long)count * zd)
        {
            throw new ArgumentException($"{z.Length} values do not make {count} codes of size {zd}");
        }
        long vox = (long)r * r * r;
        var result = new float[count * vox];
        bool wasTraining = g.Training;
        g.Eval();
        try
        {
            using var noGrad = Autograd.NoGrad();
            for (int start = 0; start < count; start += chunk)
            {
                int n = Math.Min(chunk, count - start);
                using var scope = MemoryScope.Begin();
                var zt = Tensor.FromArray(z.Slice(start * zd, n * zd), new Shape(n, zd), g.Backend);
                g.Forward(zt).CopyTo(result.AsSpan((int)(start * vox), (int)(n * vox)));
            }
        }
        finally
        {
            g.Train(wasTraining);
        }
        return result;
    }
}
