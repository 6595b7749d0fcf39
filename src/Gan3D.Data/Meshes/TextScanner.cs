using System.Globalization;
using System.Text;

namespace Gan3D.Data;

/// <summary>
/// Line and token reading for the text mesh formats, over the file's bytes (ASCII/UTF-8). Counts
/// lines for error messages ("\n", "\r\n" and a lone "\r" each end a line), refuses UTF-16 and
/// binary content, and refuses lines over <see cref="MaxLineBytes"/>.
/// </summary>
internal sealed class TextScanner
{
    /// <summary>No mesh format needs a longer line; a longer one means a wrong or hostile file.</summary>
    public const int MaxLineBytes = 1 << 20;

    private readonly byte[] _data;
    private int _pos;

    /// <param name="data">The file's bytes.</param>
    /// <param name="path">The file, for error messages.</param>
    /// <param name="checkText">Refuse UTF-16 and NUL bytes up front (off for formats with a binary body).</param>
    public TextScanner(byte[] data, string path, bool checkText = true)
    {
        _data = data;
        Path = path;
        _pos = 0;
        if (checkText)
        {
            CheckText(data, path);
        }
        if (data.AsSpan().StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF]))
        {
            _pos = 3;
        }
    }

    public string Path { get; }

    /// <summary>The line number of the line last returned by <see cref="NextLine"/> (1-based).</summary>
    public int Line { get; private set; }

    /// <summary>Offset of the next unread byte.</summary>
    public int Position => _pos;

    public bool AtEnd => _pos >= _data.Length;

    /// <summary>Refuses UTF-16 text and obvious binary data before any parsing.</summary>
    public static void CheckText(ReadOnlySpan<byte> data, string path)
    {
        if (data.StartsWith([(byte)0xFF, (byte)0xFE]) || data.StartsWith([(byte)0xFE, (byte)0xFF]) ||
            (data.Length >= 4 && (data[1] == 0 || data[0] == 0) && (data[3] == 0 || data[2] == 0)))
        {
            throw DataFile.Error(path, "looks like UTF-16 text or binary data; save it as ASCII or UTF-8");
        }
        var head = data[..Math.Min(data.Length, 4096)];
        if (head.IndexOf((byte)0) >= 0)
        {
            throw DataFile.Error(path, "binary data (NUL bytes) where text was expected");
        }
    }

    /// <summary>Returns the next line without its terminator; false at the end of the file.</summary>
    public bool NextLine(out ReadOnlySpan<byte> line)
    {
        if (_pos >= _data.Length)
        {
            line = default;
            return false;
        }
        Line++;
        var rest = _data.AsSpan(_pos);
        int end = rest.IndexOfAny((byte)'\n', (byte)'\r');
        int length = end < 0 ? rest.Length : end;
        if (length > MaxLineBytes)
        {
            throw Error($"line is longer than {MaxLineBytes / (1 << 20)} MiB: not a sane mesh file");
        }
        line = rest[..length];
        _pos += length;
        if (end >= 0)
        {
            _pos += rest[end] == '\r' && end + 1 < rest.Length && rest[end + 1] == '\n' ? 2 : 1;
        }
        if (line.IndexOf((byte)0) >= 0)
        {
            throw Error("binary data (NUL bytes) where text was expected");
        }
        return true;
    }

    public InvalidDataException Error(string what) => DataFile.Error(Path, what, Line);

    /// <summary>Splits on spaces, tabs and other ASCII whitespace.</summary>
    public static bool NextToken(ref ReadOnlySpan<byte> rest, out ReadOnlySpan<byte> token)
    {
        int start = 0;
        while (start < rest.Length && IsSpace(rest[start]))
        {
            start++;
        }
        int end = start;
        while (end < rest.Length && !IsSpace(rest[end]))
        {
            end++;
        }
        token = rest[start..end];
        rest = rest[end..];
        return token.Length > 0;
    }

    public static bool IsSpace(byte b) => b is (byte)' ' or (byte)'\t' or (byte)'\v' or (byte)'\f' or (byte)'\r' or (byte)'\n';

    /// <summary>Removes a '#' comment and surrounding whitespace.</summary>
    public static ReadOnlySpan<byte> StripComment(ReadOnlySpan<byte> line)
    {
        int hash = line.IndexOf((byte)'#');
        if (hash >= 0)
        {
            line = line[..hash];
        }
        return line.Trim(" \t\v\f"u8);
    }

    /// <summary>The next three tokens of <paramref name="rest"/> as a vertex's x, y and z (OBJ, OFF and ASCII STL write them alike).</summary>
    public (float X, float Y, float Z) ParseVertex(ref ReadOnlySpan<byte> rest)
    {
        Span<float> xyz = stackalloc float[3];
        for (int c = 0; c < 3; c++)
        {
            if (!NextToken(ref rest, out var token))
            {
                throw Error("a vertex needs x, y and z");
            }
            xyz[c] = ParseFloat(token);
        }
        return (xyz[0], xyz[1], xyz[2]);
    }

    /// <summary>
    /// A finite float. Besides the usual forms ("1", "-2.", ".5", "3e-2") it reads the misplaced exponent
    /// sign some exporters write ("3.1+e2" as 3.1e+2), which Assimp's test files use.
    /// </summary>
    public float ParseFloat(ReadOnlySpan<byte> token, string what = "coordinate")
    {
        if (!TryParseFloat(token, out float value))
        {
            throw Error($"'{Show(token)}' is not a number ({what})");
        }
        if (!float.IsFinite(value))
        {
            throw Error($"{what} '{Show(token)}' is not finite (NaN or infinity)");
        }
        return value;
    }

    public static bool TryParseFloat(ReadOnlySpan<byte> token, out float value)
    {
        if (float.TryParse(token, NumberStyles.Float, CultureInfo.InvariantCulture, out value))
        {
            return true;
        }
        // "<mantissa>[+-]e<digits>" → "<mantissa>e[+-]<digits>".
        int e = token.IndexOfAny((byte)'e', (byte)'E');
        if (e >= 2 && token[e - 1] is (byte)'+' or (byte)'-' && token.Length <= 64)
        {
            Span<byte> fixedUp = stackalloc byte[token.Length];
            token[..(e - 1)].CopyTo(fixedUp);
            fixedUp[e - 1] = token[e];
            fixedUp[e] = token[e - 1];
            token[(e + 1)..].CopyTo(fixedUp[(e + 1)..]);
            return float.TryParse(fixedUp, NumberStyles.Float, CultureInfo.InvariantCulture, out value);
        }
        return false;
    }

    /// <summary>A (possibly negative) integer that fits in 32 bits.</summary>
    public int ParseInt(ReadOnlySpan<byte> token, string what)
    {
        if (!int.TryParse(token, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int value))
        {
            throw Error($"'{Show(token)}' is not a valid {what}");
        }
        return value;
    }

    /// <summary>A token made printable and short for an error message.</summary>
    public static string Show(ReadOnlySpan<byte> token)
    {
        var sb = new StringBuilder();
        foreach (byte b in token[..Math.Min(token.Length, 40)])
        {
            sb.Append(b is >= 32 and < 127 ? (char)b : '?');
        }
        if (token.Length > 40)
        {
            sb.Append("...");
        }
        return sb.ToString();
    }
}
