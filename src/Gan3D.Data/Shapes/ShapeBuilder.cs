using System.Numerics;

namespace Gan3D.Data.Shapes;

/// <summary>
/// Collects solids (added or carved, in order) in world units (+Z up, front towards −y) and
/// rasterises them into a grid like the ModelNet data: centred on every axis, scaled uniformly so the
/// longest extent touches both faces of the cube.
/// </summary>
internal sealed class ShapeBuilder
{
    private readonly List<(Solid Solid, bool Carve)> _parts = [];

    public ShapeBuilder Add(Solid solid)
    {
        _parts.Add((solid, false));
        return this;
    }

    public ShapeBuilder Carve(Solid solid)
    {
        _parts.Add((solid, true));
        return this;
    }

    /// <summary>Adds the solid and its mirror image across the plane x = 0.</summary>
    public ShapeBuilder AddMirrorX(Func<float, Solid> make)
    {
        Add(make(1));
        Add(make(-1));
        return this;
    }

    public VoxelGrid Rasterize(int resolution)
    {
        var (min, max) = Bounds();
        var grid = new VoxelGrid(resolution);
        float longest = MaxComponent(max - min);
        var center = (min + max) * 0.5f;
        float scale = resolution / longest;
        // Widened thin parts can poke out of the exact bounds; sampling at voxel centres can leave the
        // outermost layer empty. Measure the result and refit (twice at most) so it touches the cube.
        for (int attempt = 0; attempt < 3; attempt++)
        {
            Fill(grid, center, scale);
            var b = grid.OccupiedBounds();
            if (b is null)
            {
                break;
            }
            var (i0, j0, k0, i1, j1, k1) = b.Value;
            int extent = Math.Max(i1 - i0, Math.Max(j1 - j0, k1 - k0)) + 1;
            if (extent == resolution && Centred(b.Value, resolution))
            {
                break;
            }
            // The occupied box in world units; refit it to the cube.
            var lo = new Vector3(i0, j0, k0);
            var hi = new Vector3(i1 + 1, j1 + 1, k1 + 1);
            var worldLo = center + (lo - new Vector3(resolution * 0.5f)) / scale;
            var worldHi = center + (hi - new Vector3(resolution * 0.5f)) / scale;
            center = (worldLo + worldHi) * 0.5f;
            scale *= (float)resolution / extent * (attempt == 0 ? 1f : 1.0001f);
        }
        Recentre(grid);
        return grid;
    }

    private (Vector3 Min, Vector3 Max) Bounds()
    {
        var min = new Vector3(float.PositiveInfinity);
        var max = new Vector3(float.NegativeInfinity);
        foreach (var (solid, carve) in _parts)
        {
            if (carve)
            {
                continue;
            }
            var (lo, hi) = solid.Bounds;
            min = Vector3.Min(min, lo);
            max = Vector3.Max(max, hi);
        }
        return (min, max);
    }

    private void Fill(VoxelGrid grid, Vector3 center, float scale)
    {
        int r = grid.Resolution;
        var cells = grid.Voxels;
        cells.Clear();
        float pad = 0.5f / scale;
        foreach (var (solid, carve) in _parts)
        {
            var (lo, hi) = solid.Bounds;
            float grow = carve ? 0 : pad * 1.5f;
            // Voxel centre i sits at world center + (i + 0.5 − R/2) / scale.
            var vlo = (lo - new Vector3(grow) - center) * scale + new Vector3(r * 0.5f - 0.5f);
            var vhi = (hi + new Vector3(grow) - center) * scale + new Vector3(r * 0.5f - 0.5f);
            int i0 = Math.Max(0, (int)MathF.Ceiling(vlo.X)), i1 = Math.Min(r - 1, (int)MathF.Floor(vhi.X));
            int j0 = Math.Max(0, (int)MathF.Ceiling(vlo.Y)), j1 = Math.Min(r - 1, (int)MathF.Floor(vhi.Y));
            int k0 = Math.Max(0, (int)MathF.Ceiling(vlo.Z)), k1 = Math.Min(r - 1, (int)MathF.Floor(vhi.Z));
            float solidPad = carve ? 0 : pad;
            byte value = carve ? (byte)0 : (byte)1;
            for (int i = i0; i <= i1; i++)
            {
                float x = center.X + (i + 0.5f - r * 0.5f) / scale;
                for (int j = j0; j <= j1; j++)
                {
                    float y = center.Y + (j + 0.5f - r * 0.5f) / scale;
                    int row = (i * r + j) * r;
                    for (int k = k0; k <= k1; k++)
                    {
                        if (cells[row + k] == value)
                        {
                            continue;
                        }
                        float z = center.Z + (k + 0.5f - r * 0.5f) / scale;
                        if (solid.Contains(new Vector3(x, y, z), solidPad))
                        {
                            cells[row + k] = value;
                        }
                    }
                }
            }
        }
    }

    private static bool Centred((int I0, int J0, int K0, int I1, int J1, int K1) b, int r) =>
        Math.Abs(b.I0 - (r - 1 - b.I1)) <= 1 && Math.Abs(b.J0 - (r - 1 - b.J1)) <= 1 && Math.Abs(b.K0 - (r - 1 - b.K1)) <= 1;

    /// <summary>Shifts the voxels by whole cells so the margins on each axis differ by at most one.</summary>
    private static void Recentre(VoxelGrid grid)
    {
        if (grid.OccupiedBounds() is not { } b)
        {
            return;
        }
        int r = grid.Resolution;
        int di = (r - 1 - b.I1 - b.I0) / 2, dj = (r - 1 - b.J1 - b.J0) / 2, dk = (r - 1 - b.K1 - b.K0) / 2;
        if (di == 0 && dj == 0 && dk == 0)
        {
            return;
        }
        var src = grid.Voxels.ToArray();
        var dst = grid.Voxels;
        dst.Clear();
        for (int i = b.I0; i <= b.I1; i++)
        {
            for (int j = b.J0; j <= b.J1; j++)
            {
                src.AsSpan((i * r + j) * r + b.K0, b.K1 - b.K0 + 1)
                   .CopyTo(dst[(((i + di) * r + j + dj) * r + b.K0 + dk)..]);
            }
        }
    }

    private static float MaxComponent(Vector3 v) => MathF.Max(v.X, MathF.Max(v.Y, v.Z));
}

/// <summary>SplitMix64: a tiny, fast, seedable generator whose sequence never depends on the .NET version.</summary>
internal sealed class ShapeRandom(ulong seed)
{
    private ulong _state = seed;

    public static ulong Mix(ulong a, ulong b)
    {
        ulong z = a * 0x9E3779B97F4A7C15UL ^ (b + 0x632BE59BD9B4E019UL);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>FNV-1a: a stable hash of a family name (string.GetHashCode is randomised per process).</summary>
    public static ulong Hash(string text)
    {
        ulong h = 14695981039346656037UL;
        foreach (char c in text)
        {
            h = (h ^ c) * 1099511628211UL;
        }
        return h;
    }

    public ulong NextULong()
    {
        ulong z = _state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>Uniform in [0, 1).</summary>
    public float Next() => (NextULong() >> 40) * (1f / (1UL << 24));

    /// <summary>Uniform in [a, b).</summary>
    public float Range(float a, float b) => a + (b - a) * Next();

    /// <summary>Uniform integer in [a, b].</summary>
    public int Int(int a, int b) => a + (int)(NextULong() % (ulong)(b - a + 1));

    public bool Chance(float p) => Next() < p;

    /// <summary>An index drawn with the given relative weights.</summary>
    public int Pick(params float[] weights)
    {
        float total = weights.Sum();
        float x = Next() * total;
        for (int i = 0; i < weights.Length; i++)
        {
            x -= weights[i];
            if (x < 0)
            {
                return i;
            }
        }
        return weights.Length - 1;
    }
}
