namespace Gan3D.Data;

/// <summary>An 8-bit RGB image: <see cref="Pixels"/> holds R, G, B per pixel, rows from the top, H×W×3 in C order.</summary>
public sealed class RgbImage
{
    public RgbImage(int width, int height)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 1);
        Width = width;
        Height = height;
        Pixels = new byte[checked(width * height * 3)];
    }

    public int Width { get; }
    public int Height { get; }

    /// <summary>R, G, B bytes of pixel (x, y) at (y·W + x)·3.</summary>
    public byte[] Pixels { get; }

    public (byte R, byte G, byte B) this[int x, int y]
    {
        get
        {
            int at = (y * Width + x) * 3;
            return (Pixels[at], Pixels[at + 1], Pixels[at + 2]);
        }
        set
        {
            int at = (y * Width + x) * 3;
            Pixels[at] = value.R;
            Pixels[at + 1] = value.G;
            Pixels[at + 2] = value.B;
        }
    }

    /// <summary>Fills the whole image with one colour.</summary>
    public void Fill(byte r, byte g, byte b)
    {
        for (int at = 0; at < Pixels.Length; at += 3)
        {
            Pixels[at] = r;
            Pixels[at + 1] = g;
            Pixels[at + 2] = b;
        }
    }

    /// <summary>Copies <paramref name="source"/> into this image with its top-left corner at (x, y), clipped.</summary>
    public void Blit(RgbImage source, int x, int y)
    {
        ArgumentNullException.ThrowIfNull(source);
        for (int sy = 0; sy < source.Height; sy++)
        {
            int ty = y + sy;
            if (ty < 0 || ty >= Height)
            {
                continue;
            }
            int sx0 = Math.Max(0, -x), sx1 = Math.Min(source.Width, Width - x);
            if (sx1 <= sx0)
            {
                continue;
            }
            source.Pixels.AsSpan((sy * source.Width + sx0) * 3, (sx1 - sx0) * 3)
                .CopyTo(Pixels.AsSpan((ty * Width + x + sx0) * 3));
        }
    }

    /// <summary>Writes a PNG (8-bit RGB), atomically.</summary>
    public void SavePng(string path)
    {
        AtomicFile.Write(path, stream =>
            new StbImageWriteSharp.ImageWriter().WritePng(Pixels, Width, Height, StbImageWriteSharp.ColorComponents.RedGreenBlue, stream));
    }

    /// <summary>The PNG file's bytes (8-bit RGB), for embedding.</summary>
    public byte[] EncodePng()
    {
        using var stream = new MemoryStream();
        new StbImageWriteSharp.ImageWriter().WritePng(Pixels, Width, Height, StbImageWriteSharp.ColorComponents.RedGreenBlue, stream);
        return stream.ToArray();
    }

    /// <summary>An image from floats in [0, 1]: grey H×W, or RGB planar 3×H×W (as the view renderer makes them).</summary>
    public static RgbImage FromFloats(ReadOnlySpan<float> values, int width, int height, bool rgb)
    {
        var image = new RgbImage(width, height);
        int plane = width * height;
        if (values.Length < (rgb ? 3 : 1) * plane)
        {
            throw new ArgumentException("too few values for the image size", nameof(values));
        }
        for (int n = 0; n < plane; n++)
        {
            for (int c = 0; c < 3; c++)
            {
                float v = rgb ? values[c * plane + n] : values[n];
                image.Pixels[n * 3 + c] = (byte)Math.Clamp((int)MathF.Round(v * 255), 0, 255);
            }
        }
        return image;
    }
}
