using System.Buffers.Binary;
using System.IO.Compression;
using Gan3D.Data;
using StbImageWriteSharp;

namespace Gan3D.Tests.Data;

public class ImageFileTests
{
    private static uint Crc32(byte[] data)
    {
        uint crc = 0xFFFFFFFF;
        foreach (byte b in data)
        {
            crc ^= b;
            for (int k = 0; k < 8; k++)
            {
                crc = (crc & 1) != 0 ? (crc >> 1) ^ 0xEDB88320 : crc >> 1;
            }
        }
        return ~crc;
    }

    /// <summary>A minimal PNG encoder (one IDAT, filter 0) for the variants StbImageWriteSharp cannot write.</summary>
    internal static byte[] Png(int width, int height, byte colourType, byte bitDepth, byte[] rows, byte[]? palette = null)
    {
        var ms = new MemoryStream();
        ms.Write([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]);
        void Chunk(string type, byte[] data)
        {
            var len = new byte[4];
            BinaryPrimitives.WriteUInt32BigEndian(len, (uint)data.Length);
            ms.Write(len);
            var body = System.Text.Encoding.ASCII.GetBytes(type).Concat(data).ToArray();
            ms.Write(body);
            var crc = new byte[4];
            BinaryPrimitives.WriteUInt32BigEndian(crc, Crc32(body));
            ms.Write(crc);
        }
        var ihdr = new byte[13];
        BinaryPrimitives.WriteUInt32BigEndian(ihdr, (uint)width);
        BinaryPrimitives.WriteUInt32BigEndian(ihdr.AsSpan(4), (uint)height);
        ihdr[8] = bitDepth;
        ihdr[9] = colourType;
        Chunk("IHDR", ihdr);
        if (palette is not null)
        {
            Chunk("PLTE", palette);
        }
        var z = new MemoryStream();
        using (var zs = new ZLibStream(z, CompressionLevel.Optimal, leaveOpen: true))
        {
            zs.Write(rows);
        }
        Chunk("IDAT", z.ToArray());
        Chunk("IEND", []);
        return ms.ToArray();
    }

    [Fact]
    public void ReadsSixteenBitGreyAlphaPaletteAndJpeg()
    {
        using var dir = new TempDir();
        // 16-bit grey, 2×1: 0x0000 and 0xFFFF (rows start with filter byte 0).
        string g16 = dir.Write("g16.png", Png(2, 1, 0, 16, [0, 0, 0, 0xFF, 0xFF]));
        Assert.Equal([0f, 1f], ImageFile.Read(g16, 2, 1));
        // Palette, 2×1: indices 1 and 0 into red and blue.
        string pal = dir.Write("p.png", Png(2, 1, 3, 8, [0, 1, 0], [0, 0, 255, 255, 0, 0]));
        var rgb = ImageFile.Read(pal, 2, 1, rgb: true);
        Assert.Equal([1f, 0f, 0f, 0f, 0f, 1f], rgb);
        // Grey + alpha: a transparent pixel shows the background.
        string ga = dir.Write("ga.png", Png(2, 1, 4, 8, [0, 255, 255, 255, 0]));
        Assert.Equal([1f, 0.25f], ImageFile.Read(ga, 2, 1, background: 0.25f));
        // JPEG through StbImageWriteSharp: a flat mid grey survives compression closely.
        var grey = Enumerable.Repeat((byte)128, 16 * 16 * 3).ToArray();
        using (var f = File.Create(dir.File("g.jpg")))
        {
            new ImageWriter().WriteJpg(grey, 16, 16, ColorComponents.RedGreenBlue, f, 95);
        }
        Assert.Equal(("jpeg", 16, 16), ImageFile.ReadHeader(dir.File("g.jpg")));
        Assert.All(ImageFile.Read(dir.File("g.jpg"), 8, 8), v => Assert.Equal(128 / 255f, v, 2));
    }

    [Fact]
    public void AreaShrinkAndBilinearGrow()
    {
        // A 4×2 checkerboard of 2×2 blocks shrunk to 2×1: each output pixel averages one block.
        float[] source = [0, 0, 1, 1, 0, 0, 1, 1];
        var small = new float[2];
        ImageFile.Resize(source, 4, 2, small, 2, 1);
        Assert.Equal([0f, 1f], small);
        // 3 → 2 columns: output 0 covers source [0, 1.5): (1·a + 0.5·b) / 1.5.
        var two = new float[2];
        ImageFile.Resize([0, 3, 6], 3, 1, two, 2, 1);
        Assert.Equal(1f, two[0], 5);
        Assert.Equal(5f, two[1], 5);
        // Growing 2 → 4 interpolates between pixel centres and clamps at the borders.
        var big = new float[4];
        ImageFile.Resize([0, 1], 2, 1, big, 4, 1);
        Assert.Equal([0f, 0.25f, 0.75f, 1f], big);
    }

    [Fact]
    public void ReadsAtTheRequestedSize()
    {
        using var dir = new TempDir();
        var pixels = new byte[40 * 20 * 3];
        for (int y = 0; y < 20; y++) { for (int x = 0; x < 40; x++) { pixels[(y * 40 + x) * 3] = (byte)(x < 20 ? 0 : 255); } }
        using (var f = File.Create(dir.File("half.png")))
        {
            new ImageWriter().WritePng(pixels, 40, 20, ColorComponents.RedGreenBlue, f);
        }
        var img = ImageFile.Read(dir.File("half.png"), 8, 4, rgb: true);
        Assert.Equal(3 * 8 * 4, img.Length);
        Assert.Equal(0f, img[0]);
        Assert.Equal(1f, img[7]);
        Assert.Equal(0f, img[32 + 7]);
        var grey = ImageFile.Read(dir.File("half.png"), 8, 4);
        Assert.Equal(0.299f, grey[7], 4);
    }
}
