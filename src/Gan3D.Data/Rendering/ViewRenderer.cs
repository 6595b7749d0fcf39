using System.Numerics;

namespace Gan3D.Data;

/// <summary>Settings for <see cref="ViewRenderer"/>.</summary>
public sealed record ViewOptions
{
    /// <summary>Degrees. 0 looks at the shape's front (camera on −y); 90 puts the camera on +x. Taken modulo 360.</summary>
    public float Azimuth { get; init; }

    /// <summary>Degrees above the horizontal plane (default 20), clamped to ±89.9.</summary>
    public float Elevation { get; init; } = 20;

    public int Width { get; init; } = 64;
    public int Height { get; init; } = 64;

    /// <summary>RGB planar 3×H×W output instead of grey H×W.</summary>
    public bool Rgb { get; init; }

    /// <summary>Background level in [0, 1] (default 0.5, mid grey), the same in every channel.</summary>
    public float Background { get; init; } = 0.5f;

    /// <summary>Surface colour, linear RGB in [0, 1] (default a light clay).</summary>
    public Vector3 Color { get; init; } = new(0.95f, 0.74f, 0.52f);

    /// <summary>Ambient occlusion in creases (default true).</summary>
    public bool AmbientOcclusion { get; init; } = true;

    /// <summary>Rays per pixel along each axis (default 1; 2 smooths edges at 4× the cost).</summary>
    public int Supersample { get; init; } = 1;

    /// <summary>Floats the image needs: W·H grey, 3·W·H RGB.</summary>
    public int OutputLength => (Rgb ? 3 : 1) * Width * Height;
}

/// <summary>
/// Renders a grid as a camera would see it from a viewpoint, for (image, shape) training pairs.
/// Orthographic, scaled so the grid's bounding sphere fills the image at every viewpoint (the
/// shape's size on screen does not change with the view), lit from above-left of the camera, on a
/// flat grey background. Deterministic: the same grid and options give bit-identical images, and
/// azimuth + 360 gives the same image as azimuth.
/// <para>Output: floats in [0, 1], C order. Grey: (H, W), row 0 at the top. RGB: planar (3, H, W).</para>
/// </summary>
public static class ViewRenderer
{
    /// <summary>Renders a binary grid into a new array.</summary>
    public static float[] Render(VoxelGrid grid, ViewOptions options)
    {
        ArgumentNullException.ThrowIfNull(grid);
        ArgumentNullException.ThrowIfNull(options);
        var result = new float[options.OutputLength];
        Render(grid.Voxels, grid.Resolution, options, result);
        return result;
    }

    /// <summary>Renders a float field (R³, C order) thresholded at <paramref name="threshold"/> into a new array.</summary>
    public static float[] Render(ReadOnlySpan<float> probabilities, int resolution, float threshold, ViewOptions options) =>
        Render(VoxelGrid.FromProbabilities(probabilities, resolution, threshold), options);

    /// <summary>
    /// Renders R³ occupancy bytes (C order) into <paramref name="destination"/>
    /// (<see cref="ViewOptions.OutputLength"/> floats). Allocates nothing when Supersample is 1.
    /// </summary>
    public static void Render(ReadOnlySpan<byte> occupancy, int resolution, ViewOptions options, Span<float> destination)
    {
        ArgumentNullException.ThrowIfNull(options);
        VoxelGrid.CheckResolution(resolution);
        if (occupancy.Length != resolution * resolution * resolution)
        {
            throw new ArgumentException($"expected {resolution}³ occupancy bytes, got {occupancy.Length}", nameof(occupancy));
        }
        if (options.Width < 1 || options.Height < 1)
        {
            throw new ArgumentException("image size must be at least 1×1", nameof(options));
        }
        if (destination.Length < options.OutputLength)
        {
            throw new ArgumentException($"destination holds {destination.Length} floats, the image needs {options.OutputLength}", nameof(destination));
        }
        int ss = Math.Clamp(options.Supersample, 1, 4);
        int w = options.Width * ss, h = options.Height * ss;
        var camera = new OrbitCamera(options.Azimuth, options.Elevation, resolution, w, h, tightFit: false, fill: 0.98f);
        var light = Vector3.Normalize(-0.45f * camera.Right + 0.8f * camera.Up - 0.5f * camera.Forward);
        var shading = new Shading(options.Color, light, 0.3f, options.AmbientOcclusion, 0.15f);
        var background = new Vector3(options.Background);
        if (ss == 1)
        {
            VoxelRaycaster.Render(occupancy, resolution, camera, shading, background, destination, default, options.Rgb);
            return;
        }
        int channels = options.Rgb ? 3 : 1;
        var big = new float[channels * w * h];
        VoxelRaycaster.Render(occupancy, resolution, camera, shading, background, big, default, options.Rgb);
        int bigPlane = w * h, plane = options.Width * options.Height;
        float norm = 1f / (ss * ss);
        for (int c = 0; c < channels; c++)
        {
            for (int y = 0; y < options.Height; y++)
            {
                for (int x = 0; x < options.Width; x++)
                {
                    float sum = 0;
                    for (int dy = 0; dy < ss; dy++)
                    {
                        for (int dx = 0; dx < ss; dx++)
                        {
                            sum += big[c * bigPlane + (y * ss + dy) * w + x * ss + dx];
                        }
                    }
                    destination[c * plane + y * options.Width + x] = sum * norm;
                }
            }
        }
    }
}
