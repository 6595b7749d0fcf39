using System.Buffers.Binary;
using System.Globalization;

namespace Gan3D.Data;

/// <summary>
/// Stanford <c>.ply</c>, ASCII or binary (little or big endian). Reads the <c>vertex</c> element's
/// x, y, z (any numeric type) and the <c>face</c> element's <c>vertex_indices</c> (or
/// <c>vertex_index</c>) list with any integer count and index types; skips every other element and
/// property. Declared counts are checked against the file's size before anything is allocated.
/// Header lines with an unknown keyword (some exporters write a bare "Created by ..." line) are
/// skipped with a warning in <see cref="Mesh.Warnings"/>.
/// </summary>
internal static class PlyReader
{
    private enum Format { Ascii, BinaryLittle, BinaryBig }

    private enum ScalarType { Int8, UInt8, Int16, UInt16, Int32, UInt32, Float32, Float64 }

    private sealed record Property(string Name, ScalarType Type, bool IsList, ScalarType CountType);

    private sealed class Element(string name, int count, int line)
    {
        public string Name { get; } = name;
        public int Count { get; } = count;
        public int Line { get; } = line;
        public List<Property> Properties { get; } = [];
    }

    public static Mesh Read(string path, byte[] data)
    {
        var text = new TextScanner(data, path, checkText: false);
        TextScanner.CheckText(data.AsSpan(0, Math.Min(data.Length, 4)), path);
        if (!text.NextLine(out var first) || !first.TrimEnd(" \t"u8).SequenceEqual("ply"u8))
        {
            throw DataFile.Error(path, "not a PLY file (it does not start with 'ply')");
        }
        Format? format = null;
        var elements = new List<Element>();
        var warnings = new List<string>();
        while (true)
        {
            if (text.Line > 10_000 || !text.NextLine(out var line))
            {
                throw DataFile.Error(path, "truncated PLY header (no 'end_header')");
            }
            if (line.IndexOf((byte)0) >= 0)
            {
                throw text.Error("binary data inside the PLY header");
            }
            var rest = line;
            if (!TextScanner.NextToken(ref rest, out var keyword))
            {
                continue;
            }
            string word = System.Text.Encoding.ASCII.GetString(keyword);
            if (word == "end_header")
            {
                break;
            }
            var args = new List<string>();
            while (TextScanner.NextToken(ref rest, out var tok))
            {
                args.Add(System.Text.Encoding.ASCII.GetString(tok));
            }
            switch (word)
            {
                case "comment":
                case "obj_info":
                    break;
                case "format":
                    format = args.Count >= 1 ? args[0] switch
                    {
                        "ascii" => Format.Ascii,
                        "binary_little_endian" => Format.BinaryLittle,
                        "binary_big_endian" => Format.BinaryBig,
                        _ => throw text.Error($"unknown PLY format '{args[0]}'"),
                    } : throw text.Error("'format' needs a value");
                    break;
                case "element":
                    if (args.Count != 2)
                    {
                        throw text.Error("'element' needs a name and a count");
                    }
                    if (!long.TryParse(args[1], NumberStyles.None, CultureInfo.InvariantCulture, out long count))
                    {
                        throw text.Error($"'{Clip(args[1])}' is not a valid element count");
                    }
                    if (count > int.MaxValue)
                    {
                        throw text.Error($"element '{Clip(args[0])}' declares {count} items, more than this reader accepts");
                    }
                    elements.Add(new Element(args[0], (int)count, text.Line));
                    break;
                case "property":
                    if (elements.Count == 0)
                    {
                        throw text.Error("'property' before any 'element'");
                    }
                    if (args.Count == 4 && args[0] == "list")
                    {
                        elements[^1].Properties.Add(new Property(args[3], Type(args[2], text), true, Type(args[1], text)));
                    }
                    else if (args.Count == 2)
                    {
                        elements[^1].Properties.Add(new Property(args[1], Type(args[0], text), false, default));
                    }
                    else
                    {
                        throw text.Error("'property' needs a type and a name (or 'list', two types and a name)");
                    }
                    break;
                default:
                    // Real exporters write lines such as "Created by Blender3D 247 - www.blender.org"
                    // without 'comment' (assimp reads them). Nothing else in the header depends on
                    // them, so skip them; elements and properties are still checked strictly.
                    warnings.Add($"{path}:{text.Line}: skipped the unknown PLY header line '{TextScanner.Show(line)}'");
                    break;
            }
        }
        if (format is null)
        {
            throw DataFile.Error(path, "the PLY header has no 'format' line");
        }
        var vertexElement = elements.Find(e => e.Name == "vertex") ?? throw DataFile.Error(path, "the PLY file has no 'vertex' element");
        int[] xyz = new[] { "x", "y", "z" }.Select(n => vertexElement.Properties.FindIndex(p => p.Name == n && !p.IsList)).ToArray();
        if (xyz.Any(i => i < 0))
        {
            throw DataFile.Error(path, "the PLY 'vertex' element lacks an x, y or z property", vertexElement.Line);
        }
        if (vertexElement.Count == 0)
        {
            throw DataFile.Error(path, "the PLY file declares no vertices", vertexElement.Line);
        }
        var faceElement = elements.Find(e => e.Name == "face");
        int faceList = faceElement?.Properties.FindIndex(p => p.IsList && p.Name is "vertex_indices" or "vertex_index") ?? -1;
        if (faceElement is not null && faceElement.Count > 0 && faceList < 0)
        {
            throw DataFile.Error(path, "the PLY 'face' element has no 'vertex_indices' list", faceElement.Line);
        }

        CheckSizes(path, data.Length - text.Position, elements, format.Value, faceElement, faceList);

        var reader = format == Format.Ascii
            ? (ValueReader)new AsciiValues(text)
            : new BinaryValues(data, text.Position, format == Format.BinaryBig, path);
        var positions = new float[vertexElement.Count * 3];
        var polygonSizes = new List<int>();
        var polygonIndices = new List<int>();
        foreach (var element in elements)
        {
            bool isVertex = element == vertexElement;
            bool isFace = element == faceElement;
            for (int item = 0; item < element.Count; item++)
            {
                reader.BeginItem();
                for (int p = 0; p < element.Properties.Count; p++)
                {
                    var prop = element.Properties[p];
                    if (!prop.IsList)
                    {
                        double value = reader.Read(prop.Type);
                        if (isVertex)
                        {
                            int axis = Array.IndexOf(xyz, p);
                            if (axis >= 0)
                            {
                                if (!double.IsFinite(value) || Math.Abs(value) > float.MaxValue)
                                {
                                    throw reader.Error($"vertex {item} has a coordinate that is not finite (NaN or infinity)");
                                }
                                positions[item * 3 + axis] = (float)value;
                            }
                        }
                        continue;
                    }
                    double countValue = reader.Read(prop.CountType);
                    if (countValue < 0 || countValue > 1_000_000 || countValue != Math.Floor(countValue))
                    {
                        throw reader.Error($"{element.Name} {item} has an invalid list size {countValue}");
                    }
                    int n = (int)countValue;
                    reader.CheckListFits(n, prop.Type);
                    bool keep = isFace && p == faceList;
                    if (keep && n < 3)
                    {
                        throw reader.Error($"face {item} has {n} vertices; faces need at least 3");
                    }
                    for (int c = 0; c < n; c++)
                    {
                        double index = reader.Read(prop.Type);
                        if (!keep)
                        {
                            continue;
                        }
                        if (index < 0 || index >= vertexElement.Count || index != Math.Floor(index))
                        {
                            throw reader.Error($"face {item} uses vertex index {index}, outside 0..{vertexElement.Count - 1}");
                        }
                        polygonIndices.Add((int)index);
                    }
                    if (keep)
                    {
                        polygonSizes.Add(n);
                    }
                }
                reader.EndItem(element.Name);
            }
        }
        reader.Finish();
        var mesh = new MeshBuilder(0, polygonSizes.Count * 2);
        for (int v = 0; v < vertexElement.Count; v++)
        {
            mesh.AddVertex(positions[v * 3], positions[v * 3 + 1], positions[v * 3 + 2]);
        }
        var all = System.Runtime.InteropServices.CollectionsMarshal.AsSpan(polygonIndices);
        int at = 0;
        foreach (int n in polygonSizes)
        {
            mesh.AddPolygon(all.Slice(at, n));
            at += n;
        }
        return mesh.Build(path, warnings);
    }

    private static void CheckSizes(string path, long available, List<Element> elements, Format format, Element? face, int faceList)
    {
        long need = 0;
        foreach (var element in elements)
        {
            long perItem = 0;
            for (int p = 0; p < element.Properties.Count; p++)
            {
                var prop = element.Properties[p];
                if (format == Format.Ascii)
                {
                    // At least one digit and one separator a value.
                    perItem += prop.IsList ? (element == face && p == faceList ? 8 : 2) : 2;
                }
                else if (prop.IsList)
                {
                    perItem += Size(prop.CountType) + (element == face && p == faceList ? 3 * Size(prop.Type) : 0);
                }
                else
                {
                    perItem += Size(prop.Type);
                }
            }
            need += perItem * element.Count;
        }
        if (need > available + 1)
        {
            throw DataFile.Error(path, $"the PLY header declares {string.Join(", ", elements.Select(e => $"{e.Count} {e.Name}"))}, which need at least {need} bytes, but only {available} follow the header");
        }
    }

    private static ScalarType Type(string name, TextScanner text) => name switch
    {
        "char" or "int8" => ScalarType.Int8,
        "uchar" or "uint8" => ScalarType.UInt8,
        "short" or "int16" => ScalarType.Int16,
        "ushort" or "uint16" => ScalarType.UInt16,
        "int" or "int32" => ScalarType.Int32,
        "uint" or "uint32" => ScalarType.UInt32,
        "float" or "float32" => ScalarType.Float32,
        "double" or "float64" => ScalarType.Float64,
        _ => throw text.Error($"unknown PLY property type '{Clip(name)}'"),
    };

    private static int Size(ScalarType type) => type switch
    {
        ScalarType.Int8 or ScalarType.UInt8 => 1,
        ScalarType.Int16 or ScalarType.UInt16 => 2,
        ScalarType.Int32 or ScalarType.UInt32 or ScalarType.Float32 => 4,
        _ => 8,
    };

    private static string Clip(string s) => s.Length > 40 ? s[..40] + "..." : s;

    private abstract class ValueReader
    {
        public abstract double Read(ScalarType type);
        public virtual void BeginItem() { }
        public virtual void EndItem(string element) { }
        public virtual void CheckListFits(int count, ScalarType type) { }
        public virtual void Finish() { }
        public abstract InvalidDataException Error(string what);
    }

    private sealed class BinaryValues(byte[] data, int start, bool bigEndian, string path) : ValueReader
    {
        private int _pos = start;

        public override double Read(ScalarType type)
        {
            int size = Size(type);
            if (_pos + size > data.Length)
            {
                throw DataFile.Error(path, "truncated: the binary PLY data ends early");
            }
            var s = data.AsSpan(_pos, size);
            _pos += size;
            return type switch
            {
                ScalarType.Int8 => (sbyte)s[0],
                ScalarType.UInt8 => s[0],
                ScalarType.Int16 => bigEndian ? BinaryPrimitives.ReadInt16BigEndian(s) : BinaryPrimitives.ReadInt16LittleEndian(s),
                ScalarType.UInt16 => bigEndian ? BinaryPrimitives.ReadUInt16BigEndian(s) : BinaryPrimitives.ReadUInt16LittleEndian(s),
                ScalarType.Int32 => bigEndian ? BinaryPrimitives.ReadInt32BigEndian(s) : BinaryPrimitives.ReadInt32LittleEndian(s),
                ScalarType.UInt32 => bigEndian ? BinaryPrimitives.ReadUInt32BigEndian(s) : BinaryPrimitives.ReadUInt32LittleEndian(s),
                ScalarType.Float32 => bigEndian ? BinaryPrimitives.ReadSingleBigEndian(s) : BinaryPrimitives.ReadSingleLittleEndian(s),
                _ => bigEndian ? BinaryPrimitives.ReadDoubleBigEndian(s) : BinaryPrimitives.ReadDoubleLittleEndian(s),
            };
        }

        public override void CheckListFits(int count, ScalarType type)
        {
            if ((long)count * Size(type) > data.Length - _pos)
            {
                throw DataFile.Error(path, $"truncated: a list of {count} values runs past the end of the file");
            }
        }

        public override InvalidDataException Error(string what) => DataFile.Error(path, $"{what} (at byte {_pos})");
    }

    private sealed class AsciiValues(TextScanner text) : ValueReader
    {
        private byte[] _line = [];
        private int _pos;

        public override void BeginItem()
        {
            // Items normally sit one a line, but PLY is whitespace-separated: allow either.
            SkipSpace();
        }

        public override double Read(ScalarType type)
        {
            var token = NextToken();
            if (type is ScalarType.Float32 or ScalarType.Float64)
            {
                if (!TextScanner.TryParseFloat(token, out float f) ||
                    !double.TryParse(token, NumberStyles.Float, CultureInfo.InvariantCulture, out double d))
                {
                    throw text.Error($"'{TextScanner.Show(token)}' is not a number");
                }
                return float.IsFinite(f) ? d : f;
            }
            if (!long.TryParse(token, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long v))
            {
                throw text.Error($"'{TextScanner.Show(token)}' is not an integer");
            }
            return v;
        }

        public override void Finish()
        {
            while (true)
            {
                SkipSpace();
                if (_pos < _line.Length)
                {
                    throw text.Error("more data after the last declared element");
                }
                if (!text.NextLine(out var line))
                {
                    return;
                }
                _line = line.ToArray();
                _pos = 0;
            }
        }

        public override InvalidDataException Error(string what) => text.Error(what);

        private ReadOnlySpan<byte> NextToken()
        {
            while (true)
            {
                SkipSpace();
                if (_pos < _line.Length)
                {
                    int start = _pos;
                    while (_pos < _line.Length && !TextScanner.IsSpace(_line[_pos]))
                    {
                        _pos++;
                    }
                    return _line.AsSpan(start, _pos - start);
                }
                if (!text.NextLine(out var line))
                {
                    throw DataFile.Error(text.Path, "truncated: the ASCII PLY data ends before all declared elements", text.Line);
                }
                if (line.IndexOf((byte)0) >= 0)
                {
                    throw text.Error("binary data in an ASCII PLY file");
                }
                _line = line.ToArray();
                _pos = 0;
            }
        }

        private void SkipSpace()
        {
            while (_pos < _line.Length && TextScanner.IsSpace(_line[_pos]))
            {
                _pos++;
            }
        }
    }
}
