using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using Gan3D.Tensors;

namespace Gan3D.Nn;

/// <summary>The tensors and string metadata of a <c>.safetensors</c> file.</summary>
public sealed class SafeTensorsFile
{
    public required Dictionary<string, (Shape Shape, float[] Data)> Tensors { get; init; }

    public required Dictionary<string, string> Metadata { get; init; }
}

/// <summary>
/// The safetensors format (as Python's <c>safetensors</c> reads it): an 8-byte little-endian header
/// length, a JSON header {name: {dtype, shape, data_offsets}, "__metadata__": {str: str}}, then the
/// raw little-endian data, each tensor's bytes at [begin, end) of the data section with no gaps.
/// Writes float32 ("F32"); reads F32, F64, F16 and BF16. Every defect of a file read gives an
/// <see cref="InvalidDataException"/> naming the file.
/// </summary>
public static class SafeTensors
{
    // The reference implementation refuses headers above 100 MB; so do we, before allocating.
    private const long MaxHeaderBytes = 100_000_000;

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    public static void Save(string path, IEnumerable<KeyValuePair<string, Tensor>> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var entries = tensors.OrderBy(kv => kv.Key, StringComparer.Ordinal).ToList();
        var header = new MemoryStream();
        using (var json = new Utf8JsonWriter(header))
        {
            json.WriteStartObject();
            if (metadata is { Count: > 0 })
            {
                json.WriteStartObject("__metadata__");
                foreach (var (k, v) in metadata)
                {
                    json.WriteString(k, v);
                }
                json.WriteEndObject();
            }
            long offset = 0;
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (var (name, t) in entries)
            {
                if (name == "__metadata__" || !seen.Add(name))
                {
                    throw new ArgumentException($"safetensors: invalid or duplicate tensor name '{name}'");
                }
                json.WriteStartObject(name);
                json.WriteString("dtype", "F32");
                json.WriteStartArray("shape");
                foreach (int d in t.Shape)
                {
                    json.WriteNumberValue(d);
                }
                json.WriteEndArray();
                json.WriteStartArray("data_offsets");
                json.WriteNumberValue(offset);
                offset += t.Numel * sizeof(float);
                json.WriteNumberValue(offset);
                json.WriteEndArray();
                json.WriteEndObject();
            }
            json.WriteEndObject();
        }
        // Pad the header with spaces so the data section starts 8-byte aligned (as the reference writer does).
        while (header.Length % 8 != 0)
        {
            header.WriteByte((byte)' ');
        }
        AtomicFile.Write(path, stream =>
        {
            Span<byte> len = stackalloc byte[8];
            BinaryPrimitives.WriteUInt64LittleEndian(len, (ulong)header.Length);
            stream.Write(len);
            header.Position = 0;
            header.CopyTo(stream);
            foreach (var (_, t) in entries)
            {
                var data = t.ToArray();
                if (!BitConverter.IsLittleEndian)
                {
                    throw new PlatformNotSupportedException("safetensors writing needs a little-endian machine");
                }
                stream.Write(System.Runtime.InteropServices.MemoryMarshal.AsBytes(data.AsSpan()));
            }
        });
    }

    public static SafeTensorsFile Load(string path)
    {
        using var fs = OpenForRead(path);
        var (entries, metadata, dataStart) = ReadHeader(fs, path);
        var tensors = new Dictionary<string, (Shape, float[])>(StringComparer.Ordinal);
        foreach (var e in entries)
        {
            var bytes = new byte[e.End - e.Begin];
            fs.Position = dataStart + e.Begin;
            fs.ReadExactly(bytes);
            tensors[e.Name] = (e.Shape, Decode(bytes, e.DType));
        }
        return new SafeTensorsFile { Tensors = tensors, Metadata = metadata };
    }

    /// <summary>Only the metadata (cheap: the data section is not read).</summary>
    public static Dictionary<string, string> ReadMetadata(string path)
    {
        using var fs = OpenForRead(path);
        return ReadHeader(fs, path).Metadata;
    }

    private static FileStream OpenForRead(string path)
    {
        if (!File.Exists(path))
        {
            throw new FileNotFoundException(Directory.Exists(path) ? $"{path}: is a folder, not a file" : $"{path}: no such file", path);
        }
        try
        {
            return new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        }
        catch (UnauthorizedAccessException ex)
        {
            throw new UnauthorizedAccessException($"{path}: cannot read the file (permission denied)", ex);
        }
    }

    private sealed record Entry(string Name, string DType, Shape Shape, long Begin, long End);

    private static (List<Entry> Entries, Dictionary<string, string> Metadata, long DataStart) ReadHeader(FileStream fs, string path)
    {
        long fileLength = fs.Length;
        if (fileLength < 8)
        {
            throw Bad(path, $"only {fileLength} bytes: too short for a safetensors header");
        }
        Span<byte> lenBytes = stackalloc byte[8];
        fs.ReadExactly(lenBytes);
        ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(lenBytes);
        if (headerLength > (ulong)(fileLength - 8))
        {
            throw Bad(path, $"header declares {headerLength} bytes but the file has {fileLength - 8} after the length (truncated or not a safetensors file)");
        }
        if (headerLength > MaxHeaderBytes)
        {
            throw Bad(path, $"header of {headerLength} bytes exceeds the {MaxHeaderBytes}-byte limit");
        }
        var header = new byte[headerLength];
        fs.ReadExactly(header);
        long dataStart = 8 + (long)headerLength;
        long dataLength = fileLength - dataStart;
        try
        {
            // The JSON parser accepts invalid UTF-8 inside strings and fails only when a string is
            // read, with a message that names no file: check the whole header first.
            StrictUtf8.GetCharCount(header);
        }
        catch (DecoderFallbackException ex)
        {
            throw Bad(path, ex.Index >= 0 ? $"header is not valid UTF-8 (byte {8 + ex.Index} of the file)" : "header is not valid UTF-8");
        }

        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(header);
        }
        catch (JsonException ex)
        {
            throw Bad(path, $"header is not valid JSON ({ex.Message.Split('.')[0]})");
        }
        using (doc)
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
            {
                throw Bad(path, "header is not a JSON object");
            }
            var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
            var entries = new List<Entry>();
            foreach (var prop in doc.RootElement.EnumerateObject())
            {
                if (prop.Name == "__metadata__")
                {
                    if (prop.Value.ValueKind != JsonValueKind.Object)
                    {
                        throw Bad(path, "__metadata__ is not an object");
                    }
                    foreach (var m in prop.Value.EnumerateObject())
                    {
                        if (m.Value.ValueKind != JsonValueKind.String)
                        {
                            throw Bad(path, $"metadata value '{m.Name}' is not a string");
                        }
                        metadata[m.Name] = m.Value.GetString()!;
                    }
                    continue;
                }
                entries.Add(ParseEntry(prop, path));
            }
            // The data section must be covered exactly, tensor after tensor (the reference reader's rule).
            long expected = 0;
            foreach (var e in entries.OrderBy(e => e.Begin))
            {
                if (e.Begin != expected)
                {
                    throw Bad(path, $"tensor '{e.Name}' starts at byte {e.Begin} of the data, expected {expected} (overlapping or gapped offsets)");
                }
                expected = e.End;
            }
            if (expected != dataLength)
            {
                throw Bad(path, expected > dataLength
                    ? $"tensors need {expected} bytes of data but the file holds {dataLength} (truncated)"
                    : $"{dataLength - expected} bytes after the last tensor");
            }
            return (entries, metadata, dataStart);
        }
    }

    private static Entry ParseEntry(JsonProperty prop, string path)
    {
        var v = prop.Value;
        if (v.ValueKind != JsonValueKind.Object ||
            !v.TryGetProperty("dtype", out var dtypeEl) || dtypeEl.ValueKind != JsonValueKind.String ||
            !v.TryGetProperty("shape", out var shapeEl) || shapeEl.ValueKind != JsonValueKind.Array ||
            !v.TryGetProperty("data_offsets", out var offEl) || offEl.ValueKind != JsonValueKind.Array || offEl.GetArrayLength() != 2)
        {
            throw Bad(path, $"tensor '{prop.Name}' needs dtype, shape and two data_offsets");
        }
        string dtype = dtypeEl.GetString()!;
        int size = dtype switch
        {
            "F32" => 4,
            "F64" => 8,
            "F16" or "BF16" => 2,
            _ => throw Bad(path, $"tensor '{prop.Name}' has dtype {dtype}; only F32, F64, F16 and BF16 can be read"),
        };
        var dims = new List<int>();
        long numel = 1;
        foreach (var d in shapeEl.EnumerateArray())
        {
            if (d.ValueKind != JsonValueKind.Number || !d.TryGetInt32(out int extent) || extent < 0)
            {
                throw Bad(path, $"tensor '{prop.Name}' has an invalid shape {shapeEl.GetRawText()}");
            }
            dims.Add(extent);
            numel *= extent;
            if (numel > int.MaxValue)
            {
                throw Bad(path, $"tensor '{prop.Name}' of shape {shapeEl.GetRawText()} is too large");
            }
        }
        var offs = offEl.EnumerateArray().ToArray();
        if (!offs[0].TryGetInt64(out long begin) || !offs[1].TryGetInt64(out long end) || begin < 0 || end < begin)
        {
            throw Bad(path, $"tensor '{prop.Name}' has invalid data_offsets {offEl.GetRawText()}");
        }
        if (end - begin != numel * size)
        {
            throw Bad(path, $"tensor '{prop.Name}' of shape {shapeEl.GetRawText()} and dtype {dtype} needs {numel * size} bytes, its offsets give {end - begin}");
        }
        return new Entry(prop.Name, dtype, new Shape(dims.ToArray()), begin, end);
    }

    private static float[] Decode(byte[] bytes, string dtype)
    {
        switch (dtype)
        {
            case "F32":
            {
                var r = new float[bytes.Length / 4];
                for (int i = 0; i < r.Length; i++)
                {
                    r[i] = BinaryPrimitives.ReadSingleLittleEndian(bytes.AsSpan(4 * i));
                }
                return r;
            }
            case "F64":
            {
                var r = new float[bytes.Length / 8];
                for (int i = 0; i < r.Length; i++)
                {
                    r[i] = (float)BinaryPrimitives.ReadDoubleLittleEndian(bytes.AsSpan(8 * i));
                }
                return r;
            }
            case "F16":
            {
                var r = new float[bytes.Length / 2];
                for (int i = 0; i < r.Length; i++)
                {
                    r[i] = (float)BinaryPrimitives.ReadHalfLittleEndian(bytes.AsSpan(2 * i));
                }
                return r;
            }
            default: // BF16: the top half of a float32
            {
                var r = new float[bytes.Length / 2];
                for (int i = 0; i < r.Length; i++)
                {
                    r[i] = BitConverter.Int32BitsToSingle(BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(2 * i)) << 16);
                }
                return r;
            }
        }
    }

    private static InvalidDataException Bad(string path, string what) => new($"{path}: {what}");
}
