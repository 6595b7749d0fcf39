using System.Buffers.Binary;
using System.Diagnostics;
using System.Text;
using Gan3D.Data;

namespace Gan3D.Tests.Data;

/// <summary>
/// Every reader refuses broken, hostile and wrong files with one InvalidDataException naming the
/// file, quickly and without allocating by the declared sizes; the CLI turns each into exit code 2
/// and a single "gan3d: error: FILE..." line.
/// </summary>
public class BadInputTests
{
    private static byte[] Ascii(string s) => Encoding.ASCII.GetBytes(s);

    private static byte[] Garbage(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    private static byte[] PngHeader(uint width, uint height)
    {
        var bytes = new byte[33];
        new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A }.CopyTo(bytes, 0);
        BinaryPrimitives.WriteUInt32BigEndian(bytes.AsSpan(8), 13);
        "IHDR"u8.CopyTo(bytes.AsSpan(12));
        BinaryPrimitives.WriteUInt32BigEndian(bytes.AsSpan(16), width);
        BinaryPrimitives.WriteUInt32BigEndian(bytes.AsSpan(20), height);
        bytes[24] = 8;
        bytes[25] = 2;
        return bytes;
    }

    /// <summary>
    /// Test case names only: the runner serializes theory data at discovery, and a 10 MB file in it
    /// would cost a minute under 'dotnet test'. The content is made when the test runs.
    /// </summary>
    public static TheoryData<string> Cases() => new(Contents.Value.Keys);

    private static readonly Lazy<Dictionary<string, byte[]>> Contents = new(MakeContents);

    /// <summary>File name (its extension picks the reader) and content.</summary>
    private static Dictionary<string, byte[]> MakeContents()
    {
        var big = new StringBuilder("v ");
        big.Insert(2, "1 ", 5_000_000);
        var stlBillion = new byte[84 + 50];
        BinaryPrimitives.WriteUInt32LittleEndian(stlBillion.AsSpan(80), 1_000_000_000);
        var stlNaN = new byte[84 + 50];
        BinaryPrimitives.WriteUInt32LittleEndian(stlNaN.AsSpan(80), 1);
        BinaryPrimitives.WriteSingleLittleEndian(stlNaN.AsSpan(84 + 12), float.NaN);
        byte[] PlyTriangle(float y) => Ascii("ply\nformat binary_little_endian 1.0\nelement vertex 3\nproperty float x\nproperty float y\nproperty float z\nelement face 1\nproperty list uchar int vertex_indices\nend_header\n")
            .Concat(new float[] { 0, 0, 0, 1, y, 0, 0, 1, 0 }.SelectMany(BitConverter.GetBytes))
            .Concat(new byte[] { 3 }).Concat(new[] { 0, 1, 2 }.SelectMany(BitConverter.GetBytes)).ToArray();
        var plyNaN = PlyTriangle(float.NaN);
        var plyTruncated = PlyTriangle(0)[..^7];
        var plyBadIndex = Ascii("ply\nformat ascii 1.0\nelement vertex 3\nproperty float x\nproperty float y\nproperty float z\nelement face 1\nproperty list uchar int vertex_indices\nend_header\n0 0 0\n1 0 0\n0 1 0\n3 0 1 7\n");
        var npyHuge = NpyFileTests.RawNpy("|u1", "(100000, 1000, 1000, 1000)", new byte[16]);
        var npyTruncated = NpyFileTests.RawNpy("|u1", "(10, 32, 32, 32)", new byte[32 * 32 * 40]);
        return new Dictionary<string, byte[]>
        {
            ["empty.off"] = [],
            ["empty.obj"] = [],
            ["empty.stl"] = [],
            ["empty.ply"] = [],
            ["empty.npy"] = [],
            ["empty.binvox"] = [],
            ["empty.png"] = [],
            ["huge-count.off"] = Ascii("OFF\n2000000000 1 0\n0 0 0\n1 0 0\n"),
            ["truncated.off"] = Ascii("OFF\n8 1 0\n0 0 0\n1 0 0\n0 1 0\n"),
            ["bad-index.off"] = Ascii("OFF\n3 1 0\n0 0 0\n1 0 0\n0 1 0\n3 0 1 3\n"),
            ["nan.off"] = Ascii("OFF\n3 1 0\n0 0 0\nnan 0 0\n0 1 0\n3 0 1 2\n"),
            ["wrong-magic.off"] = Ascii("OFX\n3 1 0\n0 0 0\n1 0 0\n0 1 0\n3 0 1 2\n"),
            ["utf16.off"] = Encoding.Unicode.GetPreamble().Concat(Encoding.Unicode.GetBytes("OFF\n3 1 0\n0 0 0\n1 0 0\n0 1 0\n3 0 1 2\n")).ToArray(),
            ["utf16-nobom.obj"] = Encoding.Unicode.GetBytes("v 0 0 0\nv 1 0 0\nv 0 1 0\nf 1 2 3\n"),
            ["garbage.off"] = Garbage(4000, 1),
            ["garbage.obj"] = Garbage(4000, 2),
            ["garbage.stl"] = Garbage(4000, 3),
            ["garbage.ply"] = Garbage(4000, 4),
            ["garbage.npy"] = Garbage(4000, 5),
            ["garbage.binvox"] = Garbage(4000, 6),
            ["garbage.png"] = Garbage(4000, 7),
            ["inf.obj"] = Ascii("v 0 0 0\nv 1e39 0 0\nv 0 1 0\nf 1 2 3\n"),
            ["bad-index.obj"] = Ascii("v 0 0 0\nv 1 0 0\nv 0 1 0\nf 1 2 4\n"),
            ["zero-index.obj"] = Ascii("v 0 0 0\nv 1 0 0\nv 0 1 0\nf 0 1 2\n"),
            ["no-vertices.obj"] = Ascii("# nothing but comments\ng group\n"),
            ["long-line.obj"] = Ascii(big.ToString()),
            ["billion.stl"] = stlBillion,
            ["nan.stl"] = stlNaN,
            ["truncated.stl"] = Ascii("solid x\nfacet normal 0 0 1\nouter loop\nvertex 0 0 0\nvertex 1 0 0\n"),
            ["huge.ply"] = Ascii("ply\nformat binary_little_endian 1.0\nelement vertex 4000000000\nproperty float x\nproperty float y\nproperty float z\nend_header\n\0\0\0\0"),
            ["huge2.ply"] = Ascii("ply\nformat ascii 1.0\nelement vertex 2000000000\nproperty float x\nproperty float y\nproperty float z\nelement face 2000000000\nproperty list uchar int vertex_indices\nend_header\n0 0 0\n"),
            ["float-count.ply"] = Ascii("ply\nformat ascii 1.0\nelement vertex 4e9\nproperty float x\nproperty float y\nproperty float z\nend_header\n"),
            ["nan.ply"] = plyNaN,
            ["truncated.ply"] = plyTruncated,
            ["bad-index.ply"] = plyBadIndex,
            ["wrong-magic.ply"] = Ascii("plx\nformat ascii 1.0\nend_header\n"),
            ["huge.npy"] = npyHuge,
            ["huge.npy.gz"] = NpyFileTests.Gzip(npyHuge),
            ["truncated.npy"] = npyTruncated,
            ["truncated.npy.gz"] = NpyFileTests.Gzip(npyTruncated),
            ["cut-gzip.npy.gz"] = NpyFileTests.Gzip(NpyFileTests.RawNpy("|u1", "(4, 32, 32, 32)", Garbage(4 * 32768, 8)))[..5000],
            ["corrupt-gzip.npy.gz"] = NpyFileTests.Gzip(npyTruncated)[..20].Concat(Garbage(500, 9)).ToArray(),
            ["wrong-magic.npy"] = Ascii("\u0013NUMPY\u0001\u0000v\u0000{'descr': '|u1'}"),
            ["fortran.npy"] = NpyFileTests.RawNpy("|u1", "(2, 2, 2)", new byte[8], fortran: "True"),
            ["huge-header.npy"] = [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', 2, 0, 0xFF, 0xFF, 0xFF, 0x7F],
            ["huge.binvox"] = Ascii("#binvox 1\ndim 100000 100000 100000\ndata\n\0\u00ff"),
            ["truncated.binvox"] = Ascii("#binvox 1\ndim 32 32 32\ndata\n").Concat(new byte[] { 0, 255, 1, 255 }).ToArray(),
            ["overflow.binvox"] = Ascii("#binvox 1\ndim 2 2 2\ndata\n").Concat(new byte[] { 0, 200 }).ToArray(),
            ["wrong-magic.binvox"] = Ascii("#voxbin 1\ndim 2 2 2\ndata\n").Concat(new byte[] { 0, 8 }).ToArray(),
            ["huge.png"] = PngHeader(20000, 20000),
            ["truncated.png"] = PngHeader(4, 4),
            ["huge.jpg"] = [0xFF, 0xD8, 0xFF, 0xE0, 0, 4, 0, 0, 0xFF, 0xC0, 0, 11, 8, 0x4E, 0x20, 0x4E, 0x20, 3, 1, 0x11, 0],
        };
    }

    private static void ReadAny(string path)
    {
        string name = Path.GetFileName(path);
        if (name.EndsWith(".png") || name.EndsWith(".jpg"))
        {
            ImageFile.Read(path, 32, 32);
        }
        else if (VoxelFile.IsVoxelPath(path))
        {
            VoxelFile.Read(path);
        }
        else
        {
            MeshFile.Read(path);
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void ReaderRefusesWithOneMessageNamingTheFile(string name)
    {
        byte[] content = Contents.Value[name];
        using var dir = new TempDir();
        string path = dir.Write(name, content);
        long before = GC.GetAllocatedBytesForCurrentThread();
        var clock = Stopwatch.StartNew();
        var ex = Assert.Throws<InvalidDataException>(() => ReadAny(path));
        clock.Stop();
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.StartsWith(path + ":", ex.Message);
        Assert.DoesNotContain('\n', ex.Message);
        Assert.True(clock.Elapsed.TotalSeconds < 2, $"{name}: {clock.Elapsed.TotalSeconds:F2} s");
        // The 10 MB line file itself is read whole; nothing may be allocated by a declared count.
        Assert.True(allocated < content.Length * 3L + (48 << 20), $"{name}: allocated {allocated >> 20} MiB");
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void CliGivesExitCodeTwoAndOneLine(string name)
    {
        byte[] content = Contents.Value[name];
        using var dir = new TempDir();
        string path = dir.Write(name, content);
        string[] args = name.EndsWith(".png") || name.EndsWith(".jpg")
            ? ["convert", path, dir.File("out.obj")] // not a format convert reads: usage error naming it
            : VoxelFile.IsVoxelPath(path) ? ["render", path, "--out", dir.File("out.png")] : ["voxelize", path, "--out", dir.File("out.npy")];
        var (code, _, err) = Cli.Run(args);
        Assert.Equal(2, code);
        Assert.Single(err);
        Assert.StartsWith("gan3d: error: ", err[0]);
        Assert.Contains(path, err[0]);
        Assert.False(File.Exists(dir.File("out.npy")) || File.Exists(dir.File("out.png")) || File.Exists(dir.File("out.obj")));
    }

    [Theory]
    [InlineData("meshes/assimp/empty.obj", "file is empty")]
    [InlineData("meshes/assimp/empty.off", "file is empty")]
    [InlineData("meshes/assimp/invalid.off", "face")]
    [InlineData("meshes/assimp/malformed.obj", "out of range")]
    public void SharedInvalidMeshesAreRefused(string relative, string why)
    {
        string path = TestData.SharedPath(relative);
        var ex = Assert.Throws<InvalidDataException>(() => MeshFile.Read(path));
        Assert.StartsWith(path + ":", ex.Message);
        Assert.Contains(why, ex.Message);
        var (code, _, err) = Cli.Run("convert", path, Path.Combine(Path.GetTempPath(), "gan3d-never-written.ply"));
        Assert.Equal(2, code);
        Assert.Single(err);
        Assert.StartsWith($"gan3d: error: {path}:", err[0]);
    }

    [Fact]
    public void MalformedObjNamesTheLine()
    {
        string path = TestData.SharedPath("meshes/assimp/malformed.obj");
        var ex = Assert.Throws<InvalidDataException>(() => MeshFile.Read(path));
        Assert.StartsWith(path + ":23: vertex index 12", ex.Message);
    }

    [Fact]
    public void DegenerateMeshesAreRefusedByTheVoxelizer()
    {
        using var dir = new TempDir();
        string collinear = dir.Write("line.obj", "v 0 0 0\nv 1 1 1\nv 2 2 2\nv 3 3 3\nf 1 2 3\nf 2 3 4\n");
        var mesh = MeshFile.Read(collinear);
        var ex = Assert.Throws<InvalidDataException>(() => Voxelizer.Voxelize(mesh, 16));
        Assert.StartsWith(collinear + ": ", ex.Message);
        Assert.Contains("degenerate", ex.Message);
        string point = dir.Write("point.off", "OFF\n3 1 0\n1 1 1\n1 1 1\n1 1 1\n3 0 1 2\n");
        ex = Assert.Throws<InvalidDataException>(() => Voxelizer.Voxelize(MeshFile.Read(point), 16));
        Assert.Contains("degenerate", ex.Message);
        var (code, _, err) = Cli.Run("voxelize", collinear, "--out", dir.File("x.npy"));
        Assert.Equal(2, code);
        Assert.Single(err);
        Assert.Contains("degenerate", err[0]);
    }

    [Fact]
    public void MissingFileAndBadUsageAreOneLineToo()
    {
        using var dir = new TempDir();
        var (code, _, err) = Cli.Run("render", dir.File("nope.npy"), "--out", dir.File("x.png"));
        Assert.Equal(2, code);
        Assert.Equal($"gan3d: error: {dir.File("nope.npy")}: no such file", Assert.Single(err));
        (code, _, err) = Cli.Run("shapes", "--out", dir.File("x.txt"));
        Assert.Equal(2, code);
        Assert.Contains(".npy", Assert.Single(err));
        (code, _, err) = Cli.Run("shapes", "--family", "spaceship", "--out", dir.File("x.npy"));
        Assert.Equal(2, code);
        Assert.Contains("unknown family", Assert.Single(err));
    }
}
