namespace Gan3D.Data;

/// <summary>How a grid changes resolution.</summary>
public enum ResampleMode
{
    /// <summary>Nearest neighbour going up, <see cref="Max"/> going down (keeps thin legs and rods).</summary>
    Auto,
    /// <summary>A voxel is set when the source voxel nearest to its centre is set.</summary>
    Nearest,
    /// <summary>A voxel is set when any source voxel it overlaps is set (max pooling).</summary>
    Max,
    /// <summary>A voxel is set when at least half of the source volume it covers is set.</summary>
    Majority,
}

/// <summary>
/// An R×R×R occupancy grid (one byte a voxel, 0 or 1).
/// <para>
/// <b>The axis convention of Gan3D, stated here once.</b> Index (i, j, k) = (axis 0, axis 1, axis 2)
/// of a C-order (R, R, R) array: the linear index is (i·R + j)·R + k, k fastest. Axis 2 is up.
/// In world terms axis 0 = x (left to right seen from the front), axis 1 = y (front to back),
/// axis 2 = z (bottom to top): right-handed, +Z up. Built-in shapes face −y (low j).
/// </para>
/// <list type="bullet">
/// <item>NumPy files: an (N, R, R, R) or (R, R, R) array is read as is; this matches the shared ModelNet10
/// <c>.npy.gz</c> files (binvox output read as x, y, z; ModelNet meshes are +Z up).</item>
/// <item>GAN tensors (NCDHW): D = axis 0, H = axis 1, W = axis 2, so a grid copies unchanged into a (1, R, R, R) slice.</item>
/// <item>binvox: the file's voxel x·R² + z·R + y (y fastest) is (i, j, k) = (x, y, z).</item>
/// <item>Meshes: a point (x, y, z) maps to (axis 0, axis 1, axis 2), i.e. meshes are taken as +Z up
/// (ModelNet, ShapeNet binvox, STL and CAD files). Y-up files (most OBJ exports from Blender/Maya)
/// are read with <see cref="UpAxis.Y"/>, which maps (x, y, z) to (x, −z, y).</item>
/// <item>Meshes made from grids (marching cubes, cube faces) live in the cube [−0.5, 0.5]³: voxel
/// (i, j, k) covers x ∈ [i/R − 0.5, (i+1)/R − 0.5], and the same for y with j and z with k.</item>
/// </list>
/// </summary>
public sealed class VoxelGrid
{
    /// <summary>Largest resolution any reader accepts (512³ bytes = 128 MiB).</summary>
    public const int MaxResolution = 512;

    private readonly byte[] _voxels;

    /// <summary>An empty grid of <paramref name="resolution"/>³ voxels.</summary>
    public VoxelGrid(int resolution)
    {
        CheckResolution(resolution);
        Resolution = resolution;
        _voxels = new byte[checked(resolution * resolution * resolution)];
    }

    /// <summary>Wraps (does not copy) <paramref name="voxels"/>: R³ bytes, 0 or 1, C order.</summary>
    public VoxelGrid(int resolution, byte[] voxels)
    {
        CheckResolution(resolution);
        ArgumentNullException.ThrowIfNull(voxels);
        if (voxels.Length != resolution * resolution * resolution)
        {
            throw new ArgumentException($"expected {resolution}³ = {resolution * resolution * resolution} voxels, got {voxels.Length}", nameof(voxels));
        }
        Resolution = resolution;
        _voxels = voxels;
    }

    /// <summary>R: the grid has R×R×R voxels.</summary>
    public int Resolution { get; }

    /// <summary>The voxels, R³ bytes (0 or 1) in C order; index with <see cref="Index"/>.</summary>
    public Span<byte> Voxels => _voxels;

    /// <summary>The voxels as an array (the grid's own storage, not a copy).</summary>
    public byte[] Array => _voxels;

    /// <summary>Linear index of voxel (i, j, k): (i·R + j)·R + k.</summary>
    public int Index(int i, int j, int k) => (i * Resolution + j) * Resolution + k;

    /// <summary>Occupancy of voxel (i, j, k); see the class summary for the axes.</summary>
    public bool this[int i, int j, int k]
    {
        get => _voxels[Index(i, j, k)] != 0;
        set => _voxels[Index(i, j, k)] = value ? (byte)1 : (byte)0;
    }

    /// <summary>Number of occupied voxels.</summary>
    public int CountOccupied()
    {
        int n = System.MemoryExtensions.Count(_voxels.AsSpan(), (byte)1);
        return n;
    }

    /// <summary>True when no voxel is occupied.</summary>
    public bool IsEmpty => _voxels.AsSpan().IndexOfAnyExcept((byte)0) < 0;

    /// <summary>A deep copy.</summary>
    public VoxelGrid Clone() => new(Resolution, (byte[])_voxels.Clone());

    /// <summary>
    /// Thresholds a float field (e.g. G's sigmoid output), R³ values in C order:
    /// a voxel is occupied when its value is greater than <paramref name="threshold"/>.
    /// </summary>
    public static VoxelGrid FromProbabilities(ReadOnlySpan<float> values, int resolution, float threshold = 0.5f)
    {
        var grid = new VoxelGrid(resolution);
        if (values.Length != grid._voxels.Length)
        {
            throw new ArgumentException($"expected {resolution}³ = {grid._voxels.Length} values, got {values.Length}", nameof(values));
        }
        for (int n = 0; n < values.Length; n++)
        {
            grid._voxels[n] = values[n] > threshold ? (byte)1 : (byte)0;
        }
        return grid;
    }

    /// <summary>Writes the grid as 0f/1f into <paramref name="destination"/> (R³ floats, C order).</summary>
    public void CopyTo(Span<float> destination)
    {
        if (destination.Length < _voxels.Length)
        {
            throw new ArgumentException($"destination holds {destination.Length} floats, need {_voxels.Length}", nameof(destination));
        }
        for (int n = 0; n < _voxels.Length; n++)
        {
            destination[n] = _voxels[n];
        }
    }

    /// <summary>The grid as R³ floats, 0f or 1f, C order.</summary>
    public float[] ToFloats()
    {
        var result = new float[_voxels.Length];
        CopyTo(result);
        return result;
    }

    /// <summary>Bounds of the occupied voxels, inclusive; null for an empty grid.</summary>
    public (int I0, int J0, int K0, int I1, int J1, int K1)? OccupiedBounds()
    {
        int r = Resolution;
        int i0 = r, j0 = r, k0 = r, i1 = -1, j1 = -1, k1 = -1;
        for (int i = 0; i < r; i++)
        {
            for (int j = 0; j < r; j++)
            {
                var row = _voxels.AsSpan((i * r + j) * r, r);
                int first = row.IndexOf((byte)1);
                if (first < 0)
                {
                    continue;
                }
                int last = row.LastIndexOf((byte)1);
                i0 = Math.Min(i0, i); i1 = Math.Max(i1, i);
                j0 = Math.Min(j0, j); j1 = Math.Max(j1, j);
                k0 = Math.Min(k0, first); k1 = Math.Max(k1, last);
            }
        }
        return i1 < 0 ? null : (i0, j0, k0, i1, j1, k1);
    }

    /// <summary>True when both grids have the same resolution and voxels.</summary>
    public bool ContentEquals(VoxelGrid other) =>
        other is not null && other.Resolution == Resolution && other._voxels.AsSpan().SequenceEqual(_voxels);

    /// <summary>
    /// This grid at another resolution. Source voxel s covers [s, s+1) in source units; target voxel t
    /// covers [t·f, (t+1)·f) with f = R_source / R_target. <see cref="ResampleMode.Nearest"/> samples the
    /// source voxel under the target centre; <see cref="ResampleMode.Max"/> and
    /// <see cref="ResampleMode.Majority"/> look at every source voxel the target overlaps.
    /// </summary>
    public VoxelGrid Resample(int resolution, ResampleMode mode = ResampleMode.Auto)
    {
        CheckResolution(resolution);
        if (resolution == Resolution)
        {
            return Clone();
        }
        if (mode == ResampleMode.Auto)
        {
            mode = resolution > Resolution ? ResampleMode.Nearest : ResampleMode.Max;
        }
        var target = new VoxelGrid(resolution);
        Resample(_voxels, Resolution, target._voxels, resolution, mode);
        return target;
    }

    internal static void Resample(ReadOnlySpan<byte> source, int rs, Span<byte> target, int rt, ResampleMode mode)
    {
        if (mode == ResampleMode.Auto)
        {
            mode = rt > rs ? ResampleMode.Nearest : ResampleMode.Max;
        }
        // Per axis, the source voxels each target voxel overlaps and how much of each (same on every axis).
        var lo = new int[rt];
        var hi = new int[rt];
        var near = new int[rt];
        double f = (double)rs / rt;
        for (int t = 0; t < rt; t++)
        {
            double a = t * f, b = (t + 1) * f;
            lo[t] = (int)Math.Floor(a);
            hi[t] = Math.Min(rs - 1, (int)Math.Ceiling(b) - 1);
            near[t] = Math.Min(rs - 1, (int)Math.Floor((t + 0.5) * f));
        }
        double Overlap(int t, int s) => Math.Min(s + 1, (t + 1) * f) - Math.Max(s, t * f);

        for (int i = 0; i < rt; i++)
        {
            for (int j = 0; j < rt; j++)
            {
                for (int k = 0; k < rt; k++)
                {
                    byte value;
                    if (mode == ResampleMode.Nearest)
                    {
                        value = source[(near[i] * rs + near[j]) * rs + near[k]];
                    }
                    else if (mode == ResampleMode.Max)
                    {
                        value = 0;
                        for (int a = lo[i]; a <= hi[i] && value == 0; a++)
                        {
                            for (int b = lo[j]; b <= hi[j] && value == 0; b++)
                            {
                                if (source.Slice((a * rs + b) * rs + lo[k], hi[k] - lo[k] + 1).Contains((byte)1))
                                {
                                    value = 1;
                                }
                            }
                        }
                    }
                    else
                    {
                        double on = 0;
                        for (int a = lo[i]; a <= hi[i]; a++)
                        {
                            for (int b = lo[j]; b <= hi[j]; b++)
                            {
                                for (int c = lo[k]; c <= hi[k]; c++)
                                {
                                    if (source[(a * rs + b) * rs + c] != 0)
                                    {
                                        on += Overlap(i, a) * Overlap(j, b) * Overlap(k, c);
                                    }
                                }
                            }
                        }
                        value = on >= 0.5 * f * f * f - 1e-9 ? (byte)1 : (byte)0;
                    }
                    target[(i * rt + j) * rt + k] = value;
                }
            }
        }
    }

    internal static void CheckResolution(int resolution)
    {
        if (resolution < 1 || resolution > MaxResolution)
        {
            throw new ArgumentOutOfRangeException(nameof(resolution), resolution, $"resolution must be 1..{MaxResolution}");
        }
    }
}

/// <summary>Which mesh axis points up; the grid's up axis is always axis 2 (see <see cref="VoxelGrid"/>).</summary>
public enum UpAxis
{
    /// <summary>+Z up (ModelNet, ShapeNet binvox, STL/CAD): (x, y, z) maps to (axis 0, axis 1, axis 2).</summary>
    Z,
    /// <summary>+Y up (most OBJ exports): (x, y, z) maps to (x, −z, y), a rotation that keeps handedness.</summary>
    Y,
}
