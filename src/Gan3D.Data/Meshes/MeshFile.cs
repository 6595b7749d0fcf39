using System.Globalization;
using System.Text;

namespace Gan3D.Data;

/// <summary>
/// Reads <c>.off</c>, <c>.obj</c>, <c>.stl</c> and <c>.ply</c> meshes and writes <c>.obj</c> and
/// <c>.ply</c> (binary little-endian by default; both open in MeshLab and Blender). Bad files give an
/// <see cref="InvalidDataException"/> whose message is "FILE[:LINE]: what is wrong".
/// </summary>
public static class MeshFile
{
    /// <summary>File extensions the readers understand (lower case, with the dot).</summary>
    public static IReadOnlyList<string> ReadableExtensions { get; } = [".off", ".obj", ".stl", ".ply"];

    /// <summary>True when <paramref name="path"/> has a mesh extension <see cref="Read"/> understands.</summary>
    public static bool IsMeshPath(string path) =>
        ReadableExtensions.Contains(Path.GetExtension(path).ToLowerInvariant());

    /// <summary>Reads a mesh, choosing the format by extension.</summary>
    public static Mesh Read(string path)
    {
        string ext = Path.GetExtension(path).ToLowerInvariant();
        if (!ReadableExtensions.Contains(ext))
        {
            throw new NotSupportedException($"{path}: unknown mesh format '{ext}' (readable: {string.Join(", ", ReadableExtensions)})");
        }
        byte[] data = DataFile.ReadAllBytes(path);
        try
        {
            return ext switch
            {
                ".off" => OffReader.Read(path, data),
                ".obj" => ObjReader.Read(path, data),
                ".stl" => StlReader.Read(path, data),
                _ => PlyReader.Read(path, data),
            };
        }
        catch (Exception ex) when (ex is OverflowException or IndexOutOfRangeException or ArgumentException or FormatException)
        {
            // A reader bug must still read as "this file is bad", with the file named.
            throw DataFile.Error(path, $"cannot read the mesh ({ex.Message.TrimEnd('.')})");
        }
    }

    /// <summary>Writes <paramref name="mesh"/> as <c>.obj</c> or <c>.ply</c> by extension, atomically.</summary>
    public static void Write(string path, Mesh mesh)
    {
        switch (Path.GetExtension(path).ToLowerInvariant())
        {
            case ".obj":
                WriteObj(path, mesh);
                break;
            case ".ply":
                WritePly(path, mesh);
                break;
            default:
                throw new NotSupportedException($"{path}: meshes can be written as .obj or .ply");
        }
    }

    /// <summary>Writes a Wavefront OBJ ("v x y z" with round-trip float text, "f a b c" 1-based), atomically.</summary>
    public static void WriteObj(string path, Mesh mesh)
    {
        ArgumentNullException.ThrowIfNull(mesh);
        AtomicFile.Write(path, stream =>
        {
            using var w = new StreamWriter(stream, new UTF8Encoding(false), 1 << 16, leaveOpen: true) { NewLine = "\n" };
            w.WriteLine($"# {mesh.VertexCount} vertices, {mesh.TriangleCount} triangles (Gan3D; +Z up)");
            var p = mesh.Positions;
            for (int v = 0; v < mesh.VertexCount; v++)
            {
                w.Write("v ");
                w.Write(p[v * 3].ToString("R", CultureInfo.InvariantCulture));
                w.Write(' ');
                w.Write(p[v * 3 + 1].ToString("R", CultureInfo.InvariantCulture));
                w.Write(' ');
                w.WriteLine(p[v * 3 + 2].ToString("R", CultureInfo.InvariantCulture));
            }
            var t = mesh.Triangles;
            for (int f = 0; f < mesh.TriangleCount; f++)
            {
                w.Write("f ");
                w.Write((t[f * 3] + 1).ToString(CultureInfo.InvariantCulture));
                w.Write(' ');
                w.Write((t[f * 3 + 1] + 1).ToString(CultureInfo.InvariantCulture));
                w.Write(' ');
                w.WriteLine((t[f * 3 + 2] + 1).ToString(CultureInfo.InvariantCulture));
            }
        });
    }

    /// <summary>Writes a PLY file: binary little-endian (default) or ASCII, float x y z and uchar/int faces, atomically.</summary>
    public static void WritePly(string path, Mesh mesh, bool binary = true)
    {
        ArgumentNullException.ThrowIfNull(mesh);
        string header =
            "ply\n" +
            (binary ? "format binary_little_endian 1.0\n" : "format ascii 1.0\n") +
            "comment Gan3D; +Z up\n" +
            $"element vertex {mesh.VertexCount}\n" +
            "property float x\nproperty float y\nproperty float z\n" +
            $"element face {mesh.TriangleCount}\n" +
            "property list uchar int vertex_indices\n" +
            "end_header\n";
        AtomicFile.Write(path, stream =>
        {
            var headerBytes = Encoding.ASCII.GetBytes(header);
            stream.Write(headerBytes);
            var p = mesh.Positions;
            var t = mesh.Triangles;
            if (binary)
            {
                using var w = new BinaryWriter(stream, Encoding.ASCII, leaveOpen: true);
                foreach (float value in p)
                {
                    w.Write(value);
                }
                for (int f = 0; f < mesh.TriangleCount; f++)
                {
                    w.Write((byte)3);
                    w.Write(t[f * 3]);
                    w.Write(t[f * 3 + 1]);
                    w.Write(t[f * 3 + 2]);
                }
                return;
            }
            using var tw = new StreamWriter(stream, new UTF8Encoding(false), 1 << 16, leaveOpen: true) { NewLine = "\n" };
            for (int v = 0; v < mesh.VertexCount; v++)
            {
                tw.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{p[v * 3]:R} {p[v * 3 + 1]:R} {p[v * 3 + 2]:R}"));
            }
            for (int f = 0; f < mesh.TriangleCount; f++)
            {
                tw.WriteLine(string.Create(CultureInfo.InvariantCulture, $"3 {t[f * 3]} {t[f * 3 + 1]} {t[f * 3 + 2]}"));
            }
        });
    }
}
