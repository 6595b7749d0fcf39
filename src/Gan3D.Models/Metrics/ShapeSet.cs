using System.Numerics;
using Gan3D.Data;

namespace Gan3D.Models;

/// <summary>Which distance the generation metrics use.</summary>
public enum ShapeDistance
{
    /// <summary>1 − IoU of the binarised grids (0 when both are empty).</summary>
    Iou,

    /// <summary>
    /// Chamfer distance between surface-voxel point sets in unit-cube coordinates: the mean squared
    /// distance from each surface voxel to the other shape's nearest one, in both directions, summed.
    /// </summary>
    Chamfer,
}

/// <summary>
/// Shapes prepared for fast pairwise distances: bit-packed grids with their populations (IoU by
/// AND + popcount), and for Chamfer each shape's surface voxels and a squared Euclidean distance
/// transform to its surface (so a nearest-point query is one lookup).
/// </summary>
public sealed class ShapeSet
{
    private readonly ulong[] _bits;
    private readonly int[] _population;
    private readonly int[][]? _surface;
    private readonly float[][]? _distance;

    private ShapeSet(int count, int resolution, ulong[] bits, int[] population, int[][]? surface, float[][]? distance)
    {
        Count = count;
        Resolution = resolution;
        _bits = bits;
        _population = population;
        _surface = surface;
        _distance = distance;
    }

    public int Count { get; }

    public int Resolution { get; }

    public int Words => (Resolution * Resolution * Resolution + 63) / 64;

    public static ShapeSet From(VoxelDataset data, ShapeDistance metric)
    {
        int r = data.Resolution, vox = r * r * r, words = (vox + 63) / 64;
        var bits = new ulong[(long)data.Count * words];
        var pop = new int[data.Count];
        int[][]? surface = metric == ShapeDistance.Chamfer ? new int[data.Count][] : null;
        float[][]? distance = metric == ShapeDistance.Chamfer ? new float[data.Count][] : null;
        Parallel.For(0, data.Count, () => new byte[vox], (n, _, grid) =>
        {
            data.CopyTo(n, grid);
            var w = bits.AsSpan((int)((long)n * words), words);
            int count = 0;
            for (int i = 0; i < vox; i++)
            {
                if (grid[i] != 0)
                {
                    w[i >> 6] |= 1UL << (i & 63);
                    count++;
                }
            }
            pop[n] = count;
            if (surface is not null)
            {
                surface[n] = SurfaceVoxels(grid, r);
                distance![n] = DistanceTransform.SquaredToVoxels(surface[n], r);
            }
            return grid;
        }, _ => { });
        return new ShapeSet(data.Count, r, bits, pop, surface, distance);
    }

    /// <summary>Occupied voxels with an empty (or outside) 6-neighbour.</summary>
    private static int[] SurfaceVoxels(byte[] g, int r)
    {
        var list = new List<int>();
        for (int i = 0; i < r; i++)
        for (int j = 0; j < r; j++)
        for (int k = 0; k < r; k++)
        {
            int at = (i * r + j) * r + k;
            if (g[at] == 0)
            {
                continue;
            }
            bool boundary = i == 0 || i == r - 1 || j == 0 || j == r - 1 || k == 0 || k == r - 1
                || g[at - r * r] == 0 || g[at + r * r] == 0 || g[at - r] == 0 || g[at + r] == 0 || g[at - 1] == 0 || g[at + 1] == 0;
            if (boundary)
            {
                list.Add(at);
            }
        }
        return [.. list];
    }

    /// <summary>1 − IoU of shape a of this set and shape b of <paramref name="other"/>.</summary>
    public float IouDistance(int a, ShapeSet other, int b)
    {
        int words = Words;
        var x = _bits.AsSpan((int)((long)a * words), words);
        var y = other._bits.AsSpan((int)((long)b * words), words);
        int inter = 0;
        for (int i = 0; i < words; i++)
        {
            inter += BitOperations.PopCount(x[i] & y[i]);
        }
        int union = _population[a] + other._population[b] - inter;
        return union == 0 ? 0f : 1f - (float)inter / union;
    }

    /// <summary>Chamfer distance between shape a and shape b of <paramref name="other"/> (unit-cube units, squared).</summary>
    public float ChamferDistance(int a, ShapeSet other, int b)
    {
        var sa = _surface![a];
        var sb = other._surface![b];
        if (sa.Length == 0 || sb.Length == 0)
        {
            // An empty shape is as far as the farthest corner from everything: the cube's squared diagonal.
            return sa.Length == sb.Length ? 0f : 6f;
        }
        var db = other._distance![b];
        var da = _distance![a];
        double ab = 0, ba = 0;
        foreach (int v in sa)
        {
            ab += db[v];
        }
        foreach (int v in sb)
        {
            ba += da[v];
        }
        double scale = 1.0 / ((double)Resolution * Resolution);
        return (float)((ab / sa.Length + ba / sb.Length) * scale);
    }

    public float Distance(ShapeDistance metric, int a, ShapeSet other, int b) =>
        metric == ShapeDistance.Iou ? IouDistance(a, other, b) : ChamferDistance(a, other, b);
}

/// <summary>Exact squared Euclidean distance transforms (Felzenszwalb and Huttenlocher's separable algorithm).</summary>
internal static class DistanceTransform
{
    /// <summary>For every voxel of an R³ grid, the squared distance (in voxels) to the nearest of <paramref name="sites"/>.</summary>
    public static float[] SquaredToVoxels(int[] sites, int r)
    {
        const float inf = 1e20f;
        var d = new float[r * r * r];
        Array.Fill(d, inf);
        foreach (int s in sites)
        {
            d[s] = 0f;
        }
        var f = new double[r];
        var o = new double[r];
        var v = new int[r];
        var z = new double[r + 1];
        // Along k, then j, then i.
        for (int line = 0; line < r * r; line++)
        {
            Pass(d, line * r, 1, r, f, o, v, z);
        }
        for (int i = 0; i < r; i++)
        {
            for (int k = 0; k < r; k++)
            {
                Pass(d, i * r * r + k, r, r, f, o, v, z);
            }
        }
        for (int j = 0; j < r; j++)
        {
            for (int k = 0; k < r; k++)
            {
                Pass(d, j * r + k, r * r, r, f, o, v, z);
            }
        }
        return d;
    }

    /// <summary>The 1-D lower envelope of parabolas along one line of the grid.</summary>
    private static void Pass(float[] d, int start, int stride, int n, double[] f, double[] o, int[] v, double[] z)
    {
        for (int q = 0; q < n; q++)
        {
            f[q] = d[start + q * stride];
        }
        int k = 0;
        v[0] = 0;
        z[0] = double.NegativeInfinity;
        z[1] = double.PositiveInfinity;
        for (int q = 1; q < n; q++)
        {
            double s;
            while (true)
            {
                s = ((f[q] + q * q) - (f[v[k]] + v[k] * v[k])) / (2.0 * q - 2.0 * v[k]);
                if (s > z[k])
                {
                    break;
                }
                k--; // z[0] = −∞ stops this at k = 0
            }
            k++;
            v[k] = q;
            z[k] = s;
            z[k + 1] = double.PositiveInfinity;
        }
        k = 0;
        for (int q = 0; q < n; q++)
        {
            while (z[k + 1] < q)
            {
                k++;
            }
            double dq = q - v[k];
            o[q] = dq * dq + f[v[k]];
        }
        for (int q = 0; q < n; q++)
        {
            d[start + q * stride] = (float)Math.Min(o[q], 1e20);
        }
    }
}
