using Gan3D.Data;

namespace Gan3D.Models;

/// <summary>
/// The reconstruction baseline: always answer with the mean training shape (per-voxel occupancy
/// frequency over the training set), thresholded. The threshold that maximises mean IoU on the
/// training shapes themselves is chosen at training time and stored with the checkpoint, so the
/// baseline is as strong as a constant answer can be made without looking at the test shapes.
/// </summary>
public static class MeanShape
{
    /// <summary>Per-voxel occupancy frequency over <paramref name="data"/> (R³ floats in [0, 1]).</summary>
    public static float[] Compute(VoxelDataset data)
    {
        int vox = data.VoxelsPerGrid;
        var counts = new int[vox];
        var grid = new byte[vox];
        for (int n = 0; n < data.Count; n++)
        {
            data.CopyTo(n, grid);
            for (int i = 0; i < vox; i++)
            {
                counts[i] += grid[i];
            }
        }
        var mean = new float[vox];
        for (int i = 0; i < vox; i++)
        {
            mean[i] = (float)counts[i] / data.Count;
        }
        return mean;
    }

    /// <summary>
    /// The threshold in {0.05, 0.10, ..., 0.95} whose thresholded mean shape has the highest mean IoU
    /// with the shapes of <paramref name="data"/> (at most <paramref name="maxShapes"/> of them, evenly
    /// spaced), and that IoU.
    /// </summary>
    public static (float Threshold, double MeanIou) BestThreshold(ReadOnlySpan<float> mean, VoxelDataset data, int maxShapes = 512)
    {
        int n = Math.Min(data.Count, maxShapes);
        var grid = new byte[data.VoxelsPerGrid];
        var thresholds = Enumerable.Range(1, 19).Select(k => k * 0.05f).ToArray();
        var sums = new double[thresholds.Length];
        for (int s = 0; s < n; s++)
        {
            data.CopyTo((int)((long)s * data.Count / n), grid);
            for (int k = 0; k < thresholds.Length; k++)
            {
                sums[k] += Iou.Of(mean, thresholds[k], grid);
            }
        }
        int best = 0;
        for (int k = 1; k < sums.Length; k++)
        {
            if (sums[k] > sums[best])
            {
                best = k;
            }
        }
        return (thresholds[best], sums[best] / n);
    }
}

/// <summary>Intersection over union of occupancy grids.</summary>
public static class Iou
{
    /// <summary>
    /// IoU of {p > threshold} (as <see cref="VoxelGrid.FromProbabilities"/> thresholds) with the occupied voxels of <paramref name="truth"/> (bytes 0/1, same length).
    /// Two empty sets count as a perfect match (1).
    /// </summary>
    public static double Of(ReadOnlySpan<float> probabilities, float threshold, ReadOnlySpan<byte> truth)
    {
        if (probabilities.Length != truth.Length)
        {
            throw new ArgumentException($"IoU of grids of {probabilities.Length} and {truth.Length} voxels");
        }
        long inter = 0, union = 0;
        for (int i = 0; i < truth.Length; i++)
        {
            bool a = probabilities[i] > threshold, b = truth[i] != 0;
            inter += a && b ? 1 : 0;
            union += a || b ? 1 : 0;
        }
        return union == 0 ? 1.0 : (double)inter / union;
    }
}
