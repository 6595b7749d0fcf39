using System.Numerics;
using System.Runtime.CompilerServices;

namespace Gan3D.Data;

/// <summary>
/// Exact triangle / axis-aligned box overlap by the separating axis theorem: a triangle and a box
/// are disjoint exactly when one of 13 axes separates their projections — the 3 box normals, the
/// triangle's normal, and the 9 cross products of a triangle edge with a box axis. Touching counts
/// as overlapping, so the surface fill it drives is conservative.
/// </summary>
internal static class TriangleBoxOverlap
{
    /// <summary>Does the triangle (a, b, c) overlap the box centred at <paramref name="center"/> with half size <paramref name="half"/>?</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool Overlaps(Vector3 center, float half, Vector3 a, Vector3 b, Vector3 c)
    {
        var v0 = a - center;
        var v1 = b - center;
        var v2 = c - center;
        // Box normals: the triangle's bounding box against the box.
        var min = Vector3.Min(v0, Vector3.Min(v1, v2));
        var max = Vector3.Max(v0, Vector3.Max(v1, v2));
        if (min.X > half || min.Y > half || min.Z > half || max.X < -half || max.Y < -half || max.Z < -half)
        {
            return false;
        }
        var e0 = v1 - v0;
        var e1 = v2 - v1;
        var e2 = v0 - v2;
        if (Separated(e0, v0, v1, v2, half) || Separated(e1, v0, v1, v2, half) || Separated(e2, v0, v1, v2, half))
        {
            return false;
        }
        // Triangle normal: the box's extent along n against the plane's offset.
        var n = Vector3.Cross(e0, e1);
        float d = Vector3.Dot(n, v0);
        float r = half * (MathF.Abs(n.X) + MathF.Abs(n.Y) + MathF.Abs(n.Z));
        return MathF.Abs(d) <= r;
    }

    /// <summary>Tests the three axes (unit axis × edge) for one triangle edge.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool Separated(Vector3 e, Vector3 v0, Vector3 v1, Vector3 v2, float half)
    {
        // x × e = (0, −e.z, e.y)
        float p0 = -e.Z * v0.Y + e.Y * v0.Z, p1 = -e.Z * v1.Y + e.Y * v1.Z, p2 = -e.Z * v2.Y + e.Y * v2.Z;
        float r = half * (MathF.Abs(e.Z) + MathF.Abs(e.Y));
        if (MathF.Min(p0, MathF.Min(p1, p2)) > r || MathF.Max(p0, MathF.Max(p1, p2)) < -r)
        {
            return true;
        }
        // y × e = (e.z, 0, −e.x)
        p0 = e.Z * v0.X - e.X * v0.Z; p1 = e.Z * v1.X - e.X * v1.Z; p2 = e.Z * v2.X - e.X * v2.Z;
        r = half * (MathF.Abs(e.Z) + MathF.Abs(e.X));
        if (MathF.Min(p0, MathF.Min(p1, p2)) > r || MathF.Max(p0, MathF.Max(p1, p2)) < -r)
        {
            return true;
        }
        // z × e = (−e.y, e.x, 0)
        p0 = -e.Y * v0.X + e.X * v0.Y; p1 = -e.Y * v1.X + e.X * v1.Y; p2 = -e.Y * v2.X + e.X * v2.Y;
        r = half * (MathF.Abs(e.Y) + MathF.Abs(e.X));
        return MathF.Min(p0, MathF.Min(p1, p2)) > r || MathF.Max(p0, MathF.Max(p1, p2)) < -r;
    }
}
