namespace Gan3D.Data;

/// <summary>
/// Wavefront <c>.obj</c>: reads <c>v x y z</c> (extra columns such as w or colours ignored) and
/// <c>f</c> lines with indices "v", "v/vt", "v/vt/vn" or "v//vn" (1-based; negative counts back from
/// the latest vertex; faces may only use vertices defined above them). Polygons of any size are
/// triangulated (see <see cref="MeshBuilder.AddPolygon"/>). Every other statement (vt, vn, l, p, g, o, s,
/// usemtl, mtllib...) is skipped. A line ending in '\' continues on the next one.
/// </summary>
internal static class ObjReader
{
    public static Mesh Read(string path, byte[] data)
    {
        var text = new TextScanner(data, path);
        var mesh = new MeshBuilder(Math.Min(data.Length / 20, 1 << 20), Math.Min(data.Length / 20, 1 << 20));
        // Grows with the largest face: n-gons of any size are valid OBJ (CAD cylinder caps have
        // hundreds of vertices). A face cannot outgrow its line (1 MiB at most, 2 bytes a vertex).
        var polygon = new int[256];
        List<byte>? joined = null;
        while (text.NextLine(out var raw))
        {
            var line = raw;
            if (line.Length > 0 && line[^1] == '\\')
            {
                joined ??= [];
                joined.Clear();
                joined.AddRange(line[..^1]);
                while (joined.Count > 0 && text.NextLine(out var more))
                {
                    bool again = more.Length > 0 && more[^1] == '\\';
                    joined.Add((byte)' ');
                    joined.AddRange(again ? more[..^1] : more);
                    if (joined.Count > TextScanner.MaxLineBytes)
                    {
                        throw text.Error("continued line is longer than 1 MiB: not a sane OBJ file");
                    }
                    if (!again)
                    {
                        break;
                    }
                }
                line = joined.ToArray();
            }
            line = TextScanner.StripComment(line);
            var rest = line;
            if (!TextScanner.NextToken(ref rest, out var keyword))
            {
                continue;
            }
            if (keyword.SequenceEqual("v"u8))
            {
                var (x, y, z) = text.ParseVertex(ref rest);
                mesh.AddVertex(x, y, z);
            }
            else if (keyword.SequenceEqual("f"u8) || keyword.SequenceEqual("fo"u8))
            {
                int n = 0;
                while (TextScanner.NextToken(ref rest, out var tok))
                {
                    if (n == polygon.Length)
                    {
                        Array.Resize(ref polygon, polygon.Length * 2);
                    }
                    int slash = tok.IndexOf((byte)'/');
                    var vTok = slash < 0 ? tok : tok[..slash];
                    int index = text.ParseInt(vTok, "vertex index");
                    if (index == 0)
                    {
                        throw text.Error("vertex index 0 is invalid (OBJ indices start at 1)");
                    }
                    if (index < 0)
                    {
                        index += mesh.VertexCount;
                        if (index < 0)
                        {
                            throw text.Error($"relative vertex index {TextScanner.Show(vTok)} points before the first vertex ({mesh.VertexCount} so far)");
                        }
                    }
                    else
                    {
                        index -= 1;
                        if (index >= mesh.VertexCount)
                        {
                            throw text.Error($"vertex index {index + 1} is out of range ({mesh.VertexCount} vertices defined so far)");
                        }
                    }
                    polygon[n++] = index;
                }
                if (n < 3)
                {
                    throw text.Error($"a face needs at least 3 vertices, this one has {n}");
                }
                mesh.AddPolygon(polygon.AsSpan(0, n));
            }
        }
        if (mesh.VertexCount == 0)
        {
            throw DataFile.Error(path, text.Line == 0 ? "file is empty" : "no vertices ('v' lines) in the file");
        }
        return mesh.Build(path);
    }
}
