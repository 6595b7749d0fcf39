namespace Gan3D.Data;

/// <summary>
/// Voxel files by extension: <c>.npy</c>, <c>.npy.gz</c> (one grid or a batch) and <c>.binvox</c>
/// (one grid). Unlike <see cref="VoxelDataset.Load"/>, reading keeps every grid, empty ones included,
/// so indices match the file.
/// </summary>
public static class VoxelFile
{
    /// <summary>True for .npy, .npy.gz and .binvox paths.</summary>
    public static bool IsVoxelPath(string path) =>
        path.EndsWith(".npy", StringComparison.OrdinalIgnoreCase) ||
        path.EndsWith(".npy.gz", StringComparison.OrdinalIgnoreCase) ||
        path.EndsWith(".binvox", StringComparison.OrdinalIgnoreCase);

    /// <summary>Reads every grid of a voxel file (float values above <paramref name="threshold"/> are occupied).</summary>
    public static VoxelDataset Read(string path, float threshold = 0.5f)
    {
        if (path.EndsWith(".binvox", StringComparison.OrdinalIgnoreCase))
        {
            return VoxelDataset.FromGrids([BinvoxFile.Read(path).Grid]);
        }
        if (!IsVoxelPath(path))
        {
            throw new NotSupportedException($"{path}: not a voxel file (expected .npy, .npy.gz or .binvox)");
        }
        return NpyFile.ReadVoxels(path, threshold);
    }

    /// <summary>
    /// The raw values of grid <paramref name="index"/> as floats (R³, C order): G's probabilities stay
    /// probabilities, for smooth marching cubes. binvox and integer files give 0/1.
    /// </summary>
    public static (int Resolution, float[] Values) ReadField(string path, int index)
    {
        if (path.EndsWith(".binvox", StringComparison.OrdinalIgnoreCase))
        {
            if (index != 0)
            {
                throw new ArgumentOutOfRangeException(nameof(index), index, $"{path} holds one grid (index 0)");
            }
            var grid = BinvoxFile.Read(path).Grid;
            return (grid.Resolution, grid.ToFloats());
        }
        var (shape, data) = NpyFile.ReadFloat32(path);
        int r = shape.Length switch
        {
            3 => shape[0],
            4 => shape[1],
            5 when shape[1] == 1 => shape[2],
            _ => throw new InvalidDataException($"{path}: shape ({string.Join(", ", shape)}) is not a voxel grid: expected (N, R, R, R), (N, 1, R, R, R) or (R, R, R)"),
        };
        if (shape[^1] != r || shape[^2] != r || shape[^3] != r || r < 1 || r > VoxelGrid.MaxResolution)
        {
            throw new InvalidDataException($"{path}: shape ({string.Join(", ", shape)}) is not a cubic grid of 1..{VoxelGrid.MaxResolution}");
        }
        int count = shape.Length == 3 ? 1 : shape[0];
        if ((uint)index >= (uint)count)
        {
            throw new ArgumentOutOfRangeException(nameof(index), index, $"{path} holds {count} grids (0..{count - 1})");
        }
        int voxels = r * r * r;
        var values = data.AsSpan(index * voxels, voxels).ToArray();
        if (values.Any(float.IsNaN))
        {
            throw new InvalidDataException($"{path}: grid {index} holds NaN values");
        }
        return (r, values);
    }

    /// <summary>Writes one grid: (R, R, R) uint8 for .npy/.npy.gz, or binvox.</summary>
    public static void Write(string path, VoxelGrid grid)
    {
        ArgumentNullException.ThrowIfNull(grid);
        int r = grid.Resolution;
        if (path.EndsWith(".binvox", StringComparison.OrdinalIgnoreCase))
        {
            BinvoxFile.Write(path, grid);
        }
        else if (IsVoxelPath(path))
        {
            NpyFile.WriteUInt8(path, [r, r, r], grid.Voxels);
        }
        else
        {
            throw new NotSupportedException($"{path}: grids can be written as .npy, .npy.gz or .binvox");
        }
    }

    /// <summary>Writes a batch: (N, R, R, R) uint8 for .npy/.npy.gz; binvox only for a single grid.</summary>
    public static void Write(string path, VoxelDataset dataset)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        if (path.EndsWith(".binvox", StringComparison.OrdinalIgnoreCase))
        {
            if (dataset.Count != 1)
            {
                throw new ArgumentException($"{path}: a binvox file holds one grid, the batch has {dataset.Count}; pick one");
            }
            BinvoxFile.Write(path, dataset.GetGrid(0));
        }
        else if (IsVoxelPath(path))
        {
            dataset.SaveNpy(path);
        }
        else
        {
            throw new NotSupportedException($"{path}: grids can be written as .npy, .npy.gz or .binvox");
        }
    }
}
