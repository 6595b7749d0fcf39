using System.Buffers.Binary;

namespace Gan3D.Data;

/// <summary>
/// Reads PNG and JPEG images (8- or 16-bit, grey, grey+alpha, RGB, RGBA, palette) as floats in
/// [0, 1] at a requested size, for the image encoder. The header is read first, by this class, and
/// files that are empty, not PNG/JPEG, or that declare more than <see cref="MaxSide"/> pixels a side
/// or <see cref="MaxPixels"/> pixels are refused before anything is decoded.
/// <para>Output layout as <see cref="ViewRenderer"/>: grey (H, W), RGB planar (3, H, W), row 0 at the
/// top. Transparent pixels are composited over the background grey (default 0.5, the renderer's).
/// Resizing stretches to the requested size with area averaging when shrinking and bilinear
/// interpolation when enlarging (each axis on its own).</para>
/// </summary>
public static class ImageFile
{
    public const int MaxSide = 16384;
    public const long MaxPixels = 64L * 1024 * 1024;

    /// <summary>Format and size from the header alone ("png" or "jpeg").</summary>
    public static (string Format, int Width, int Height) ReadHeader(string path)
    {
        byte[] head = ReadHead(path, 1 << 20);
        return ParseHeader(head, path);
    }

    /// <summary>Reads an image and resizes it to <paramref name="width"/>×<paramref name="height"/>.</summary>
    /// <param name="path">A PNG or JPEG file.</param>
    /// <param name="width">Output width.</param>
    /// <param name="height">Output height.</param>
    /// <param name="rgb">Planar RGB (3, H, W) instead of grey (H, W).</param>
    /// <param name="background">Grey that transparent pixels are composited over.</param>
    public static float[] Read(string path, int width, int height, bool rgb = false, float background = 0.5f)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 1);
        // Read the bytes (not decode them) and check the declared size before the decoder sees them.
        byte[] bytes = DataFile.ReadAllBytes(path);
        ParseHeader(bytes, path);
        StbImageSharp.ImageResult image;
        try
        {
            image = StbImageSharp.ImageResult.FromMemory(bytes, StbImageSharp.ColorComponents.RedGreenBlueAlpha);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // The decoder is a third-party port of stb_image: whatever it throws on a broken file means
            // "bad file". Some of its messages are unprintable (a truncated PNG gives a run of NUL characters).
            string why = new string(ex.Message.Where(c => !char.IsControl(c)).ToArray()).Trim().TrimEnd('.');
            throw DataFile.Error(path, why.Length > 0 ? $"cannot decode the image ({why})" : "cannot decode the image (truncated or corrupt data)");
        }
        if (image?.Data is null || image.Width < 1 || image.Height < 1)
        {
            throw DataFile.Error(path, "cannot decode the image");
        }
        int sw = image.Width, sh = image.Height, sp = sw * sh;
        int channels = rgb ? 3 : 1;
        var source = new float[channels * sp];
        var data = image.Data;
        for (int n = 0; n < sp; n++)
        {
            float a = data[n * 4 + 3] / 255f;
            float r = data[n * 4] / 255f * a + background * (1 - a);
            float g = data[n * 4 + 1] / 255f * a + background * (1 - a);
            float b = data[n * 4 + 2] / 255f * a + background * (1 - a);
            if (rgb)
            {
                source[n] = r;
                source[sp + n] = g;
                source[2 * sp + n] = b;
            }
            else
            {
                source[n] = 0.299f * r + 0.587f * g + 0.114f * b;
            }
        }
        var result = new float[channels * width * height];
        for (int c = 0; c < channels; c++)
        {
            Resize(source.AsSpan(c * sp, sp), sw, sh, result.AsSpan(c * width * height, width * height), width, height);
        }
        return result;
    }

    /// <summary>Resizes one channel (H×W, C order): area average when shrinking, bilinear when enlarging.</summary>
    public static void Resize(ReadOnlySpan<float> source, int sw, int sh, Span<float> destination, int dw, int dh)
    {
        var xs = Weights(sw, dw);
        var ys = Weights(sh, dh);
        var rows = new float[sh * dw];
        for (int y = 0; y < sh; y++)
        {
            for (int x = 0; x < dw; x++)
            {
                float sum = 0;
                foreach (var (index, weight) in xs[x])
                {
                    sum += source[y * sw + index] * weight;
                }
                rows[y * dw + x] = sum;
            }
        }
        for (int y = 0; y < dh; y++)
        {
            for (int x = 0; x < dw; x++)
            {
                float sum = 0;
                foreach (var (index, weight) in ys[y])
                {
                    sum += rows[index * dw + x] * weight;
                }
                destination[y * dw + x] = sum;
            }
        }
    }

    /// <summary>Per output position, the source positions and weights that make it.</summary>
    private static (int Index, float Weight)[][] Weights(int from, int to)
    {
        var result = new (int, float)[to][];
        double f = (double)from / to;
        for (int o = 0; o < to; o++)
        {
            if (from > to)
            {
                // Area: the output pixel covers [o·f, (o+1)·f) of the source.
                double a = o * f, b = (o + 1) * f;
                var taps = new List<(int, float)>();
                for (int s = (int)Math.Floor(a); s < Math.Min(from, (int)Math.Ceiling(b)); s++)
                {
                    double overlap = Math.Min(b, s + 1) - Math.Max(a, s);
                    if (overlap > 0)
                    {
                        taps.Add((s, (float)(overlap / f)));
                    }
                }
                result[o] = taps.ToArray();
            }
            else
            {
                // Bilinear between the two nearest source centres.
                double x = Math.Clamp((o + 0.5) * f - 0.5, 0, from - 1);
                int s0 = (int)Math.Floor(x);
                int s1 = Math.Min(s0 + 1, from - 1);
                float t = (float)(x - s0);
                result[o] = s0 == s1 ? [(s0, 1f)] : [(s0, 1 - t), (s1, t)];
            }
        }
        return result;
    }

    private static byte[] ReadHead(string path, int max)
    {
        using var file = DataFile.OpenRead(path, 4096);
        if (file.Length == 0)
        {
            throw DataFile.Error(path, "file is empty");
        }
        var head = new byte[(int)Math.Min(max, file.Length)];
        file.ReadExactly(head);
        return head;
    }

    private static (string Format, int Width, int Height) ParseHeader(byte[] head, string path)
    {
        ReadOnlySpan<byte> png = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];
        string format;
        long w, h;
        if (head.AsSpan().StartsWith(png))
        {
            // Signature, then the IHDR chunk: length, "IHDR", width, height (big endian).
            if (head.Length < 24 || !head.AsSpan(12, 4).SequenceEqual("IHDR"u8))
            {
                throw DataFile.Error(path, "truncated or corrupt PNG (no IHDR header)");
            }
            format = "png";
            w = BinaryPrimitives.ReadUInt32BigEndian(head.AsSpan(16, 4));
            h = BinaryPrimitives.ReadUInt32BigEndian(head.AsSpan(20, 4));
        }
        else if (head.Length >= 3 && head[0] == 0xFF && head[1] == 0xD8 && head[2] == 0xFF)
        {
            format = "jpeg";
            (w, h) = JpegSize(head, path);
        }
        else
        {
            throw DataFile.Error(path, "not a PNG or JPEG image");
        }
        if (w < 1 || h < 1)
        {
            throw DataFile.Error(path, $"{format.ToUpperInvariant()} header declares an empty {w}×{h} image");
        }
        if (w > MaxSide || h > MaxSide || w * h > MaxPixels)
        {
            throw DataFile.Error(path, $"{format.ToUpperInvariant()} header declares {w}×{h} pixels, above the limit of {MaxSide} a side and {MaxPixels} in all");
        }
        return (format, (int)w, (int)h);
    }

    /// <summary>Walks the JPEG markers to the first start-of-frame (SOF0..SOF15 but DHT, JPG, DAC).</summary>
    private static (long W, long H) JpegSize(byte[] head, string path)
    {
        int at = 2;
        while (at + 4 <= head.Length)
        {
            if (head[at] != 0xFF)
            {
                throw DataFile.Error(path, "corrupt JPEG (bad marker)");
            }
            byte marker = head[at + 1];
            if (marker == 0xFF)
            {
                at++;
                continue;
            }
            if (marker is 0xD8 or 0x01 || marker is >= 0xD0 and <= 0xD7)
            {
                at += 2;
                continue;
            }
            if (marker is 0xD9 or 0xDA)
            {
                break;
            }
            int length = BinaryPrimitives.ReadUInt16BigEndian(head.AsSpan(at + 2, 2));
            if (length < 2)
            {
                throw DataFile.Error(path, "corrupt JPEG (bad segment length)");
            }
            if (marker is >= 0xC0 and <= 0xCF and not 0xC4 and not 0xC8 and not 0xCC)
            {
                if (at + 9 > head.Length)
                {
                    break;
                }
                return (BinaryPrimitives.ReadUInt16BigEndian(head.AsSpan(at + 7, 2)), BinaryPrimitives.ReadUInt16BigEndian(head.AsSpan(at + 5, 2)));
            }
            at += 2 + length;
        }
        throw DataFile.Error(path, "truncated or corrupt JPEG (no frame header)");
    }
}
