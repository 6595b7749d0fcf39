using System.Buffers.Binary;
using System.Numerics;
using System.Text;
using Gan3D.Data;

namespace Gan3D.Tests.Data;

public class MeshFileTests
{
    private const string CubeQuads =
        "8 6 0\n-1 -1 -1\n1 -1 -1\n1 1 -1\n-1 1 -1\n-1 -1 1\n1 -1 1\n1 1 1\n-1 1 1\n" +
        "4 0 3 2 1\n4 4 5 6 7\n4 0 1 5 4\n4 2 3 7 6\n4 1 2 6 5\n4 0 4 7 3\n";

    private static void AssertClosedCube(Mesh mesh, float half = 1)
    {
        Assert.Equal(8, mesh.VertexCount);
        Assert.Equal(12, mesh.TriangleCount);
        Assert.Equal(6 * 4 * half * half, mesh.Area(), 4);
        Assert.Equal(8 * half * half * half, Math.Abs(mesh.SignedVolume()), 4);
        var (uses, _) = TestData.EdgeUse(mesh);
        Assert.All(uses.Values, n => Assert.Equal(2, n));
    }

    [Fact]
    public void OffPolygonsCommentsColoursAndModelNetHeader()
    {
        using var dir = new TempDir();
        AssertClosedCube(MeshFile.Read(dir.Write("a.off", "OFF\n# a comment\n" + CubeQuads)));
        // ModelNet's broken header: counts glued to the keyword.
        AssertClosedCube(MeshFile.Read(dir.Write("b.off", "OFF" + CubeQuads)));
        // COFF: colour columns after each vertex and face; CRLF line ends; no final newline.
        var coff = new StringBuilder("COFF\r\n8 6 0\r\n");
        foreach (var line in CubeQuads.Split('\n', StringSplitOptions.RemoveEmptyEntries).Skip(1))
        {
            coff.Append(line).Append(line.StartsWith('4') ? " 255 0 0\r\n" : " 0.5 0.5 0.5 1 # rgba\r\n");
        }
        AssertClosedCube(MeshFile.Read(dir.Write("c.off", coff.ToString().TrimEnd())));
    }

    [Fact]
    public void ObjIndexFormsNegativeIndicesAndOddWhitespace()
    {
        using var dir = new TempDir();
        string obj =
            "# cube\nmtllib x.mtl\no cube\n" +
            "v -1 -1 -1\nv 1 -1 -1\nv 1 1 -1\nv -1 1 -1\n" +
            "v\t-1 -1 1  \nv 1   -1 1\nv 1 1 1 1.0\nv -1 1 1 0.5 0.5 0.5\n" +
            "vt 0 0\nvn 0 0 1\ns off\ng side\nusemtl red\n" +
            "f 1/1/1 4/1/1 3/1/1 2/1/1\n" +
            "f 5//1 6//1 7//1 8//1\n" +
            "f -8/1 -7/1 -3/1 -4/1\n" +
            "f 3 4 8 7\nl 1 2\np 3\n" +
            "f 2 3 7 \\\n 6\n" +
            "f 1 5 8 4";
        AssertClosedCube(MeshFile.Read(dir.Write("cube.obj", obj)));
    }

    [Fact]
    public void ConcavePolygonsAreEarClipped()
    {
        // An L-shaped hexagon (area 3): a fan from vertex 0 would cover area outside it.
        using var dir = new TempDir();
        string obj = "v 0 0 0\nv 2 0 0\nv 2 1 0\nv 1 1 0\nv 1 2 0\nv 0 2 0\nf 1 2 3 4 5 6\n";
        var mesh = MeshFile.Read(dir.Write("l.obj", obj));
        Assert.Equal(4, mesh.TriangleCount);
        Assert.Equal(3.0, mesh.Area(), 5);
        // Starting at the reflex vertex changes nothing.
        mesh = MeshFile.Read(dir.Write("l2.obj", obj.Replace("f 1 2 3 4 5 6", "f 4 5 6 1 2 3")));
        Assert.Equal(3.0, mesh.Area(), 5);
    }

    /// <summary>"f 1 2 ... n" over n vertices on a circle of radius 1 (star: every other one at radius 0.5, concave).</summary>
    private static (string Obj, double Area) Ngon(int n, bool star)
    {
        var sb = new StringBuilder();
        var pts = new List<(double X, double Y)>();
        for (int i = 0; i < n; i++)
        {
            double a = 2 * Math.PI * i / n, radius = star && i % 2 == 1 ? 0.5 : 1;
            pts.Add((radius * Math.Cos(a), radius * Math.Sin(a)));
            sb.Append(System.Globalization.CultureInfo.InvariantCulture, $"v {pts[i].X:R} {pts[i].Y:R} 0\n");
        }
        sb.Append("f ").AppendJoin(' ', Enumerable.Range(1, n)).Append('\n');
        double area = 0;
        for (int i = 0; i < n; i++)
        {
            var (p, q) = (pts[i], pts[(i + 1) % n]);
            area += p.X * q.Y - q.X * p.Y;
        }
        return (sb.ToString(), area / 2);
    }

    [Theory]
    [InlineData(300, false)]
    [InlineData(300, true)]
    [InlineData(2000, false)]
    public void PolygonsOfAnySizeAreTriangulated(int n, bool star)
    {
        // CAD exports cap cylinders with one n-gon; these were refused above 256 vertices.
        using var dir = new TempDir();
        var (obj, area) = Ngon(n, star);
        var mesh = MeshFile.Read(dir.Write("ngon.obj", obj));
        Assert.Equal(n - 2, mesh.TriangleCount);
        Assert.Equal(area, mesh.Area(), 3);
        // The same polygon through OFF and PLY.
        var lines = obj.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        string vertices = string.Join('\n', lines.Take(n).Select(l => l[2..]));
        string face = $"{n} " + string.Join(' ', Enumerable.Range(0, n));
        Assert.Equal(area, MeshFile.Read(dir.Write("ngon.off", $"OFF\n{n} 1 0\n{vertices}\n{face}\n")).Area(), 3);
        string ply = $"ply\nformat ascii 1.0\nelement vertex {n}\nproperty float x\nproperty float y\nproperty float z\n" +
            $"element face 1\nproperty list ushort int vertex_indices\nend_header\n{vertices}\n{face}\n";
        Assert.Equal(area, MeshFile.Read(dir.Write("ngon.ply", ply)).Area(), 3);
    }

    [Fact]
    public void UnknownPlyHeaderLinesAreSkippedWithAWarning()
    {
        // Blender 2.47's exporter writes its banner without 'comment'; assimp reads such files.
        using var dir = new TempDir();
        string path = dir.Write("blender.ply",
            "ply\nformat ascii 1.0\nCreated by Blender3D 247 - www.blender.org, source file: ''\nelement vertex 3\n" +
            "property float x\nproperty float y\nproperty float z\nelement face 1\nproperty list uchar uint vertex_indices\nend_header\n" +
            "0 0 0\n1 0 0\n0 1 0\n3 0 1 2\n");
        var mesh = MeshFile.Read(path);
        Assert.Equal(1, mesh.TriangleCount);
        var warning = Assert.Single(mesh.Warnings);
        Assert.StartsWith($"{path}:3: ", warning);
        Assert.Contains("Created by Blender3D", warning);
        // Declarations stay strict: a malformed 'element' line is still an error.
        var bad = Assert.Throws<InvalidDataException>(() => MeshFile.Read(dir.Write("bad.ply",
            "ply\nformat ascii 1.0\nCreated by X\nelement vertex\nend_header\n")));
        Assert.Contains("'element' needs a name and a count", bad.Message);
        // The CLI shows the warning and converts.
        var r = Cli.Run("convert", path, dir.File("out.obj"));
        Assert.Equal(0, r.Code);
        Assert.Contains(r.ErrLines, l => l.StartsWith("gan3d: warning: ", StringComparison.Ordinal) && l.Contains("Created by", StringComparison.Ordinal));
    }

    private static byte[] BinaryStl(Mesh mesh, string header)
    {
        var bytes = new byte[84 + 50 * mesh.TriangleCount];
        Encoding.ASCII.GetBytes(header).CopyTo(bytes, 0);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(80), (uint)mesh.TriangleCount);
        for (int t = 0; t < mesh.TriangleCount; t++)
        {
            for (int c = 0; c < 3; c++)
            {
                var p = mesh.Vertex(mesh.Triangles[t * 3 + c]);
                var at = bytes.AsSpan(84 + 50 * t + 12 + 12 * c);
                BinaryPrimitives.WriteSingleLittleEndian(at, p.X);
                BinaryPrimitives.WriteSingleLittleEndian(at[4..], p.Y);
                BinaryPrimitives.WriteSingleLittleEndian(at[8..], p.Z);
            }
        }
        return bytes;
    }

    [Fact]
    public void StlAsciiAndBinaryEvenWhenBinaryStartsWithSolid()
    {
        using var dir = new TempDir();
        var cube = TestData.Box(new Vector3(-1), new Vector3(1));
        var ascii = new StringBuilder("solid cube\n");
        for (int t = 0; t < 12; t++)
        {
            ascii.Append("  facet normal 0 0 0\n    outer loop\n");
            for (int c = 0; c < 3; c++)
            {
                var p = cube.Vertex(cube.Triangles[t * 3 + c]);
                ascii.Append(System.FormattableString.Invariant($"      vertex {p.X} {p.Y} {p.Z}\n"));
            }
            ascii.Append("    endloop\n  endfacet\n");
        }
        ascii.Append("endsolid cube\n");
        AssertClosedCube(MeshFile.Read(dir.Write("a.stl", ascii.ToString())));
        AssertClosedCube(MeshFile.Read(dir.Write("b.stl", BinaryStl(cube, "binary cube"))));
        // A binary file whose header says "solid ... facet" is still binary: its length says so.
        AssertClosedCube(MeshFile.Read(dir.Write("c.stl", BinaryStl(cube, "solid facet endsolid"))));
    }

    private static byte[] Ply(string format, Mesh mesh, string vertexType, string countType, string indexType, string listName, bool extras)
    {
        var header = new StringBuilder($"ply\nformat {format} 1.0\ncomment made by a test\n");
        if (extras)
        {
            header.Append("element material 1\nproperty uchar r\nproperty list uchar int ids\n");
        }
        header.Append($"element vertex {mesh.VertexCount}\nproperty {vertexType} x\nproperty {vertexType} y\n");
        if (extras)
        {
            header.Append("property float confidence\n");
        }
        header.Append($"property {vertexType} z\nelement face {mesh.TriangleCount}\n");
        if (extras)
        {
            header.Append("property short flags\n");
        }
        header.Append($"property list {countType} {indexType} {listName}\nend_header\n");
        var ms = new MemoryStream();
        ms.Write(Encoding.ASCII.GetBytes(header.ToString()));
        bool big = format == "binary_big_endian";
        void Put(string type, double v)
        {
            if (format == "ascii")
            {
                ms.Write(Encoding.ASCII.GetBytes(v.ToString(System.Globalization.CultureInfo.InvariantCulture) + " "));
                return;
            }
            var b = new byte[8];
            int n = type switch { "uchar" or "uint8" => 1, "short" or "int16" => 2, "int" or "float" => 4, _ => 8 };
            switch (type)
            {
                case "uchar" or "uint8": b[0] = (byte)v; break;
                case "short" or "int16": if (big) { BinaryPrimitives.WriteInt16BigEndian(b, (short)v); } else { BinaryPrimitives.WriteInt16LittleEndian(b, (short)v); } break;
                case "int": if (big) { BinaryPrimitives.WriteInt32BigEndian(b, (int)v); } else { BinaryPrimitives.WriteInt32LittleEndian(b, (int)v); } break;
                case "float": if (big) { BinaryPrimitives.WriteSingleBigEndian(b, (float)v); } else { BinaryPrimitives.WriteSingleLittleEndian(b, (float)v); } break;
                default: if (big) { BinaryPrimitives.WriteDoubleBigEndian(b, v); } else { BinaryPrimitives.WriteDoubleLittleEndian(b, v); } break;
            }
            ms.Write(b, 0, n);
        }
        void End()
        {
            if (format == "ascii")
            {
                ms.Write("\n"u8);
            }
        }
        if (extras)
        {
            Put("uchar", 9); Put("uchar", 2); Put("int", 5); Put("int", 6); End();
        }
        for (int v = 0; v < mesh.VertexCount; v++)
        {
            var p = mesh.Vertex(v);
            Put(vertexType, p.X); Put(vertexType, p.Y);
            if (extras) { Put("float", 0.5); }
            Put(vertexType, p.Z); End();
        }
        for (int t = 0; t < mesh.TriangleCount; t++)
        {
            if (extras) { Put("short", -1); }
            Put(countType, 3);
            for (int c = 0; c < 3; c++) { Put(indexType, mesh.Triangles[t * 3 + c]); }
            End();
        }
        return ms.ToArray();
    }

    [Theory]
    [InlineData("ascii", "float", "uchar", "int", "vertex_indices", false)]
    [InlineData("binary_little_endian", "double", "uchar", "int", "vertex_indices", true)]
    [InlineData("binary_big_endian", "float", "int", "int", "vertex_index", true)]
    [InlineData("binary_little_endian", "short", "uint8", "int", "vertex_index", false)]
    [InlineData("ascii", "double", "int", "int", "vertex_index", true)]
    public void PlyFormatsTypesAndSkippedElements(string format, string vertexType, string countType, string indexType, string listName, bool extras)
    {
        using var dir = new TempDir();
        var cube = TestData.Box(new Vector3(-1), new Vector3(1));
        AssertClosedCube(MeshFile.Read(dir.Write("c.ply", Ply(format, cube, vertexType, countType, indexType, listName, extras))));
    }

    [Fact]
    public void ObjAndPlyWritersRoundTripExactly()
    {
        using var dir = new TempDir();
        var mesh = TestData.Sphere(0.7f, 17, 9);
        // Awkward floats: tiny, huge, negative zero, many digits.
        mesh.Positions[0] = 1e-30f;
        mesh.Positions[1] = -0f;
        mesh.Positions[2] = 123456.789f;
        mesh.Positions[3] = 0.1f + 0.2f;
        foreach (string name in new[] { "m.obj", "m.ply" })
        {
            MeshFile.Write(dir.File(name), mesh);
            var back = MeshFile.Read(dir.File(name));
            Assert.Equal(mesh.Positions.Select(BitConverter.SingleToInt32Bits), back.Positions.Select(BitConverter.SingleToInt32Bits));
            Assert.Equal(mesh.Triangles, back.Triangles);
        }
        MeshFile.WritePly(dir.File("a.ply"), mesh, binary: false);
        var ascii = MeshFile.Read(dir.File("a.ply"));
        Assert.Equal(mesh.Positions.Select(BitConverter.SingleToInt32Bits), ascii.Positions.Select(BitConverter.SingleToInt32Bits));
        Assert.Equal(mesh.Triangles, ascii.Triangles);
        Assert.StartsWith("ply\nformat binary_little_endian 1.0\n", Encoding.ASCII.GetString(File.ReadAllBytes(dir.File("m.ply")), 0, 40));
    }

    [Fact]
    public void UpAxisYTurnsYIntoZKeepingHandedness()
    {
        var mesh = new Mesh([1, 2, 3, 0, 0, 0, 0, 1, 0], [0, 1, 2]);
        var turned = mesh.WithUpAxis(UpAxis.Y);
        Assert.Equal([1f, -3f, 2f], turned.Positions[..3]);
        // A rotation: the signed volume (orientation) of a closed mesh is unchanged.
        var cube = TestData.Box(new Vector3(0), new Vector3(1, 2, 3));
        Assert.Equal(cube.SignedVolume(), cube.WithUpAxis(UpAxis.Y).SignedVolume(), 5);
    }
}
