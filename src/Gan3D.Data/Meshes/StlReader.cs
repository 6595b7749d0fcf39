using System.Buffers.Binary;

namespace Gan3D.Data;

/// <summary>
/// Stereolithography <c>.stl</c>, ASCII or binary. Binary files (80-byte header, uint32 triangle
/// count, 50 bytes a triangle) may also start with "solid", so a file is taken as binary when its
/// length is exactly 84 + 50·count, and as ASCII only when it starts with "solid" and reads as text
/// with facets. Identical corner positions are merged so the mesh comes out indexed.
/// </summary>
internal static class StlReader
{
    public static Mesh Read(string path, byte[] data)
    {
        bool exactBinary = data.Length >= 84 && 84 + 50L * BinaryPrimitives.ReadUInt32LittleEndian(data.AsSpan(80, 4)) == data.Length;
        if (!exactBinary && LooksLikeAscii(data))
        {
            return ReadAscii(path, data);
        }
        if (data.Length < 84)
        {
            throw DataFile.Error(path, $"not an STL file: {data.Length} bytes is too short for a binary STL and it is not ASCII STL ('solid ... facet ...')");
        }
        uint count = BinaryPrimitives.ReadUInt32LittleEndian(data.AsSpan(80, 4));
        long need = 84 + 50L * count;
        if (need != data.Length)
        {
            throw DataFile.Error(path, $"binary STL declares {count} triangles, which take {need} bytes, but the file has {data.Length} bytes (truncated or not an STL file)");
        }
        var merger = new VertexMerger((int)Math.Min(count * 3, 1 << 22));
        var mesh = merger.Builder;
        Span<int> corners = stackalloc int[3];
        for (int t = 0; t < count; t++)
        {
            var record = data.AsSpan(84 + 50 * t, 50);
            for (int c = 0; c < 3; c++)
            {
                var at = record.Slice(12 + 12 * c, 12);
                float x = BinaryPrimitives.ReadSingleLittleEndian(at);
                float y = BinaryPrimitives.ReadSingleLittleEndian(at[4..]);
                float z = BinaryPrimitives.ReadSingleLittleEndian(at[8..]);
                if (!float.IsFinite(x) || !float.IsFinite(y) || !float.IsFinite(z))
                {
                    throw DataFile.Error(path, $"triangle {t} has a coordinate that is not finite (NaN or infinity)");
                }
                corners[c] = merger.Add(x, y, z);
            }
            mesh.AddTriangle(corners[0], corners[1], corners[2]);
        }
        if (count == 0)
        {
            throw DataFile.Error(path, "binary STL with no triangles");
        }
        return mesh.Build(path);
    }

    private static bool LooksLikeAscii(byte[] data)
    {
        var span = data.AsSpan().TrimStart(" \t\r\n"u8);
        if (span.StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF]))
        {
            span = span[3..];
        }
        if (!span.StartsWith("solid"u8))
        {
            return false;
        }
        var head = span[..Math.Min(span.Length, 1024)];
        if (head.IndexOf((byte)0) >= 0)
        {
            return false;
        }
        return head.IndexOf("facet"u8) >= 0 || head.IndexOf("endsolid"u8) >= 0 || span.Length < 1024;
    }

    private static Mesh ReadAscii(string path, byte[] data)
    {
        var text = new TextScanner(data, path);
        var merger = new VertexMerger(Math.Min(data.Length / 40, 1 << 22));
        var mesh = merger.Builder;
        Span<int> loop = stackalloc int[64];
        int inLoop = -1;
        int loopLine = 0;
        bool sawSolid = false;
        while (text.NextLine(out var raw))
        {
            var rest = raw;
            if (!TextScanner.NextToken(ref rest, out var keyword))
            {
                continue;
            }
            if (keyword.SequenceEqual("vertex"u8))
            {
                if (inLoop < 0)
                {
                    throw text.Error("'vertex' outside an 'outer loop'");
                }
                var (x, y, z) = text.ParseVertex(ref rest);
                if (inLoop == loop.Length)
                {
                    throw text.Error($"a facet has more than {loop.Length} vertices");
                }
                loop[inLoop++] = merger.Add(x, y, z);
            }
            else if (keyword.SequenceEqual("outer"u8))
            {
                if (inLoop >= 0)
                {
                    throw text.Error("'outer loop' inside another loop");
                }
                inLoop = 0;
                loopLine = text.Line;
            }
            else if (keyword.SequenceEqual("endloop"u8))
            {
                if (inLoop < 3)
                {
                    throw text.Error(inLoop < 0 ? "'endloop' without 'outer loop'" : $"a facet needs 3 vertices, this one has {inLoop}");
                }
                for (int i = 1; i + 1 < inLoop; i++)
                {
                    mesh.AddTriangle(loop[0], loop[i], loop[i + 1]);
                }
                inLoop = -1;
            }
            else if (keyword.SequenceEqual("solid"u8))
            {
                sawSolid = true;
            }
            else if (!(keyword.SequenceEqual("facet"u8) || keyword.SequenceEqual("endfacet"u8) || keyword.SequenceEqual("endsolid"u8)))
            {
                throw text.Error($"unexpected '{TextScanner.Show(keyword)}' in an ASCII STL file");
            }
        }
        if (!sawSolid)
        {
            throw DataFile.Error(path, "not an STL file (no 'solid')");
        }
        if (inLoop >= 0)
        {
            throw DataFile.Error(path, "truncated: the file ends inside a facet", loopLine);
        }
        if (mesh.TriangleCount == 0)
        {
            throw DataFile.Error(path, "ASCII STL with no facets");
        }
        return mesh.Build(path);
    }

    /// <summary>Gives identical positions one vertex index.</summary>
    private sealed class VertexMerger(int capacity)
    {
        private readonly Dictionary<(float, float, float), int> _index = new(capacity);

        public MeshBuilder Builder { get; } = new(capacity, capacity);

        public int Add(float x, float y, float z)
        {
            // +0 and -0 are one position.
            x += 0f; y += 0f; z += 0f;
            if (!_index.TryGetValue((x, y, z), out int v))
            {
                v = Builder.VertexCount;
                _index[(x, y, z)] = v;
                Builder.AddVertex(x, y, z);
            }
            return v;
        }
    }
}
