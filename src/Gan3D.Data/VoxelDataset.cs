using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Gan3D.Data;

/// <summary>
/// N occupancy grids of one resolution R (axes: see <see cref="VoxelGrid"/>), stored one bit a voxel
/// (32³ grids take 4 KiB each), with optional per-shape string labels. The trainer fills its input
/// batches from here with <see cref="FillBatch"/>, which allocates nothing.
/// </summary>
public sealed class VoxelDataset
{
    // 256 bytes × 8 bits, each bit as 0f/1f: one 32-byte copy expands a stored byte.
    private static readonly float[] BitsToFloats = MakeBitTable();

    private readonly byte[] _bits;
    private readonly string[]? _labels;
    private string[]? _classNames;
    private int[]? _classIndices;
    private string? _contentHash;

    internal VoxelDataset(int resolution, byte[] bits, int count, string[]? labels, IReadOnlyList<string> warnings)
    {
        VoxelGrid.CheckResolution(resolution);
        Resolution = resolution;
        Count = count;
        _bits = bits;
        _labels = labels;
        Warnings = warnings;
        if (labels is not null && labels.Length != count)
        {
            throw new ArgumentException($"{labels.Length} labels for {count} grids", nameof(labels));
        }
    }

    /// <summary>Number of grids.</summary>
    public int Count { get; }

    /// <summary>R: every grid is R×R×R.</summary>
    public int Resolution { get; }

    /// <summary>R³, the floats one grid fills.</summary>
    public int VoxelsPerGrid => Resolution * Resolution * Resolution;

    /// <summary>Stored bytes per grid: ⌈R³ / 8⌉.</summary>
    public int BytesPerGrid => (VoxelsPerGrid + 7) / 8;

    /// <summary>Per-shape labels (e.g. "chair"), or null when the source had none.</summary>
    public IReadOnlyList<string>? Labels => _labels;

    /// <summary>Distinct labels in order of first appearance (empty without labels).</summary>
    public IReadOnlyList<string> ClassNames
    {
        get
        {
            EnsureClasses();
            return _classNames!;
        }
    }

    /// <summary>Per shape, its label's index in <see cref="ClassNames"/> (empty without labels).</summary>
    public IReadOnlyList<int> ClassIndices
    {
        get
        {
            EnsureClasses();
            return _classIndices!;
        }
    }

    /// <summary>What the loader skipped or changed (empty grids, resampling), one sentence each.</summary>
    public IReadOnlyList<string> Warnings { get; }

    /// <summary>
    /// Fills <paramref name="destination"/>, a (B, 1, R, R, R) float tensor in C order with
    /// B = <paramref name="indices"/>.Length, with 0f/1f occupancy of the grids at those indices.
    /// Allocates nothing.
    /// </summary>
    public void FillBatch(ReadOnlySpan<int> indices, Span<float> destination)
    {
        long need = (long)indices.Length * VoxelsPerGrid;
        if (destination.Length < need)
        {
            throw new ArgumentException($"destination holds {destination.Length} floats, a ({indices.Length}, 1, {Resolution}, {Resolution}, {Resolution}) batch needs {need}", nameof(destination));
        }
        for (int b = 0; b < indices.Length; b++)
        {
            CopyTo(indices[b], destination.Slice(b * VoxelsPerGrid, VoxelsPerGrid));
        }
    }

    /// <summary>Whether a batch's grids pack into contiguous bits (R³ a multiple of 8), as <see cref="FillBatchBits"/> needs.</summary>
    public bool BitsPackContiguously => VoxelsPerGrid % 8 == 0;

    /// <summary>
    /// The grids <paramref name="indices"/> as packed bits, one after the other (voxel v of batch entry b is bit
    /// (b·R³ + v) mod 8 of byte (b·R³ + v) / 8, least significant first): what IBackend.UploadBits expands.
    /// </summary>
    public void FillBatchBits(ReadOnlySpan<int> indices, Span<byte> destination)
    {
        if (!BitsPackContiguously)
        {
            throw new InvalidOperationException($"{Resolution}³ voxels do not fill whole bytes; use FillBatch");
        }
        long need = (long)indices.Length * BytesPerGrid;
        if (destination.Length < need)
        {
            throw new ArgumentException($"destination holds {destination.Length} bytes, {indices.Length} packed grids need {need}", nameof(destination));
        }
        for (int b = 0; b < indices.Length; b++)
        {
            CheckIndex(indices[b]);
            _bits.AsSpan(indices[b] * BytesPerGrid, BytesPerGrid).CopyTo(destination.Slice(b * BytesPerGrid, BytesPerGrid));
        }
    }

    /// <summary>Writes grid <paramref name="index"/> as R³ floats (0f/1f, C order).</summary>
    public void CopyTo(int index, Span<float> destination)
    {
        CheckIndex(index);
        int voxels = VoxelsPerGrid;
        if (destination.Length < voxels)
        {
            throw new ArgumentException($"destination holds {destination.Length} floats, need {voxels}", nameof(destination));
        }
        var src = _bits.AsSpan(index * BytesPerGrid, BytesPerGrid);
        int whole = voxels / 8;
        ref float table = ref MemoryMarshal.GetArrayDataReference(BitsToFloats);
        ref float dst = ref MemoryMarshal.GetReference(destination);
        for (int n = 0; n < whole; n++)
        {
            Vector256.LoadUnsafe(ref table, (nuint)(src[n] * 8)).StoreUnsafe(ref dst, (nuint)(n * 8));
        }
        for (int v = whole * 8; v < voxels; v++)
        {
            destination[v] = (src[v >> 3] >> (v & 7)) & 1;
        }
    }

    /// <summary>Writes grid <paramref name="index"/> as R³ occupancy bytes (0/1, C order).</summary>
    public void CopyTo(int index, Span<byte> destination)
    {
        CheckIndex(index);
        int voxels = VoxelsPerGrid;
        if (destination.Length < voxels)
        {
            throw new ArgumentException($"destination holds {destination.Length} bytes, need {voxels}", nameof(destination));
        }
        var src = _bits.AsSpan(index * BytesPerGrid, BytesPerGrid);
        for (int v = 0; v < voxels; v++)
        {
            destination[v] = (byte)((src[v >> 3] >> (v & 7)) & 1);
        }
    }

    /// <summary>Grid <paramref name="index"/> as a new <see cref="VoxelGrid"/>.</summary>
    public VoxelGrid GetGrid(int index)
    {
        var grid = new VoxelGrid(Resolution);
        CopyTo(index, grid.Voxels);
        return grid;
    }

    /// <summary>Occupied voxels of grid <paramref name="index"/>.</summary>
    public int CountOccupied(int index)
    {
        CheckIndex(index);
        int total = 0;
        foreach (byte b in _bits.AsSpan(index * BytesPerGrid, BytesPerGrid))
        {
            total += System.Numerics.BitOperations.PopCount(b);
        }
        return total;
    }

    /// <summary>The label of grid <paramref name="index"/>, or null without labels.</summary>
    public string? GetLabel(int index)
    {
        CheckIndex(index);
        return _labels?[index];
    }

    /// <summary>The grids at <paramref name="indices"/> (with their labels), in that order.</summary>
    public VoxelDataset Subset(ReadOnlySpan<int> indices)
    {
        var bits = new byte[(long)indices.Length * BytesPerGrid];
        var labels = _labels is null ? null : new string[indices.Length];
        for (int n = 0; n < indices.Length; n++)
        {
            CheckIndex(indices[n]);
            _bits.AsSpan(indices[n] * BytesPerGrid, BytesPerGrid).CopyTo(bits.AsSpan(n * BytesPerGrid));
            if (labels is not null)
            {
                labels[n] = _labels![indices[n]];
            }
        }
        return new VoxelDataset(Resolution, bits, indices.Length, labels, Warnings);
    }

    /// <summary>Every grid at another resolution (nearest going up, max pooling going down by default).</summary>
    public VoxelDataset Resample(int resolution, ResampleMode mode = ResampleMode.Auto)
    {
        if (resolution == Resolution)
        {
            return this;
        }
        var builder = new VoxelDatasetBuilder(resolution);
        var source = new byte[VoxelsPerGrid];
        var target = new byte[resolution * resolution * resolution];
        for (int n = 0; n < Count; n++)
        {
            CopyTo(n, source);
            VoxelGrid.Resample(source, Resolution, target, resolution, mode);
            builder.Add(target, _labels?[n]);
        }
        return builder.Build(Warnings);
    }

    /// <summary>Writes all grids as uint8 (N, R, R, R) to a <c>.npy</c> or <c>.npy.gz</c> file, atomically. Labels are not stored.</summary>
    public void SaveNpy(string path) => NpyFile.WriteVoxels(path, this);

    /// <summary>
    /// The shapes of several data sets of one resolution, in order; each part's shapes take the part's
    /// label when one is given (e.g. "chair" for a file of chairs), else keep their own.
    /// </summary>
    public static VoxelDataset Concat(IReadOnlyList<(VoxelDataset Data, string? Label)> parts)
    {
        if (parts.Count == 0)
        {
            throw new ArgumentException("nothing to concatenate", nameof(parts));
        }
        int r = parts[0].Data.Resolution;
        var builder = new VoxelDatasetBuilder(r);
        var warnings = new List<string>();
        foreach (var (data, label) in parts)
        {
            if (data.Resolution != r)
            {
                throw new ArgumentException($"cannot join {data.Resolution}³ shapes with {r}³ ones");
            }
            for (int i = 0; i < data.Count; i++)
            {
                builder.AddPacked(data._bits.AsSpan(i * data.BytesPerGrid, data.BytesPerGrid), label ?? data.GetLabel(i));
            }
            warnings.AddRange(data.Warnings);
        }
        return builder.Build(warnings);
    }

    /// <summary>A dataset holding copies of <paramref name="grids"/> (all of one resolution).</summary>
    public static VoxelDataset FromGrids(IReadOnlyList<VoxelGrid> grids, IReadOnlyList<string>? labels = null)
    {
        ArgumentNullException.ThrowIfNull(grids);
        if (grids.Count == 0)
        {
            throw new ArgumentException("no grids", nameof(grids));
        }
        if (labels is not null && labels.Count != grids.Count)
        {
            throw new ArgumentException($"{labels.Count} labels for {grids.Count} grids", nameof(labels));
        }
        var builder = new VoxelDatasetBuilder(grids[0].Resolution);
        for (int n = 0; n < grids.Count; n++)
        {
            if (grids[n].Resolution != builder.Resolution)
            {
                throw new ArgumentException($"grid {n} is {grids[n].Resolution}³, grid 0 is {builder.Resolution}³", nameof(grids));
            }
            builder.Add(grids[n].Voxels, labels?[n]);
        }
        return builder.Build([]);
    }

    /// <summary>
    /// Loads a dataset from <paramref name="source"/>: a <c>.npy</c>/<c>.npy.gz</c> or <c>.binvox</c> file,
    /// a mesh file, a folder of those, or the word <c>procedural</c> for the built-in shape families.
    /// See <see cref="VoxelDatasetLoader"/> for labels, empty grids, resampling and the mesh cache.
    /// </summary>
    /// <param name="source">Path or "procedural".</param>
    /// <param name="resolution">Resolution wanted; null keeps the files' own (32 for meshes and procedural).</param>
    /// <param name="options">Loader settings; null for defaults.</param>
    public static VoxelDataset Load(string source, int? resolution = null, VoxelLoadOptions? options = null) =>
        VoxelDatasetLoader.Load(source, resolution, options ?? new VoxelLoadOptions());

    private void CheckIndex(int index)
    {
        if ((uint)index >= (uint)Count)
        {
            throw new ArgumentOutOfRangeException(nameof(index), index, $"the dataset holds {Count} grids");
        }
    }

    private void EnsureClasses()
    {
        if (_classNames is not null)
        {
            return;
        }
        var names = new List<string>();
        var lookup = new Dictionary<string, int>(StringComparer.Ordinal);
        var indices = new int[_labels?.Length ?? 0];
        for (int n = 0; n < indices.Length; n++)
        {
            string label = _labels![n];
            if (!lookup.TryGetValue(label, out int id))
            {
                id = names.Count;
                lookup[label] = id;
                names.Add(label);
            }
            indices[n] = id;
        }
        _classIndices = indices;
        _classNames = names.ToArray();
    }

    /// <summary>
    /// A fingerprint of the grids (resolution, count and every voxel; labels excluded): equal for the
    /// same shapes however they were loaded. Checkpoints record it so a run resumes only on its own data.
    /// </summary>
    public string ContentHash()
    {
        if (_contentHash is null)
        {
            using var sha = System.Security.Cryptography.IncrementalHash.CreateHash(System.Security.Cryptography.HashAlgorithmName.SHA256);
            Span<byte> header = stackalloc byte[8];
            System.Buffers.Binary.BinaryPrimitives.WriteInt32LittleEndian(header, Resolution);
            System.Buffers.Binary.BinaryPrimitives.WriteInt32LittleEndian(header[4..], Count);
            sha.AppendData(header);
            sha.AppendData(_bits.AsSpan(0, Count * BytesPerGrid));
            _contentHash = "sha256:" + Convert.ToHexStringLower(sha.GetHashAndReset());
        }
        return _contentHash;
    }

    internal ReadOnlySpan<byte> PackedBits(int index) => _bits.AsSpan(index * BytesPerGrid, BytesPerGrid);

    private static float[] MakeBitTable()
    {
        var table = new float[256 * 8];
        for (int b = 0; b < 256; b++)
        {
            for (int bit = 0; bit < 8; bit++)
            {
                table[b * 8 + bit] = (b >> bit) & 1;
            }
        }
        return table;
    }
}

/// <summary>Collects grids, packing them to bits as they come (storage grows with what is added).</summary>
internal sealed class VoxelDatasetBuilder
{
    private byte[] _bits = [];
    private readonly List<string?> _labels = [];

    public VoxelDatasetBuilder(int resolution)
    {
        VoxelGrid.CheckResolution(resolution);
        Resolution = resolution;
        BytesPerGrid = (resolution * resolution * resolution + 7) / 8;
    }

    public int Resolution { get; }
    public int BytesPerGrid { get; }
    public int Count { get; private set; }

    /// <summary>Adds one grid of R³ occupancy bytes (any non-zero byte counts as occupied).</summary>
    public void Add(ReadOnlySpan<byte> occupancy, string? label)
    {
        int voxels = Resolution * Resolution * Resolution;
        if (occupancy.Length != voxels)
        {
            throw new ArgumentException($"expected {voxels} voxels, got {occupancy.Length}", nameof(occupancy));
        }
        var dst = Reserve();
        Pack(occupancy, dst);
        _labels.Add(label);
        Count++;
    }

    /// <summary>Adds one grid already packed (⌈R³/8⌉ bytes, bit v of the grid at byte v/8, bit v%8).</summary>
    public void AddPacked(ReadOnlySpan<byte> bits, string? label)
    {
        bits.CopyTo(Reserve());
        _labels.Add(label);
        Count++;
    }

    public VoxelDataset Build(IReadOnlyList<string> warnings)
    {
        string[]? labels = _labels.Count > 0 && _labels.TrueForAll(l => l is not null) ? _labels.Select(l => l!).ToArray() : null;
        var bits = _bits.Length == Count * BytesPerGrid ? _bits : _bits.AsSpan(0, Count * BytesPerGrid).ToArray();
        return new VoxelDataset(Resolution, bits, Count, labels, warnings);
    }

    private Span<byte> Reserve()
    {
        long need = (long)(Count + 1) * BytesPerGrid;
        if (need > System.Array.MaxLength)
        {
            throw new InvalidOperationException($"a dataset of {Count + 1} grids of {Resolution}³ does not fit in one array");
        }
        if (need > _bits.Length)
        {
            long grow = Math.Max(need, Math.Min((long)_bits.Length * 2, System.Array.MaxLength));
            System.Array.Resize(ref _bits, (int)grow);
        }
        return _bits.AsSpan(Count * BytesPerGrid, BytesPerGrid);
    }

    /// <summary>Packs occupancy bytes to bits, least significant bit first.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void Pack(ReadOnlySpan<byte> occupancy, Span<byte> bits)
    {
        int n = 0;
        ref byte src = ref MemoryMarshal.GetReference(occupancy);
        for (; n + 16 <= occupancy.Length; n += 16)
        {
            var v = Vector128.LoadUnsafe(ref src, (nuint)n);
            uint mask = Vector128.ExtractMostSignificantBits(~Vector128.Equals(v, Vector128<byte>.Zero));
            bits[n >> 3] = (byte)mask;
            bits[(n >> 3) + 1] = (byte)(mask >> 8);
        }
        if (n < occupancy.Length)
        {
            bits[(n >> 3)..].Clear();
            for (; n < occupancy.Length; n++)
            {
                if (occupancy[n] != 0)
                {
                    bits[n >> 3] |= (byte)(1 << (n & 7));
                }
            }
        }
    }
}
