using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;
using Gan3D.Data;

namespace Gan3D.Tests.Data;

public class NpyFileTests
{
    /// <summary>A .npy file as NumPy writes it, built by hand from the format description (not by NpyFile).</summary>
    internal static byte[] RawNpy(string descr, string shape, byte[] data, int version = 1, string fortran = "False", bool quoteDescr = true)
    {
        string d = quoteDescr ? $"'{descr}'" : descr;
        string dict = $"{{'descr': {d}, 'fortran_order': {fortran}, 'shape': {shape}, }}";
        int prefix = version == 1 ? 10 : 12;
        int total = prefix + dict.Length + 1;
        int padded = (total + 63) / 64 * 64;
        string header = dict + new string(' ', padded - total) + "\n";
        var ms = new MemoryStream();
        ms.Write([0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', (byte)version, 0]);
        if (version == 1)
        {
            ms.Write(BitConverter.GetBytes((ushort)header.Length));
        }
        else
        {
            ms.Write(BitConverter.GetBytes((uint)header.Length));
        }
        ms.Write(Encoding.ASCII.GetBytes(header));
        ms.Write(data);
        return ms.ToArray();
    }

    internal static byte[] Gzip(byte[] data)
    {
        var ms = new MemoryStream();
        using (var z = new GZipStream(ms, CompressionLevel.Fastest, leaveOpen: true))
        {
            z.Write(data);
        }
        return ms.ToArray();
    }

    [Fact]
    public void Float32RoundTripKeepsShapeAndBits()
    {
        using var dir = new TempDir();
        var values = new float[] { 0f, -0f, 1.5f, float.Epsilon, -3.4028235e38f, 1e-20f, 0.1f, 7f, -2.25f, 123456.79f, float.NaN, 42f };
        foreach (var (shape, name) in new[] { (new[] { 12 }, "a.npy"), (new[] { 3, 4 }, "b.npy.gz"), (new[] { 2, 1, 3, 2 }, "c.npy") })
        {
            string path = dir.File(name);
            NpyFile.WriteFloat32(path, shape, values);
            var (readShape, data) = NpyFile.ReadFloat32(path);
            Assert.Equal(shape, readShape);
            Assert.Equal(values.Select(BitConverter.SingleToInt32Bits), data.Select(BitConverter.SingleToInt32Bits));
        }
        // A gzip file really is gzip; a plain one is plain.
        Assert.True(File.ReadAllBytes(dir.File("b.npy.gz")).AsSpan().StartsWith((byte[])[0x1f, 0x8b]));
        Assert.Equal(0x93, File.ReadAllBytes(dir.File("a.npy"))[0]);
    }

    [Fact]
    public void WrittenHeaderIsWhatNumPyExpects()
    {
        using var dir = new TempDir();
        string path = dir.File("z.npy");
        NpyFile.WriteFloat32(path, [2, 200], new float[400]);
        var bytes = File.ReadAllBytes(path);
        int headerLength = BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(8, 2));
        string header = Encoding.ASCII.GetString(bytes, 10, headerLength);
        Assert.Equal(1, bytes[6]);
        Assert.Equal(0, (10 + headerLength) % 64);
        Assert.StartsWith("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 200), }", header);
        Assert.EndsWith("\n", header);
        Assert.Equal(10 + headerLength + 400 * 4, bytes.Length);

        NpyFile.WriteFloat32(path, [5], new float[5]);
        Assert.Contains("'shape': (5,)", Encoding.ASCII.GetString(File.ReadAllBytes(path)));
        NpyFile.WriteFloat32(path, [], new float[1]);
        Assert.Contains("'shape': ()", Encoding.ASCII.GetString(File.ReadAllBytes(path)));
        var (scalarShape, scalar) = NpyFile.ReadFloat32(path);
        Assert.Empty(scalarShape);
        Assert.Equal([0f], scalar);
    }

    [Fact]
    public void UInt8RoundTrip()
    {
        using var dir = new TempDir();
        var data = Enumerable.Range(0, 60).Select(i => (byte)(i * 7)).ToArray();
        NpyFile.WriteUInt8(dir.File("u.npy.gz"), [3, 4, 5], data);
        var (shape, values) = NpyFile.ReadFloat32(dir.File("u.npy.gz"));
        Assert.Equal([3, 4, 5], shape);
        Assert.Equal(data.Select(b => (float)b), values);
        Assert.Equal("|u1", NpyFile.ReadHeader(dir.File("u.npy.gz")).Descr);
    }

    public static TheoryData<string, byte[]> Dtypes()
    {
        // The values 0, 1, -2 (or 2 for unsigned/bool-like), 3.5 where representable, in each encoding.
        var data = new TheoryData<string, byte[]>
        {
            { "|u1", [0, 1, 2, 3] },
            { "|b1", [0, 1, 1, 0] },
            { "|i1", [0, 1, 0xFE, 3] },
            { "<i2", [0, 0, 1, 0, 0xFE, 0xFF, 3, 0] },
            { ">u2", [0, 0, 0, 1, 0, 2, 0, 3] },
        };
        byte[] Le<T>(T[] v, Action<Span<byte>, T> put, int size)
        {
            var b = new byte[v.Length * size];
            for (int i = 0; i < v.Length; i++) { put(b.AsSpan(i * size), v[i]); }
            return b;
        }
        data.Add("<i4", Le(new[] { 0, 1, -2, 3 }, BinaryPrimitives.WriteInt32LittleEndian, 4));
        data.Add(">i4", Le(new[] { 0, 1, -2, 3 }, BinaryPrimitives.WriteInt32BigEndian, 4));
        data.Add("<i8", Le(new long[] { 0, 1, -2, 3 }, BinaryPrimitives.WriteInt64LittleEndian, 8));
        data.Add(">u8", Le(new ulong[] { 0, 1, 2, 3 }, BinaryPrimitives.WriteUInt64BigEndian, 8));
        data.Add("<f4", Le(new float[] { 0, 1, -2, 3.5f }, BinaryPrimitives.WriteSingleLittleEndian, 4));
        data.Add(">f4", Le(new float[] { 0, 1, -2, 3.5f }, BinaryPrimitives.WriteSingleBigEndian, 4));
        data.Add("<f8", Le(new double[] { 0, 1, -2, 3.5 }, BinaryPrimitives.WriteDoubleLittleEndian, 8));
        data.Add(">f8", Le(new double[] { 0, 1, -2, 3.5 }, BinaryPrimitives.WriteDoubleBigEndian, 8));
        data.Add("<f2", Le(new[] { (Half)0, (Half)1, (Half)(-2), (Half)3.5 }, BinaryPrimitives.WriteHalfLittleEndian, 2));
        return data;
    }

    [Theory]
    [MemberData(nameof(Dtypes))]
    public void ReadsEveryDtypeAndByteOrder(string descr, byte[] raw)
    {
        using var dir = new TempDir();
        string path = dir.Write("x.npy", RawNpy(descr, "(2, 2)", raw));
        var (shape, values) = NpyFile.ReadFloat32(path);
        Assert.Equal([2, 2], shape);
        float[] expected = descr switch
        {
            "|b1" => [0, 1, 1, 0],
            "|u1" or ">u2" or ">u8" => [0, 1, 2, 3],
            "<f4" or ">f4" or "<f8" or ">f8" or "<f2" => [0, 1, -2, 3.5f],
            _ => [0, 1, -2, 3],
        };
        Assert.Equal(expected, values);
        // The same bytes, gzipped and with a version 2.0 header.
        path = dir.Write("x2.npy.gz", Gzip(RawNpy(descr, "(2, 2)", raw, version: 2)));
        Assert.Equal(expected, NpyFile.ReadFloat32(path).Data);
    }

    [Fact]
    public void VoxelShapesAndThreshold()
    {
        using var dir = new TempDir();
        const int r = 4;
        var grid = new byte[r * r * r];
        grid[(1 * r + 2) * r + 3] = 1; // voxel (1, 2, 3)
        var two = grid.Concat(new byte[r * r * r]).ToArray();
        var a = NpyFile.ReadVoxels(dir.Write("a.npy", RawNpy("|u1", "(4, 4, 4)", grid)));
        var b = NpyFile.ReadVoxels(dir.Write("b.npy", RawNpy("|u1", "(2, 4, 4, 4)", two)));
        var c = NpyFile.ReadVoxels(dir.Write("c.npy", RawNpy("|u1", "(2, 1, 4, 4, 4)", two)));
        Assert.Equal(1, a.Count);
        Assert.Equal(2, b.Count);
        Assert.Equal(2, c.Count);
        foreach (var d in new[] { a, b, c })
        {
            Assert.Equal(r, d.Resolution);
            var g = d.GetGrid(0);
            Assert.True(g[1, 2, 3]);
            Assert.Equal(1, g.CountOccupied());
        }
        Assert.Equal(0, b.CountOccupied(1));

        // Probabilities: above 0.5 is occupied, 0.5 itself is not.
        var p = new float[r * r * r];
        p[0] = 0.51f;
        p[1] = 0.5f;
        p[2] = 0.49f;
        p[63] = 0.99f;
        var raw = new byte[p.Length * 4];
        for (int i = 0; i < p.Length; i++) { BinaryPrimitives.WriteSingleBigEndian(raw.AsSpan(i * 4), p[i]); }
        var probs = NpyFile.ReadVoxels(dir.Write("p.npy", RawNpy(">f4", "(1, 4, 4, 4)", raw))).GetGrid(0);
        Assert.Equal(2, probs.CountOccupied());
        Assert.True(probs[0, 0, 0] && probs[3, 3, 3] && !probs[0, 0, 1]);
        Assert.Equal(1, NpyFile.ReadVoxels(dir.File("p.npy"), threshold: 0.9f).CountOccupied(0));
    }

    [Fact]
    public void RefusesFortranOrderStructuredAndNonCubic()
    {
        using var dir = new TempDir();
        string fortran = dir.Write("f.npy", RawNpy("<f4", "(2, 2)", new byte[16], fortran: "True"));
        var ex = Assert.Throws<InvalidDataException>(() => NpyFile.ReadFloat32(fortran));
        Assert.StartsWith(fortran + ": ", ex.Message);
        Assert.Contains("Fortran", ex.Message);

        string structured = dir.Write("s.npy", RawNpy("[('a', '<f4'), ('b', '<f4')]", "(2,)", new byte[16], quoteDescr: false));
        ex = Assert.Throws<InvalidDataException>(() => NpyFile.ReadFloat32(structured));
        Assert.Contains("structured", ex.Message);

        string cubeless = dir.Write("c.npy", RawNpy("|u1", "(2, 4, 4, 3)", new byte[96]));
        ex = Assert.Throws<InvalidDataException>(() => NpyFile.ReadVoxels(cubeless));
        Assert.Contains("not cubic", ex.Message);
        string flat = dir.Write("d.npy", RawNpy("|u1", "(64,)", new byte[64]));
        ex = Assert.Throws<InvalidDataException>(() => NpyFile.ReadVoxels(flat));
        Assert.Contains("not a voxel grid", ex.Message);
    }
}
