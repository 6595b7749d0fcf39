using System.IO.Compression;

namespace Gan3D.Data;

/// <summary>
/// NumPy <c>.npy</c> files, plain or gzip-compressed (<c>.npy.gz</c>; gzip is recognised by its magic
/// bytes, and written when the path ends in <c>.gz</c>). Reads bool, int8/16/32/64, uint8/16/32/64 and
/// float16/32/64 in either byte order, C order only. Writes float32 and uint8 arrays of any shape.
/// </summary>
public static class NpyFile
{
    /// <summary>
    /// Reads an array of any shape and numeric dtype as float32.
    /// </summary>
    /// <returns>The shape and the values in C order (the last index fastest).</returns>
    public static (int[] Shape, float[] Data) ReadFloat32(string path)
    {
        using var stream = DataFile.Open(path, out long length);
        var header = NpyHeader.Read(stream, path);
        long count = header.ElementCount;
        if (count > System.Array.MaxLength)
        {
            throw DataFile.Error(path, $"shape {header.ShapeText} holds {count} values, more than one array can hold");
        }
        CheckDataFits(header, stream, length, path);
        var shape = header.Shape.Select(d => (int)d).ToArray();
        var raw = DataFile.ReadExactlyGrowing(stream, header.DataBytes, path, $"shape {header.ShapeText} of {header.Descr}");
        var data = new float[count];
        header.ConvertToFloat(raw, data);
        return (shape, data);
    }

    /// <summary>Writes a little-endian float32 array ('&lt;f4') of <paramref name="shape"/>, atomically.</summary>
    public static void WriteFloat32(string path, ReadOnlySpan<int> shape, ReadOnlySpan<float> data)
    {
        long[] dims = CheckShape(shape, data.Length);
        byte[] bytes = new byte[data.Length * sizeof(float)];
        for (int n = 0; n < data.Length; n++)
        {
            System.Buffers.Binary.BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(n * 4, 4), data[n]);
        }
        Write(path, "<f4", dims, s => s.Write(bytes));
    }

    /// <summary>Writes a uint8 array ('|u1') of <paramref name="shape"/>, atomically.</summary>
    public static void WriteUInt8(string path, ReadOnlySpan<int> shape, ReadOnlySpan<byte> data)
    {
        long[] dims = CheckShape(shape, data.Length);
        byte[] bytes = data.ToArray();
        Write(path, "|u1", dims, s => s.Write(bytes));
    }

    /// <summary>The shape and dtype of a file, from its header alone.</summary>
    public static (long[] Shape, string Descr) ReadHeader(string path)
    {
        using var stream = DataFile.Open(path, out _);
        var header = NpyHeader.Read(stream, path);
        return (header.Shape, header.Descr);
    }

    /// <summary>
    /// Reads every grid of a voxel file, empty ones included. Shapes (N, R, R, R), (N, 1, R, R, R) or
    /// (R, R, R); a voxel is occupied when its value is greater than <paramref name="threshold"/>.
    /// </summary>
    public static VoxelDataset ReadVoxels(string path, float threshold = 0.5f)
    {
        VoxelDatasetBuilder? builder = null;
        ReadGrids(path, threshold, (r, index, occupancy) =>
        {
            builder ??= new VoxelDatasetBuilder(r);
            builder.Add(occupancy, null);
            return true;
        }, out int resolution, out _);
        return (builder ?? new VoxelDatasetBuilder(resolution)).Build([]);
    }

    /// <summary>The grid callback of <see cref="ReadGrids"/>: resolution, index in the file, R³ occupancy bytes.</summary>
    internal delegate bool GridSink(int resolution, int index, ReadOnlySpan<byte> occupancy);

    /// <summary>
    /// Streams the grids of a voxel file to <paramref name="sink"/> one at a time (so memory follows the
    /// data actually present, not the declared shape). Stops early when the sink returns false.
    /// </summary>
    internal static void ReadGrids(string path, float threshold, GridSink sink, out int resolution, out bool singleGrid)
    {
        using var stream = DataFile.Open(path, out long length);
        var header = NpyHeader.Read(stream, path);
        var shape = header.Shape;
        long count;
        long r;
        if (shape.Length == 3)
        {
            (count, r) = (1, shape[0]);
        }
        else if (shape.Length == 4)
        {
            (count, r) = (shape[0], shape[1]);
        }
        else if (shape.Length == 5 && shape[1] == 1)
        {
            (count, r) = (shape[0], shape[2]);
        }
        else
        {
            throw DataFile.Error(path, $"shape {header.ShapeText} is not a voxel grid: expected (N, R, R, R), (N, 1, R, R, R) or (R, R, R)");
        }
        singleGrid = shape.Length == 3;
        if (shape[^1] != r || shape[^2] != r || shape[^3] != r)
        {
            throw DataFile.Error(path, $"shape {header.ShapeText} is not cubic: only R×R×R grids are supported");
        }
        if (r < 1 || r > VoxelGrid.MaxResolution)
        {
            throw DataFile.Error(path, $"shape {header.ShapeText}: grid resolution {r} is outside 1..{VoxelGrid.MaxResolution}");
        }
        if (count > int.MaxValue)
        {
            throw DataFile.Error(path, $"shape {header.ShapeText} declares {count} grids");
        }
        CheckDataFits(header, stream, length, path);
        resolution = (int)r;
        int voxels = resolution * resolution * resolution;
        var occupancy = new byte[voxels];
        int chunkElements = Math.Min(voxels, 1 << 18);
        var raw = new byte[chunkElements * header.ItemSize];
        var values = new float[chunkElements];
        bool bytesFastPath = header.ItemSize == 1;
        for (int g = 0; g < count; g++)
        {
            for (int start = 0; start < voxels; start += chunkElements)
            {
                int n = Math.Min(chunkElements, voxels - start);
                var chunk = raw.AsSpan(0, n * header.ItemSize);
                int got = DataFile.ReadUpTo(stream, chunk);
                if (got < chunk.Length)
                {
                    throw DataFile.Error(path, $"truncated: shape {header.ShapeText} declares {count} grids, the data ends inside grid {g}");
                }
                var dst = occupancy.AsSpan(start, n);
                if (bytesFastPath && header.Kind != 'i')
                {
                    for (int e = 0; e < n; e++)
                    {
                        dst[e] = chunk[e] > threshold ? (byte)1 : (byte)0;
                    }
                }
                else
                {
                    header.ConvertToFloat(chunk, values);
                    for (int e = 0; e < n; e++)
                    {
                        float v = values[e];
                        if (float.IsNaN(v))
                        {
                            throw DataFile.Error(path, $"grid {g} holds NaN values");
                        }
                        dst[e] = v > threshold ? (byte)1 : (byte)0;
                    }
                }
            }
            if (!sink(resolution, g, occupancy))
            {
                return;
            }
        }
    }

    /// <summary>Writes a voxel dataset as uint8 (N, R, R, R), atomically, streaming one grid at a time.</summary>
    internal static void WriteVoxels(string path, VoxelDataset dataset)
    {
        int r = dataset.Resolution;
        var grid = new byte[r * r * r];
        Write(path, "|u1", [dataset.Count, r, r, r], s =>
        {
            for (int n = 0; n < dataset.Count; n++)
            {
                dataset.CopyTo(n, grid);
                s.Write(grid);
            }
        });
    }

    private static void Write(string path, string descr, long[] shape, Action<Stream> writeData)
    {
        bool gzip = path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase);
        AtomicFile.Write(path, file =>
        {
            if (gzip)
            {
                using var z = new GZipStream(file, CompressionLevel.Optimal, leaveOpen: true);
                NpyHeader.Write(z, descr, shape);
                writeData(z);
            }
            else
            {
                NpyHeader.Write(file, descr, shape);
                writeData(file);
            }
        });
    }

    private static long[] CheckShape(ReadOnlySpan<int> shape, int length)
    {
        long count = 1;
        var dims = new long[shape.Length];
        for (int n = 0; n < shape.Length; n++)
        {
            if (shape[n] < 0)
            {
                throw new ArgumentException($"negative dimension {shape[n]} in shape", nameof(shape));
            }
            dims[n] = shape[n];
            count *= shape[n];
        }
        if (count != length)
        {
            throw new ArgumentException($"shape ({string.Join(", ", dims)}) holds {count} values, data has {length}", nameof(shape));
        }
        return dims;
    }

    /// <summary>For an uncompressed file, refuse before reading when the declared data cannot be there.</summary>
    private static void CheckDataFits(NpyHeader header, Stream stream, long fileLength, string path)
    {
        if (fileLength < 0)
        {
            return;
        }
        long available = fileLength - stream.Position;
        if (header.DataBytes > available)
        {
            string need = header.DataBytes == long.MaxValue ? "more than 2^63" : header.DataBytes.ToString(System.Globalization.CultureInfo.InvariantCulture);
            throw DataFile.Error(path, $"truncated: shape {header.ShapeText} of {header.Descr} needs {need} bytes of data, the file holds {available}");
        }
    }
}
