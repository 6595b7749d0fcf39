namespace Gan3D.Data;

/// <summary>
/// User-supplied (image, shape) pairs for training an image encoder: a folder in which every
/// <c>NAME.png</c> / <c>NAME.jpg</c> / <c>NAME.jpeg</c> has a shape <c>NAME.npy</c> (one grid) or
/// <c>NAME.binvox</c> beside it. Pairs are sorted by name; shapes are resampled to the resolution
/// asked, images read (any size, any PNG/JPEG colour type) and resized to the size asked.
/// </summary>
public static class ImageShapePairs
{
    private static readonly string[] ImageExtensions = [".png", ".jpg", ".jpeg"];

    /// <summary>The pairs of <paramref name="folder"/>: the shapes and, in the same order, their images (C·S·S floats each).</summary>
    /// <param name="folder">The folder of pairs (not searched recursively).</param>
    /// <param name="resolution">Voxel resolution of the shapes returned.</param>
    /// <param name="imageSize">Side of the square images returned.</param>
    /// <param name="rgb">Planar RGB images instead of grey.</param>
    public static (VoxelDataset Shapes, List<float[]> Images, List<string> Names) Load(string folder, int resolution, int imageSize, bool rgb)
    {
        if (!Directory.Exists(folder))
        {
            throw new DirectoryNotFoundException($"{folder}: no such folder of (image, shape) pairs");
        }
        var images = Directory.EnumerateFiles(folder)
            .Where(p => ImageExtensions.Contains(Path.GetExtension(p).ToLowerInvariant()))
            .Order(StringComparer.Ordinal)
            .ToList();
        if (images.Count == 0)
        {
            throw new InvalidDataException($"{folder}: no .png/.jpg images (pairs are NAME.png with NAME.npy or NAME.binvox)");
        }
        var grids = new List<VoxelGrid>();
        var pixels = new List<float[]>();
        var names = new List<string>();
        foreach (string image in images)
        {
            string stem = Path.Combine(folder, Path.GetFileNameWithoutExtension(image));
            string? shape = new[] { stem + ".npy", stem + ".binvox" }.FirstOrDefault(File.Exists)
                ?? throw new InvalidDataException($"{image}: no shape beside it (expected {Path.GetFileName(stem)}.npy or {Path.GetFileName(stem)}.binvox)");
            var data = VoxelFile.Read(shape);
            if (data.Count != 1)
            {
                throw new InvalidDataException($"{shape}: holds {data.Count} grids, a pair needs exactly one");
            }
            var grid = data.GetGrid(0);
            grids.Add(grid.Resolution == resolution ? grid : grid.Resample(resolution));
            pixels.Add(ImageFile.Read(image, imageSize, imageSize, rgb));
            names.Add(Path.GetFileName(stem));
        }
        return (VoxelDataset.FromGrids(grids), pixels, names);
    }
}
