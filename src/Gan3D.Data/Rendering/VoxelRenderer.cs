using System.Numerics;

namespace Gan3D.Data;

/// <summary>Settings for <see cref="VoxelRenderer"/>.</summary>
public sealed record RenderOptions
{
    /// <summary>Image width and height in pixels (default 256).</summary>
    public int Size { get; init; } = 256;

    /// <summary>Camera azimuth in degrees (default −40: front-left; see <see cref="ViewRenderer"/> for the convention).</summary>
    public float Azimuth { get; init; } = -40;

    /// <summary>Camera elevation in degrees (default 30).</summary>
    public float Elevation { get; init; } = 30;

    /// <summary>Surface colour, linear RGB in [0, 1] (default a light clay).</summary>
    public Vector3 Color { get; init; } = new(0.95f, 0.74f, 0.52f);

    /// <summary>Background grey level, 0..255 (default 200).</summary>
    public byte Background { get; init; } = 200;

    /// <summary>Darken silhouettes and depth jumps (default true).</summary>
    public bool Outline { get; init; } = true;

    /// <summary>Rays per pixel along each axis (default 2: 4 rays a pixel, smooth edges).</summary>
    public int Supersample { get; init; } = 2;
}

/// <summary>
/// Renders a voxel grid to a shaded PNG-ready image: an orthographic three-quarter view from above,
/// fitted to the grid's cube, with a light that gives the three visible face directions three
/// different shades, ambient occlusion in creases, a depth cue and dark outlines.
/// </summary>
public static class VoxelRenderer
{
    /// <summary>Renders a binary grid.</summary>
    public static RgbImage Render(VoxelGrid grid, RenderOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(grid);
        return Render(grid.Voxels, grid.Resolution, options ?? new RenderOptions());
    }

    /// <summary>Renders a float field (e.g. G's sigmoid output, R³ values in C order), occupied above <paramref name="threshold"/>.</summary>
    public static RgbImage Render(ReadOnlySpan<float> probabilities, int resolution, float threshold = 0.5f, RenderOptions? options = null) =>
        Render(VoxelGrid.FromProbabilities(probabilities, resolution, threshold), options);

    private static RgbImage Render(ReadOnlySpan<byte> occupancy, int r, RenderOptions o)
    {
        int ss = Math.Clamp(o.Supersample, 1, 4);
        int size = Math.Clamp(o.Size, 8, 4096);
        int w = size * ss;
        var camera = new OrbitCamera(o.Azimuth, o.Elevation, r, w, w, tightFit: true, fill: 0.92f);
        // A key light from above, a little to the left of the camera and on its side of the shape. It
        // turns with the camera, so the three visible face directions (top and two sides) always get
        // three clearly different shades; at the default view it comes from (−0.5, −0.3, 1).
        var towardsCamera = -Vector3.Cross(Vector3.UnitZ, camera.Right);
        var light = Vector3.Normalize(-0.19f * camera.Right + 0.551f * towardsCamera + Vector3.UnitZ);
        var shading = new Shading(o.Color, light, 0.45f, true, 0.25f);
        float bg = o.Background / 255f;
        var rgb = new float[3 * w * w];
        var depth = new float[w * w];
        VoxelRaycaster.Render(occupancy, r, camera, shading, new Vector3(bg), rgb, depth, rgbOutput: true);
        if (o.Outline)
        {
            Outline(rgb, depth, w, 1.5f);
        }
        var image = new RgbImage(size, size);
        int plane = w * w;
        float norm = 255f / (ss * ss);
        for (int y = 0; y < size; y++)
        {
            for (int x = 0; x < size; x++)
            {
                for (int c = 0; c < 3; c++)
                {
                    float sum = 0;
                    for (int dy = 0; dy < ss; dy++)
                    {
                        for (int dx = 0; dx < ss; dx++)
                        {
                            sum += rgb[c * plane + (y * ss + dy) * w + x * ss + dx];
                        }
                    }
                    image.Pixels[(y * size + x) * 3 + c] = (byte)Math.Clamp((int)MathF.Round(sum * norm), 0, 255);
                }
            }
        }
        return image;
    }

    private static readonly (int Dx, int Dy)[] Neighbours = [(1, 0), (-1, 0), (0, 1), (0, -1)];

    /// <summary>Darkens object pixels next to the background or to a jump in depth.</summary>
    private static void Outline(float[] rgb, float[] depth, int w, float jump)
    {
        int plane = w * w;
        var edge = new bool[plane];
        for (int y = 0; y < w; y++)
        {
            for (int x = 0; x < w; x++)
            {
                float d = depth[y * w + x];
                if (float.IsNaN(d))
                {
                    continue;
                }
                bool isEdge = false;
                foreach (var (dx, dy) in Neighbours)
                {
                    int nx = x + dx, ny = y + dy;
                    if (nx < 0 || ny < 0 || nx >= w || ny >= w)
                    {
                        continue;
                    }
                    float nd = depth[ny * w + nx];
                    if (float.IsNaN(nd) || nd - d > jump)
                    {
                        isEdge = true;
                        break;
                    }
                }
                edge[y * w + x] = isEdge;
            }
        }
        for (int n = 0; n < plane; n++)
        {
            if (edge[n])
            {
                rgb[n] *= 0.45f;
                rgb[plane + n] *= 0.45f;
                rgb[2 * plane + n] *= 0.45f;
            }
        }
    }
}
