using System.Numerics;
using System.Runtime.CompilerServices;

namespace Gan3D.Data;

/// <summary>
/// An orthographic camera on a sphere around the grid's centre. Azimuth 0 looks from the front (−y)
/// towards +y; positive azimuth moves the camera counter-clockwise seen from above (towards +x, the
/// shape's right); positive elevation raises it. World units are voxels, the grid spans [0, R]³.
/// </summary>
internal readonly struct OrbitCamera
{
    public readonly Vector3 Forward, Right, Up, Target;
    public readonly float PixelsPerUnit;
    public readonly int Width, Height;

    public OrbitCamera(double azimuthDegrees, double elevationDegrees, int resolution, int width, int height, bool tightFit, float fill)
    {
        // Reduce first, in double, so that azimuth + 360 gives bit-identical images.
        double az = azimuthDegrees % 360.0;
        if (az < 0)
        {
            az += 360.0;
        }
        double el = Math.Clamp(elevationDegrees, -89.9, 89.9);
        double a = az * Math.PI / 180.0, e = el * Math.PI / 180.0;
        var toCamera = new Vector3((float)(Math.Sin(a) * Math.Cos(e)), (float)(-Math.Cos(a) * Math.Cos(e)), (float)Math.Sin(e));
        Forward = -toCamera;
        Right = new Vector3((float)Math.Cos(a), (float)Math.Sin(a), 0);
        Up = Vector3.Cross(Right, Forward);
        Target = new Vector3(resolution * 0.5f);
        Width = width;
        Height = height;
        if (tightFit)
        {
            // Fit the projected cube: its half extents along Right and Up.
            float halfU = 0, halfV = 0;
            for (int c = 0; c < 8; c++)
            {
                var corner = new Vector3((c & 1) == 0 ? -1 : 1, (c & 2) == 0 ? -1 : 1, (c & 4) == 0 ? -1 : 1) * (resolution * 0.5f);
                halfU = MathF.Max(halfU, MathF.Abs(Vector3.Dot(corner, Right)));
                halfV = MathF.Max(halfV, MathF.Abs(Vector3.Dot(corner, Up)));
            }
            PixelsPerUnit = MathF.Min(width / (2 * halfU), height / (2 * halfV)) * fill;
        }
        else
        {
            // Fit the cube's bounding sphere: the same scale at every viewpoint.
            PixelsPerUnit = MathF.Min(width, height) / (resolution * MathF.Sqrt(3)) * fill;
        }
    }

    /// <summary>Origin of the ray through pixel centre (px, py), well in front of the grid.</summary>
    public Vector3 RayOrigin(float px, float py, int resolution) =>
        Target + (px - Width * 0.5f) / PixelsPerUnit * Right - (py - Height * 0.5f) / PixelsPerUnit * Up - Forward * (resolution * 2f);
}

/// <summary>Lighting and colour for <see cref="VoxelRaycaster"/>.</summary>
internal readonly record struct Shading(Vector3 Color, Vector3 Light, float Ambient, bool AmbientOcclusion, float DepthCue);

/// <summary>
/// Ray casting through an occupancy grid (Amanatides–Woo stepping), flat shading per voxel face with
/// Minecraft-style ambient occlusion from the voxels around each face corner, and a depth cue.
/// </summary>
internal static class VoxelRaycaster
{
    /// <summary>
    /// Renders into planar RGB (3 × H × W) floats; background pixels get <paramref name="background"/>.
    /// <paramref name="depth"/> (H × W, optional) receives the hit distance or NaN.
    /// </summary>
    public static void Render(ReadOnlySpan<byte> occupancy, int r, in OrbitCamera camera, in Shading shading, Vector3 background,
        Span<float> rgb, Span<float> depth, bool rgbOutput)
    {
        int w = camera.Width, h = camera.Height, plane = w * h;
        float near = r * 2f - r * 0.8660254f;
        float range = r * 1.7320508f;
        for (int py = 0; py < h; py++)
        {
            for (int px = 0; px < w; px++)
            {
                int at = py * w + px;
                var origin = camera.RayOrigin(px + 0.5f, py + 0.5f, r);
                Vector3 color;
                if (Trace(occupancy, r, origin, camera.Forward, out var hit))
                {
                    color = Shade(occupancy, r, origin, camera.Forward, hit, shading);
                    float cue = 1 - shading.DepthCue * Math.Clamp((hit.T - near) / range, 0, 1);
                    color *= cue;
                    if (!depth.IsEmpty)
                    {
                        depth[at] = hit.T;
                    }
                }
                else
                {
                    color = background;
                    if (!depth.IsEmpty)
                    {
                        depth[at] = float.NaN;
                    }
                }
                if (rgbOutput)
                {
                    rgb[at] = color.X;
                    rgb[plane + at] = color.Y;
                    rgb[2 * plane + at] = color.Z;
                }
                else
                {
                    rgb[at] = 0.299f * color.X + 0.587f * color.Y + 0.114f * color.Z;
                }
            }
        }
    }

    internal struct Hit
    {
        public float T;
        public int I, J, K;
        public int Axis;
        public int Normal; // −1 or +1 along Axis
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static bool Trace(ReadOnlySpan<byte> occ, int r, Vector3 o, Vector3 d, out Hit hit)
    {
        hit = default;
        float tmin = float.NegativeInfinity, tmax = float.PositiveInfinity;
        int enter = 0;
        for (int a = 0; a < 3; a++)
        {
            float oa = o[a], da = d[a];
            if (MathF.Abs(da) < 1e-12f)
            {
                if (oa < 0 || oa > r)
                {
                    return false;
                }
                continue;
            }
            float t1 = -oa / da, t2 = (r - oa) / da;
            if (t1 > t2)
            {
                (t1, t2) = (t2, t1);
            }
            if (t1 > tmin)
            {
                tmin = t1;
                enter = a;
            }
            tmax = MathF.Min(tmax, t2);
        }
        if (tmax < tmin || tmax < 0)
        {
            return false;
        }
        float t = MathF.Max(tmin, 0);
        var p = o + d * t;
        int i = Math.Clamp((int)MathF.Floor(p.X), 0, r - 1);
        int j = Math.Clamp((int)MathF.Floor(p.Y), 0, r - 1);
        int k = Math.Clamp((int)MathF.Floor(p.Z), 0, r - 1);
        int si = d.X > 0 ? 1 : -1, sj = d.Y > 0 ? 1 : -1, sk = d.Z > 0 ? 1 : -1;
        float ni = Next(o.X, d.X, i), nj = Next(o.Y, d.Y, j), nk = Next(o.Z, d.Z, k);
        float di = d.X == 0 ? float.PositiveInfinity : MathF.Abs(1 / d.X);
        float dj = d.Y == 0 ? float.PositiveInfinity : MathF.Abs(1 / d.Y);
        float dk = d.Z == 0 ? float.PositiveInfinity : MathF.Abs(1 / d.Z);
        int axis = enter;
        int rr = r * r;
        while (true)
        {
            if (occ[i * rr + j * r + k] != 0)
            {
                hit.T = t;
                hit.I = i;
                hit.J = j;
                hit.K = k;
                hit.Axis = axis;
                hit.Normal = -(axis == 0 ? si : axis == 1 ? sj : sk);
                return true;
            }
            if (ni <= nj && ni <= nk)
            {
                t = ni;
                i += si;
                ni += di;
                axis = 0;
                if ((uint)i >= (uint)r)
                {
                    return false;
                }
            }
            else if (nj <= nk)
            {
                t = nj;
                j += sj;
                nj += dj;
                axis = 1;
                if ((uint)j >= (uint)r)
                {
                    return false;
                }
            }
            else
            {
                t = nk;
                k += sk;
                nk += dk;
                axis = 2;
                if ((uint)k >= (uint)r)
                {
                    return false;
                }
            }
        }
    }

    private static float Next(float o, float d, int cell)
    {
        if (d > 0)
        {
            return (cell + 1 - o) / d;
        }
        if (d < 0)
        {
            return (cell - o) / d;
        }
        return float.PositiveInfinity;
    }

    private static Vector3 Shade(ReadOnlySpan<byte> occ, int r, Vector3 o, Vector3 d, in Hit hit, in Shading s)
    {
        var n = Vector3.Zero;
        n[hit.Axis] = hit.Normal;
        float light = s.Ambient + (1 - s.Ambient) * MathF.Max(0, Vector3.Dot(n, s.Light));
        if (s.AmbientOcclusion)
        {
            light *= 0.5f + 0.5f * Occlusion(occ, r, o + d * hit.T, hit);
        }
        return s.Color * light;
    }

    /// <summary>
    /// 1 for an open face, down to 0 in corners: per face corner, the two side neighbours and the
    /// diagonal one in the layer in front of the face, interpolated at the hit point.
    /// </summary>
    private static float Occlusion(ReadOnlySpan<byte> occ, int r, Vector3 p, in Hit hit)
    {
        int a = hit.Axis, ua = (a + 1) % 3, va = (a + 2) % 3;
        Span<int> c = [hit.I, hit.J, hit.K];
        float fu = Math.Clamp(p[ua] - c[ua], 0, 1), fv = Math.Clamp(p[va] - c[va], 0, 1);
        c[a] += hit.Normal;
        float total = 0;
        for (int su = -1; su <= 1; su += 2)
        {
            for (int sv = -1; sv <= 1; sv += 2)
            {
                int s1 = At(occ, r, c, ua, su, va, 0);
                int s2 = At(occ, r, c, ua, 0, va, sv);
                int corner = At(occ, r, c, ua, su, va, sv);
                int ao = s1 == 1 && s2 == 1 ? 0 : 3 - (s1 + s2 + corner);
                float weight = (su < 0 ? 1 - fu : fu) * (sv < 0 ? 1 - fv : fv);
                total += weight * ao;
            }
        }
        return total / 3;
    }

    private static int At(ReadOnlySpan<byte> occ, int r, ReadOnlySpan<int> c, int ua, int du, int va, int dv)
    {
        Span<int> q = [c[0], c[1], c[2]];
        q[ua] += du;
        q[va] += dv;
        if ((uint)q[0] >= (uint)r || (uint)q[1] >= (uint)r || (uint)q[2] >= (uint)r)
        {
            return 0;
        }
        return occ[(q[0] * r + q[1]) * r + q[2]] != 0 ? 1 : 0;
    }
}
