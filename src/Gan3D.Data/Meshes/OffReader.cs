namespace Gan3D.Data;

/// <summary>
/// Object File Format (<c>.off</c>): a keyword line (<c>OFF</c>, or <c>COFF</c>/<c>NOFF</c>/<c>CNOFF</c>/
/// <c>STOFF</c>... when vertices carry colours, normals or texture coordinates), the counts
/// "vertices faces [edges]", one vertex a line (x y z, extra columns ignored), then one face a line
/// ("n i1 .. in", colour columns ignored; polygons are triangulated). '#' starts a comment. Also reads
/// ModelNet's broken headers where the counts follow the keyword without a line break ("OFF490 518 0").
/// </summary>
internal static class OffReader
{
    public static Mesh Read(string path, byte[] data)
    {
        var text = new TextScanner(data, path);
        if (!TryNextContent(text, out var keyword))
        {
            throw DataFile.Error(path, "file has no OFF header");
        }
        int k = 0;
        while (k < keyword.Length && char.IsAsciiLetter((char)keyword[k]))
        {
            k++;
        }
        var word = keyword[..k];
        if (word.Length < 3 || !word.EndsWith("OFF"u8))
        {
            throw text.Error("not an OFF file (it does not start with 'OFF')");
        }
        var prefix = word[..^3];
        foreach (byte c in prefix)
        {
            if (c is not ((byte)'C' or (byte)'N' or (byte)'S' or (byte)'T'))
            {
                throw text.Error($"'{TextScanner.Show(word)}' files are not supported (OFF, COFF, NOFF, STOFF are)");
            }
        }
        var rest = keyword[k..];
        if (rest.Trim(" \t"u8).SequenceEqual("BINARY"u8))
        {
            throw text.Error("binary OFF files are not supported");
        }
        var counts = TextScanner.StripComment(rest);
        if (counts.IsEmpty && !TryNextContent(text, out counts))
        {
            throw text.Error("truncated: no vertex/face counts after the OFF keyword");
        }
        var t = counts;
        if (!TextScanner.NextToken(ref t, out var nvTok) || !TextScanner.NextToken(ref t, out var nfTok))
        {
            throw text.Error("expected 'vertices faces edges' counts");
        }
        int nv = text.ParseInt(nvTok, "vertex count");
        int nf = text.ParseInt(nfTok, "face count");
        if (nv <= 0)
        {
            throw text.Error(nv == 0 ? "the file declares no vertices" : $"negative vertex count {nv}");
        }
        if (nf < 0)
        {
            throw text.Error($"negative face count {nf}");
        }
        // A vertex line takes at least 6 bytes ("0 0 0\n"), a face line at least 8 ("3 0 1 2\n").
        long minBytes = (long)nv * 6 + (long)nf * 8;
        long left = data.Length - text.Position;
        if (minBytes > left + 2)
        {
            throw text.Error($"declares {nv} vertices and {nf} faces, which cannot fit in the {left} bytes left in the file");
        }
        var mesh = new MeshBuilder(nv, nf * 2);
        for (int v = 0; v < nv; v++)
        {
            if (!TryNextContent(text, out var line))
            {
                throw DataFile.Error(path, $"truncated: expected {nv} vertices, found {v}", text.Line);
            }
            var (x, y, z) = text.ParseVertex(ref line);
            mesh.AddVertex(x, y, z);
        }
        Span<int> polygon = stackalloc int[256];
        for (int f = 0; f < nf; f++)
        {
            if (!TryNextContent(text, out var line))
            {
                throw DataFile.Error(path, $"truncated: expected {nf} faces, found {f}", text.Line);
            }
            if (!TextScanner.NextToken(ref line, out var nTok))
            {
                throw text.Error("empty face");
            }
            int n = text.ParseInt(nTok, "face size");
            if (n < 3)
            {
                throw text.Error($"a face declares {n} vertices; faces need at least 3");
            }
            if (n > 1_000_000 || n > line.Length / 2 + 1)
            {
                throw text.Error($"a face declares {n} vertices but the line is far too short for them");
            }
            var indices = n <= polygon.Length ? polygon[..n] : new int[n];
            for (int c = 0; c < n; c++)
            {
                if (!TextScanner.NextToken(ref line, out var tok))
                {
                    throw text.Error($"a face declares {n} vertices but lists {c}");
                }
                int index = text.ParseInt(tok, "vertex index");
                if ((uint)index >= (uint)nv)
                {
                    throw text.Error($"vertex index {index} is out of range (the file has {nv} vertices, numbered from 0)");
                }
                indices[c] = index;
            }
            mesh.AddPolygon(indices);
        }
        return mesh.Build(path);
    }

    /// <summary>The next line that is not blank or only a comment, without its comment.</summary>
    private static bool TryNextContent(TextScanner text, out ReadOnlySpan<byte> content)
    {
        while (text.NextLine(out var line))
        {
            content = TextScanner.StripComment(line);
            if (!content.IsEmpty)
            {
                return true;
            }
        }
        content = default;
        return false;
    }
}
