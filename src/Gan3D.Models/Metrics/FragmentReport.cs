using Gan3D.Data;

namespace Gan3D.Models;

/// <summary>
/// How broken up a set of shapes is: the connected parts of each shape's occupied voxels, with 26-connectivity
/// (voxels touching at a face, an edge or a corner belong to one part, so a thin diagonal leg stays whole).
/// </summary>
/// <param name="Shapes">Shapes measured.</param>
/// <param name="MedianParts">Median number of parts a shape.</param>
/// <param name="MeanSpecks">Mean number of specks a shape: parts of at most <see cref="SpeckVoxels"/> voxels (floating voxels).</param>
/// <param name="SpeckFreeShare">Share of shapes without a speck.</param>
/// <param name="OutsideLargestShare">Mean, over shapes with a voxel, of the share of their voxels outside their largest part.</param>
public sealed record FragmentReport(int Shapes, double MedianParts, double MeanSpecks, double SpeckFreeShare, double OutsideLargestShare)
{
    /// <summary>The most voxels a part may have to count as a speck.</summary>
    public const int SpeckVoxels = 4;

    /// <summary>The specks of each shape, in the set's order (what <see cref="MeanSpecks"/> averages).</summary>
    public IReadOnlyList<int> SpecksOfEachShape { get; init; } = [];

    /// <summary>The report of <paramref name="shapes"/>.</summary>
    public static FragmentReport Measure(VoxelDataset shapes)
    {
        int n = shapes.Count;
        var parts = new double[n];
        var specksOfEach = new int[n];
        double specks = 0, speckFree = 0, outside = 0;
        int withVoxels = 0;
        var grid = new byte[shapes.VoxelsPerGrid];
        var label = new int[shapes.VoxelsPerGrid];
        var stack = new int[shapes.VoxelsPerGrid];
        for (int i = 0; i < n; i++)
        {
            shapes.CopyTo(i, grid);
            var sizes = PartSizes(grid, shapes.Resolution, label, stack);
            parts[i] = sizes.Count;
            int small = sizes.Count(s => s <= SpeckVoxels);
            specksOfEach[i] = small;
            specks += small;
            speckFree += small == 0 ? 1 : 0;
            if (sizes.Count > 0)
            {
                withVoxels++;
                outside += 1 - sizes.Max() / (double)sizes.Sum();
            }
        }
        Array.Sort(parts);
        double median = n == 0 ? 0 : n % 2 == 1 ? parts[n / 2] : (parts[n / 2 - 1] + parts[n / 2]) / 2;
        return new FragmentReport(n, median, n == 0 ? 0 : specks / n, n == 0 ? 0 : speckFree / n, withVoxels == 0 ? 0 : outside / withVoxels)
        {
            SpecksOfEachShape = specksOfEach,
        };
    }

    /// <summary>
    /// The voxel counts of the 26-connected parts of one R³ occupancy grid (C order, nonzero = occupied),
    /// in the order of each part's first voxel. <paramref name="label"/> and <paramref name="stack"/> are
    /// scratch of R³ entries.
    /// </summary>
    public static List<int> PartSizes(ReadOnlySpan<byte> grid, int r, Span<int> label, Span<int> stack)
    {
        label.Clear();
        var sizes = new List<int>();
        int rr = r * r;
        for (int start = 0; start < r * rr; start++)
        {
            if (grid[start] == 0 || label[start] != 0)
            {
                continue;
            }
            int id = sizes.Count + 1, top = 0, size = 0;
            label[start] = id;
            stack[top++] = start;
            while (top > 0)
            {
                int v = stack[--top];
                size++;
                int x = v / rr, y = v / r % r, z = v % r;
                for (int dx = Math.Max(x - 1, 0); dx <= Math.Min(x + 1, r - 1); dx++)
                {
                    for (int dy = Math.Max(y - 1, 0); dy <= Math.Min(y + 1, r - 1); dy++)
                    {
                        for (int dz = Math.Max(z - 1, 0); dz <= Math.Min(z + 1, r - 1); dz++)
                        {
                            int u = dx * rr + dy * r + dz;
                            if (grid[u] != 0 && label[u] == 0)
                            {
                                label[u] = id;
                                stack[top++] = u;
                            }
                        }
                    }
                }
            }
            sizes.Add(size);
        }
        return sizes;
    }
}
