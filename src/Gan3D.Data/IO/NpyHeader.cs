using System.Buffers.Binary;
using System.Globalization;
using System.Text;

namespace Gan3D.Data;

/// <summary>
/// The header of a NumPy <c>.npy</c> file: magic "\x93NUMPY", version, header length, then a Python
/// dict literal such as <c>{'descr': '&lt;f4', 'fortran_order': False, 'shape': (2, 3), }</c>
/// padded with spaces and a final newline so that the data starts at a multiple of 64.
/// </summary>
internal sealed class NpyHeader
{
    /// <summary>Headers longer than this are refused (NumPy itself refuses above 10,000 bytes by default).</summary>
    public const int MaxHeaderBytes = 65536;

    private static ReadOnlySpan<byte> Magic => [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y'];

    private NpyHeader(char kind, int itemSize, bool bigEndian, long[] shape, string descr)
    {
        Kind = kind;
        ItemSize = itemSize;
        BigEndian = bigEndian;
        Shape = shape;
        Descr = descr;
    }

    /// <summary>'b' bool, 'u' unsigned, 'i' signed, 'f' float.</summary>
    public char Kind { get; }
    public int ItemSize { get; }
    public bool BigEndian { get; }
    public long[] Shape { get; }
    public string Descr { get; }

    public long ElementCount
    {
        get
        {
            long n = 1;
            foreach (long d in Shape)
            {
                n = d == 0 ? 0 : (n > long.MaxValue / d ? long.MaxValue : n * d);
            }
            return n;
        }
    }

    /// <summary>Bytes of data the header declares, saturating at <see cref="long.MaxValue"/>.</summary>
    public long DataBytes
    {
        get
        {
            long n = ElementCount;
            return n > long.MaxValue / ItemSize ? long.MaxValue : n * ItemSize;
        }
    }

    public string ShapeText => "(" + string.Join(", ", Shape) + (Shape.Length == 1 ? ",)" : ")");

    /// <summary>Reads and checks the header; the stream is left at the first data byte.</summary>
    public static NpyHeader Read(Stream stream, string path)
    {
        Span<byte> pre = stackalloc byte[12];
        int n = DataFile.ReadUpTo(stream, pre[..10]);
        if (n < 10 || !pre[..6].SequenceEqual(Magic))
        {
            throw DataFile.Error(path, "not a NumPy .npy file (it does not start with \\x93NUMPY)");
        }
        int major = pre[6];
        long headerLength;
        if (major == 1)
        {
            headerLength = BinaryPrimitives.ReadUInt16LittleEndian(pre[8..10]);
        }
        else if (major is 2 or 3)
        {
            if (DataFile.ReadUpTo(stream, pre[10..12]) < 2)
            {
                throw DataFile.Error(path, "truncated .npy header");
            }
            headerLength = BinaryPrimitives.ReadUInt32LittleEndian(pre[8..12]);
        }
        else
        {
            throw DataFile.Error(path, $".npy format version {major}.{pre[7]} is not supported (1.0, 2.0 and 3.0 are)");
        }
        if (headerLength > MaxHeaderBytes)
        {
            throw DataFile.Error(path, $".npy header declares {headerLength} bytes (more than {MaxHeaderBytes}): not a sane NumPy file");
        }
        var text = new byte[headerLength];
        if (DataFile.ReadUpTo(stream, text) < headerLength)
        {
            throw DataFile.Error(path, "truncated .npy header");
        }
        string dict = (major == 3 ? Encoding.UTF8 : Encoding.Latin1).GetString(text);
        return Parse(dict, path);
    }

    private static NpyHeader Parse(string dict, string path)
    {
        var p = new DictParser(dict, path);
        var entries = p.ParseDict();
        if (!entries.TryGetValue("descr", out object? descrValue))
        {
            throw DataFile.Error(path, "the .npy header has no 'descr'");
        }
        if (descrValue is not string descr)
        {
            throw DataFile.Error(path, "structured .npy dtypes (record arrays) are not supported");
        }
        if (!entries.TryGetValue("fortran_order", out object? fortran) || fortran is not bool isFortran)
        {
            throw DataFile.Error(path, "the .npy header has no 'fortran_order'");
        }
        if (isFortran)
        {
            throw DataFile.Error(path, "Fortran-order .npy arrays are not supported; save with np.ascontiguousarray(x)");
        }
        if (!entries.TryGetValue("shape", out object? shapeValue) || shapeValue is not List<long> shapeList)
        {
            throw DataFile.Error(path, "the .npy header has no 'shape' tuple");
        }
        var (kind, size, big) = ParseDescr(descr, path);
        return new NpyHeader(kind, size, big, shapeList.ToArray(), descr);
    }

    private static (char Kind, int Size, bool BigEndian) ParseDescr(string descr, string path)
    {
        if (descr.Length < 3 || "<>|=".IndexOf(descr[0]) < 0 ||
            !int.TryParse(descr.AsSpan(2), NumberStyles.None, CultureInfo.InvariantCulture, out int size))
        {
            throw DataFile.Error(path, $"unsupported .npy dtype '{descr}'");
        }
        char kind = descr[1];
        bool ok = kind switch
        {
            'b' => size == 1,
            'u' or 'i' => size is 1 or 2 or 4 or 8,
            'f' => size is 2 or 4 or 8,
            _ => false,
        };
        if (!ok)
        {
            throw DataFile.Error(path, $"unsupported .npy dtype '{descr}' (bool, integers and floats are)");
        }
        bool big = descr[0] == '>' || (descr[0] == '=' && !BitConverter.IsLittleEndian);
        return (kind, size, big);
    }

    /// <summary>Converts raw elements of this dtype to float (NaN stays NaN).</summary>
    public void ConvertToFloat(ReadOnlySpan<byte> raw, Span<float> destination)
    {
        int count = raw.Length / ItemSize;
        switch (Kind, ItemSize)
        {
            case ('b', 1):
            case ('u', 1):
                for (int n = 0; n < count; n++)
                {
                    destination[n] = raw[n];
                }
                break;
            case ('i', 1):
                for (int n = 0; n < count; n++)
                {
                    destination[n] = (sbyte)raw[n];
                }
                break;
            case ('f', 4):
                if (BigEndian == !BitConverter.IsLittleEndian)
                {
                    System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(raw[..(count * 4)]).CopyTo(destination);
                }
                else
                {
                    for (int n = 0; n < count; n++)
                    {
                        destination[n] = BinaryPrimitives.ReadSingleBigEndian(raw.Slice(n * 4, 4));
                    }
                }
                break;
            default:
                for (int n = 0; n < count; n++)
                {
                    destination[n] = (float)ReadElement(raw.Slice(n * ItemSize, ItemSize));
                }
                break;
        }
    }

    private double ReadElement(ReadOnlySpan<byte> e)
    {
        bool big = BigEndian;
        return (Kind, ItemSize) switch
        {
            ('u', 2) => big ? BinaryPrimitives.ReadUInt16BigEndian(e) : BinaryPrimitives.ReadUInt16LittleEndian(e),
            ('i', 2) => big ? BinaryPrimitives.ReadInt16BigEndian(e) : BinaryPrimitives.ReadInt16LittleEndian(e),
            ('u', 4) => big ? BinaryPrimitives.ReadUInt32BigEndian(e) : BinaryPrimitives.ReadUInt32LittleEndian(e),
            ('i', 4) => big ? BinaryPrimitives.ReadInt32BigEndian(e) : BinaryPrimitives.ReadInt32LittleEndian(e),
            ('u', 8) => big ? BinaryPrimitives.ReadUInt64BigEndian(e) : BinaryPrimitives.ReadUInt64LittleEndian(e),
            ('i', 8) => big ? BinaryPrimitives.ReadInt64BigEndian(e) : BinaryPrimitives.ReadInt64LittleEndian(e),
            ('f', 2) => (double)(big ? BinaryPrimitives.ReadHalfBigEndian(e) : BinaryPrimitives.ReadHalfLittleEndian(e)),
            ('f', 4) => big ? BinaryPrimitives.ReadSingleBigEndian(e) : BinaryPrimitives.ReadSingleLittleEndian(e),
            ('f', 8) => big ? BinaryPrimitives.ReadDoubleBigEndian(e) : BinaryPrimitives.ReadDoubleLittleEndian(e),
            _ => throw new InvalidOperationException($"dtype {Descr} has no converter"),
        };
    }

    /// <summary>Writes a version 1.0 header (version 2.0 if it does not fit) for a C-order array.</summary>
    public static void Write(Stream stream, string descr, ReadOnlySpan<long> shape)
    {
        var sb = new StringBuilder();
        sb.Append("{'descr': '").Append(descr).Append("', 'fortran_order': False, 'shape': (");
        for (int n = 0; n < shape.Length; n++)
        {
            sb.Append(shape[n].ToString(CultureInfo.InvariantCulture));
            if (n < shape.Length - 1 || shape.Length == 1)
            {
                sb.Append(n < shape.Length - 1 ? ", " : ",");
            }
        }
        sb.Append("), }");
        int prefix = 10;
        int total = prefix + sb.Length + 1;
        int padded = (total + 63) / 64 * 64;
        bool v2 = padded - prefix > ushort.MaxValue;
        if (v2)
        {
            prefix = 12;
            total = prefix + sb.Length + 1;
            padded = (total + 63) / 64 * 64;
        }
        sb.Append(' ', padded - total).Append('\n');
        var bytes = Encoding.Latin1.GetBytes(sb.ToString());
        Span<byte> pre = stackalloc byte[12];
        Magic.CopyTo(pre);
        pre[6] = v2 ? (byte)2 : (byte)1;
        pre[7] = 0;
        if (v2)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(pre[8..12], (uint)bytes.Length);
        }
        else
        {
            BinaryPrimitives.WriteUInt16LittleEndian(pre[8..10], (ushort)bytes.Length);
        }
        stream.Write(pre[..prefix]);
        stream.Write(bytes);
    }

    /// <summary>Just enough of Python's literal syntax for NumPy headers: dicts, strings, bools, int tuples.</summary>
    private ref struct DictParser(string text, string path)
    {
        private int _pos;

        public Dictionary<string, object?> ParseDict()
        {
            var result = new Dictionary<string, object?>(StringComparer.Ordinal);
            Expect('{');
            while (true)
            {
                SkipSpace();
                if (Peek() == '}')
                {
                    _pos++;
                    break;
                }
                string key = ParseString();
                Expect(':');
                result[key] = ParseValue();
                SkipSpace();
                if (Peek() == ',')
                {
                    _pos++;
                }
                else if (Peek() != '}')
                {
                    throw Bad();
                }
            }
            return result;
        }

        private object? ParseValue()
        {
            SkipSpace();
            char c = Peek();
            if (c is '\'' or '"')
            {
                return ParseString();
            }
            if (c == '(')
            {
                return ParseTuple();
            }
            if (c == '[')
            {
                SkipBracketed();
                return null;
            }
            if (Take("True"))
            {
                return true;
            }
            if (Take("False"))
            {
                return false;
            }
            throw Bad();
        }

        private List<long> ParseTuple()
        {
            Expect('(');
            var items = new List<long>();
            while (true)
            {
                SkipSpace();
                if (Peek() == ')')
                {
                    _pos++;
                    return items;
                }
                int start = _pos;
                while (_pos < text.Length && char.IsAsciiDigit(text[_pos]))
                {
                    _pos++;
                }
                if (_pos == start)
                {
                    throw DataFile.Error(path, "the .npy shape holds something other than non-negative integers");
                }
                if (!long.TryParse(text.AsSpan(start, _pos - start), NumberStyles.None, CultureInfo.InvariantCulture, out long v))
                {
                    throw DataFile.Error(path, $"the .npy shape holds an absurd dimension '{text[start.._pos]}'");
                }
                items.Add(v);
                if (Peek() == 'L')
                {
                    _pos++;
                }
                SkipSpace();
                if (Peek() == ',')
                {
                    _pos++;
                }
                else if (Peek() != ')')
                {
                    throw Bad();
                }
                if (items.Count > 32)
                {
                    throw DataFile.Error(path, "the .npy shape has more than 32 dimensions");
                }
            }
        }

        private void SkipBracketed()
        {
            int depth = 0;
            do
            {
                char c = Peek();
                depth += c == '[' ? 1 : c == ']' ? -1 : 0;
                _pos++;
            }
            while (depth > 0);
        }

        private string ParseString()
        {
            SkipSpace();
            char quote = Peek();
            if (quote is not ('\'' or '"'))
            {
                throw Bad();
            }
            int end = text.IndexOf(quote, _pos + 1);
            if (end < 0)
            {
                throw Bad();
            }
            string s = text[(_pos + 1)..end];
            _pos = end + 1;
            return s;
        }

        private bool Take(string word)
        {
            if (string.CompareOrdinal(text, _pos, word, 0, word.Length) == 0)
            {
                _pos += word.Length;
                return true;
            }
            return false;
        }

        private void Expect(char c)
        {
            SkipSpace();
            if (Peek() != c)
            {
                throw Bad();
            }
            _pos++;
        }

        private readonly char Peek() => _pos < text.Length ? text[_pos] : throw Bad();

        private void SkipSpace()
        {
            while (_pos < text.Length && char.IsWhiteSpace(text[_pos]))
            {
                _pos++;
            }
        }

        private readonly InvalidDataException Bad() =>
            DataFile.Error(path, $"malformed .npy header near character {_pos}: {Excerpt()}");

        private readonly string Excerpt()
        {
            string s = text.Length > 80 ? text[..80] + "..." : text;
            return "\"" + new string(s.Select(c => char.IsControl(c) ? '?' : c).ToArray()).TrimEnd() + "\"";
        }
    }
}
