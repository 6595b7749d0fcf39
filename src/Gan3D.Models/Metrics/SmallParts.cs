namespace Gan3D.Models;

/// <summary>
/// An explicit post-processing of generated shapes (never applied unless asked for): the 26-connected parts of a
/// shape's occupied voxels (probability above the threshold, as <see cref="Gan3D.Data.VoxelGrid.FromProbabilities"/>)
/// that have at most a given number of voxels are emptied, so the floating specks
/// <see cref="FragmentReport"/> counts disappear from renders, grids and meshes alike.
/// </summary>
public static class SmallParts
{
    /// <summary>
    /// Sets to 0 the probabilities of every part of at most <paramref name="maxVoxels"/> voxels in each of the
    /// <paramref name="count"/> shapes of <paramref name="probabilities"/> (count × R³, C order); returns the parts emptied.
    /// </summary>
    public static long Drop(Span<float> probabilities, int count, int r, float threshold, int maxVoxels)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(r, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        ArgumentOutOfRangeException.ThrowIfNegative(maxVoxels);
        int vox = r * r * r;
        if (probabilities.Length != (long)count * vox)
        {
            throw new ArgumentException($"{probabilities.Length} values are not {count} shapes of {r}³");
        }
        if (maxVoxels == 0)
        {
            return 0;
        }
        var grid = new byte[vox];
        var label = new int[vox];
        var stack = new int[vox];
        long dropped = 0;
        for (int i = 0; i < count; i++)
        {
            var shape = probabilities.Slice(i * vox, vox);
            for (int v = 0; v < vox; v++)
            {
                grid[v] = shape[v] > threshold ? (byte)1 : (byte)0;
            }
            var sizes = FragmentReport.PartSizes(grid, r, label, stack);
            int small = sizes.Count(s => s <= maxVoxels);
            if (small == 0)
            {
                continue;
            }
            dropped += small;
            for (int v = 0; v < vox; v++)
            {
                if (label[v] != 0 && sizes[label[v] - 1] <= maxVoxels)
                {
                    shape[v] = 0f;
                }
            }
        }
        return dropped;
    }
}
