using System.Numerics;

namespace Gan3D.Data.Shapes;

/// <summary>
/// A solid primitive with an analytic inside test, rasterised by sampling voxel centres. <c>pad</c>
/// is half a voxel in world units: thin dimensions are widened to about one voxel so that legs, rods
/// and walls never fall between voxel centres at low resolution.
/// </summary>
internal abstract class Solid
{
    /// <summary>Cylinder-like radii are widened to 0.72 voxel: every point of a plane is within √½ voxel of a voxel-centre column.</summary>
    protected const float RadiusPad = 1.45f;

    /// <summary>Exact bounds of the solid before widening.</summary>
    public abstract (Vector3 Min, Vector3 Max) Bounds { get; }

    public abstract bool Contains(Vector3 p, float pad);
}

/// <summary>A box with arbitrary orientation (orthonormal axes u, v, w and half sizes).</summary>
internal sealed class Box : Solid
{
    private readonly Vector3 _c, _u, _v, _w, _h;

    public Box(Vector3 center, Vector3 size, Matrix4x4? rotation = null)
    {
        _c = center;
        _h = size * 0.5f;
        var m = rotation ?? Matrix4x4.Identity;
        _u = Vector3.TransformNormal(Vector3.UnitX, m);
        _v = Vector3.TransformNormal(Vector3.UnitY, m);
        _w = Vector3.TransformNormal(Vector3.UnitZ, m);
    }

    /// <summary>The box spanning two corners (axis aligned).</summary>
    public static Box FromCorners(Vector3 a, Vector3 b) => new((a + b) * 0.5f, Vector3.Abs(b - a));

    public override (Vector3 Min, Vector3 Max) Bounds
    {
        get
        {
            var e = Vector3.Abs(_u) * _h.X + Vector3.Abs(_v) * _h.Y + Vector3.Abs(_w) * _h.Z;
            return (_c - e, _c + e);
        }
    }

    public override bool Contains(Vector3 p, float pad)
    {
        var d = p - _c;
        return MathF.Abs(Vector3.Dot(d, _u)) <= MathF.Max(_h.X, pad)
            && MathF.Abs(Vector3.Dot(d, _v)) <= MathF.Max(_h.Y, pad)
            && MathF.Abs(Vector3.Dot(d, _w)) <= MathF.Max(_h.Z, pad);
    }
}

/// <summary>
/// A (truncated) cone from a to b with radii ra at a and rb at b; a cylinder when they are equal.
/// With a wall thickness it is a shell open at both ends (lamp shades).
/// </summary>
internal sealed class Frustum(Vector3 a, Vector3 b, float ra, float rb, float wall = 0) : Solid
{
    private readonly Vector3 _axis = Vector3.Normalize(b - a);
    private readonly float _length = Vector3.Distance(a, b);

    public static Frustum Cylinder(Vector3 a, Vector3 b, float r) => new(a, b, r, r);

    public override (Vector3 Min, Vector3 Max) Bounds
    {
        get
        {
            // A disc of radius r around axis n reaches r·√(1 − n_i²) along axis i.
            var ext = new Vector3(
                MathF.Sqrt(MathF.Max(0, 1 - _axis.X * _axis.X)),
                MathF.Sqrt(MathF.Max(0, 1 - _axis.Y * _axis.Y)),
                MathF.Sqrt(MathF.Max(0, 1 - _axis.Z * _axis.Z)));
            var lo = Vector3.Min(a - ext * ra, b - ext * rb);
            var hi = Vector3.Max(a + ext * ra, b + ext * rb);
            return (lo, hi);
        }
    }

    public override bool Contains(Vector3 p, float pad)
    {
        var mid = (a + b) * 0.5f;
        var d = p - mid;
        float along = Vector3.Dot(d, _axis);
        float half = MathF.Max(_length * 0.5f, pad);
        if (MathF.Abs(along) > half)
        {
            return false;
        }
        float t = Math.Clamp((along + _length * 0.5f) / MathF.Max(_length, 1e-9f), 0, 1);
        float r = MathF.Max(ra + (rb - ra) * t, pad * RadiusPad);
        float radial2 = (d - along * _axis).LengthSquared();
        if (radial2 > r * r)
        {
            return false;
        }
        if (wall <= 0)
        {
            return true;
        }
        float inner = r - MathF.Max(wall, pad * 2.2f);
        return inner <= 0 || radial2 >= inner * inner;
    }
}

/// <summary>A capsule: every point within r of the segment a–b.</summary>
internal sealed class Capsule(Vector3 a, Vector3 b, float r) : Solid
{
    public override (Vector3 Min, Vector3 Max) Bounds => (Vector3.Min(a, b) - new Vector3(r), Vector3.Max(a, b) + new Vector3(r));

    public override bool Contains(Vector3 p, float pad)
    {
        var ab = b - a;
        float t = Math.Clamp(Vector3.Dot(p - a, ab) / MathF.Max(ab.LengthSquared(), 1e-12f), 0, 1);
        float rr = MathF.Max(r, pad * RadiusPad);
        return Vector3.DistanceSquared(p, a + t * ab) <= rr * rr;
    }
}

/// <summary>An axis-aligned ellipsoid.</summary>
internal sealed class Ellipsoid(Vector3 center, Vector3 radii) : Solid
{
    public override (Vector3 Min, Vector3 Max) Bounds => (center - radii, center + radii);

    public override bool Contains(Vector3 p, float pad)
    {
        var r = Vector3.Max(radii, new Vector3(pad * RadiusPad));
        var q = (p - center) / r;
        return q.LengthSquared() <= 1;
    }
}

/// <summary>
/// A surface of revolution about the vertical line through (cx, cy): radius given at evenly spaced
/// heights from z0 to z1 (linear in between). With a wall it is a vessel: hollow above a bottom of the
/// given thickness, open at the top.
/// </summary>
internal sealed class Lathe(float cx, float cy, float z0, float z1, float[] radii, float wall = 0, float bottom = 0) : Solid
{
    public override (Vector3 Min, Vector3 Max) Bounds
    {
        get
        {
            float r = radii.Max();
            return (new Vector3(cx - r, cy - r, z0), new Vector3(cx + r, cy + r, z1));
        }
    }

    public float RadiusAt(float z)
    {
        float s = Math.Clamp((z - z0) / (z1 - z0), 0, 1) * (radii.Length - 1);
        int i = Math.Min((int)s, radii.Length - 2);
        float f = s - i;
        return radii[i] * (1 - f) + radii[i + 1] * f;
    }

    public override bool Contains(Vector3 p, float pad)
    {
        if (p.Z < z0 - pad || p.Z > z1 + pad)
        {
            return false;
        }
        float r = MathF.Max(RadiusAt(p.Z), pad * RadiusPad);
        float dx = p.X - cx, dy = p.Y - cy;
        float d2 = dx * dx + dy * dy;
        if (d2 > r * r)
        {
            return false;
        }
        if (wall <= 0 || p.Z < z0 + MathF.Max(bottom, pad * 2.2f))
        {
            return true;
        }
        float inner = r - MathF.Max(wall, pad * 2.2f);
        return inner <= 0 || d2 >= inner * inner;
    }
}

/// <summary>A torus around <paramref name="normal"/> (unit), optionally only the half where (p − c)·keep ≥ 0.</summary>
internal sealed class Torus(Vector3 center, Vector3 normal, float major, float minor, Vector3? keep = null) : Solid
{
    public override (Vector3 Min, Vector3 Max) Bounds
    {
        get
        {
            var ext = new Vector3(
                major * MathF.Sqrt(MathF.Max(0, 1 - normal.X * normal.X)),
                major * MathF.Sqrt(MathF.Max(0, 1 - normal.Y * normal.Y)),
                major * MathF.Sqrt(MathF.Max(0, 1 - normal.Z * normal.Z))) + new Vector3(minor);
            var lo = center - ext;
            var hi = center + ext;
            if (keep is { } k)
            {
                // Only axis-aligned half-spaces trim the bounds (enough for handles).
                if (k.X > 0) { lo.X = MathF.Max(lo.X, center.X - minor); }
                if (k.X < 0) { hi.X = MathF.Min(hi.X, center.X + minor); }
                if (k.Y > 0) { lo.Y = MathF.Max(lo.Y, center.Y - minor); }
                if (k.Y < 0) { hi.Y = MathF.Min(hi.Y, center.Y + minor); }
            }
            return (lo, hi);
        }
    }

    public override bool Contains(Vector3 p, float pad)
    {
        var d = p - center;
        if (keep is { } k && Vector3.Dot(d, k) < 0)
        {
            return false;
        }
        float h = Vector3.Dot(d, normal);
        float rho = (d - h * normal).Length();
        float r = MathF.Max(minor, pad * RadiusPad);
        float q = rho - major;
        return q * q + h * h <= r * r;
    }
}

/// <summary>
/// A convex polygon extruded along one axis (0 x, 1 y, 2 z) from lo to hi. The polygon's points
/// are in the two other axes in increasing order: (y, z) for x, (x, z) for y, (x, y) for z.
/// </summary>
internal sealed class Prism : Solid
{
    private readonly int _axis, _p, _q;
    private readonly Vector2[] _points;
    private readonly float _lo, _hi;

    public Prism(int axis, Vector2[] points, float lo, float hi)
    {
        _axis = axis;
        (_p, _q) = axis switch { 0 => (1, 2), 1 => (0, 2), _ => (0, 1) };
        _lo = MathF.Min(lo, hi);
        _hi = MathF.Max(lo, hi);
        float area = 0;
        for (int i = 0; i < points.Length; i++)
        {
            var a = points[i];
            var b = points[(i + 1) % points.Length];
            area += a.X * b.Y - a.Y * b.X;
        }
        _points = area >= 0 ? points : points.Reverse().ToArray();
    }

    public override (Vector3 Min, Vector3 Max) Bounds
    {
        get
        {
            var lo = new Vector3();
            var hi = new Vector3();
            lo[_axis] = _lo;
            hi[_axis] = _hi;
            lo[_p] = _points.Min(v => v.X);
            hi[_p] = _points.Max(v => v.X);
            lo[_q] = _points.Min(v => v.Y);
            hi[_q] = _points.Max(v => v.Y);
            return (lo, hi);
        }
    }

    public override bool Contains(Vector3 p, float pad)
    {
        float mid = (_lo + _hi) * 0.5f;
        if (MathF.Abs(p[_axis] - mid) > MathF.Max((_hi - _lo) * 0.5f, pad))
        {
            return false;
        }
        var x = new Vector2(p[_p], p[_q]);
        for (int i = 0; i < _points.Length; i++)
        {
            var a = _points[i];
            var e = _points[(i + 1) % _points.Length] - a;
            var d = x - a;
            float cross = e.X * d.Y - e.Y * d.X;
            // Inside, or within pad of the edge line (keeps thin fins a voxel wide).
            if (cross < 0 && cross * cross > pad * pad * e.LengthSquared())
            {
                return false;
            }
        }
        return true;
    }
}

/// <summary>Points inside both solids (bounds: the overlap of both bounds).</summary>
internal sealed class Intersection(Solid a, Solid b) : Solid
{
    public override (Vector3 Min, Vector3 Max) Bounds
    {
        get
        {
            var (a0, a1) = a.Bounds;
            var (b0, b1) = b.Bounds;
            return (Vector3.Max(a0, b0), Vector3.Min(a1, b1));
        }
    }

    public override bool Contains(Vector3 p, float pad) => a.Contains(p, pad) && b.Contains(p, 0);
}
