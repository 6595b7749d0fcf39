using System.Numerics;

namespace Gan3D.Data;

/// <summary>
/// Growing vertex and triangle lists for the readers. Polygons are triangulated by ear clipping in
/// their best-fit plane (so concave polygons come out right), with a fan as the fallback for
/// degenerate or very large polygons.
/// </summary>
internal sealed class MeshBuilder
{
    private const int MaxEarClippingVertices = 512;

    private float[] _positions;
    private int[] _triangles;
    private int _positionCount;
    private int _triangleCount;

    public MeshBuilder(int vertexCapacity = 256, int triangleCapacity = 256)
    {
        _positions = new float[Math.Max(3, vertexCapacity * 3)];
        _triangles = new int[Math.Max(3, triangleCapacity * 3)];
    }

    public int VertexCount => _positionCount / 3;
    public int TriangleCount => _triangleCount / 3;

    public void AddVertex(float x, float y, float z)
    {
        if (_positionCount + 3 > _positions.Length)
        {
            Array.Resize(ref _positions, checked(_positions.Length * 2));
        }
        _positions[_positionCount++] = x;
        _positions[_positionCount++] = y;
        _positions[_positionCount++] = z;
    }

    public void AddTriangle(int a, int b, int c)
    {
        if (_triangleCount + 3 > _triangles.Length)
        {
            Array.Resize(ref _triangles, checked(_triangles.Length * 2));
        }
        _triangles[_triangleCount++] = a;
        _triangles[_triangleCount++] = b;
        _triangles[_triangleCount++] = c;
    }

    /// <summary>Adds a polygon of vertex indices (already validated), triangulated.</summary>
    public void AddPolygon(ReadOnlySpan<int> polygon)
    {
        if (polygon.Length == 3)
        {
            AddTriangle(polygon[0], polygon[1], polygon[2]);
            return;
        }
        // Drop repeated consecutive indices and a closing copy of the first one.
        var clean = new int[polygon.Length];
        int m = 0;
        foreach (int v in polygon)
        {
            if (m == 0 || clean[m - 1] != v)
            {
                clean[m++] = v;
            }
        }
        while (m > 1 && clean[m - 1] == clean[0])
        {
            m--;
        }
        if (m < 3)
        {
            // A degenerate face: keep it as a zero-area triangle so counts stay predictable.
            AddTriangle(polygon[0], polygon[1], polygon[2]);
            return;
        }
        polygon = clean.AsSpan(0, m);
        int n = polygon.Length;
        if (n == 3)
        {
            AddTriangle(polygon[0], polygon[1], polygon[2]);
            return;
        }
        if (n > MaxEarClippingVertices || !TryEarClip(polygon))
        {
            for (int i = 1; i + 1 < n; i++)
            {
                AddTriangle(polygon[0], polygon[i], polygon[i + 1]);
            }
        }
    }

    public Mesh Build(string source, IReadOnlyList<string>? warnings = null) =>
        new(_positions.AsSpan(0, _positionCount).ToArray(), _triangles.AsSpan(0, _triangleCount).ToArray(), source)
        {
            Warnings = warnings ?? [],
        };

    public Vector3 Vertex(int v) => new(_positions[v * 3], _positions[v * 3 + 1], _positions[v * 3 + 2]);

    private Vector3 P(int v) => Vertex(v);

    private bool TryEarClip(ReadOnlySpan<int> polygon)
    {
        int n = polygon.Length;
        // Newell's normal: robust for non-planar and concave polygons.
        var normal = Vector3.Zero;
        for (int i = 0; i < n; i++)
        {
            var a = P(polygon[i]);
            var b = P(polygon[(i + 1) % n]);
            normal += new Vector3((a.Y - b.Y) * (a.Z + b.Z), (a.Z - b.Z) * (a.X + b.X), (a.X - b.X) * (a.Y + b.Y));
        }
        var abs = Vector3.Abs(normal);
        if (abs.X + abs.Y + abs.Z == 0)
        {
            return false;
        }
        // Project on the plane of the two other axes, oriented so the polygon runs counter-clockwise.
        int drop = abs.X >= abs.Y && abs.X >= abs.Z ? 0 : abs.Y >= abs.Z ? 1 : 2;
        float sign = (drop == 0 ? normal.X : drop == 1 ? normal.Y : normal.Z) >= 0 ? 1 : -1;
        Span<Vector2> pts = stackalloc Vector2[n];
        for (int i = 0; i < n; i++)
        {
            var p = P(polygon[i]);
            pts[i] = drop switch
            {
                0 => new Vector2(p.Y, p.Z),
                1 => new Vector2(p.Z, p.X),
                _ => new Vector2(p.X, p.Y),
            };
            pts[i].Y *= sign;
        }
        Span<int> ring = stackalloc int[n];
        for (int i = 0; i < n; i++)
        {
            ring[i] = i;
        }
        int remaining = n;
        int start = _triangleCount;
        int guard = 0;
        int cur = 0;
        while (remaining > 3)
        {
            if (guard++ > remaining)
            {
                // No ear found (self-intersecting or degenerate): undo and let the caller fan.
                _triangleCount = start;
                return false;
            }
            int i0 = ring[(cur + remaining - 1) % remaining], i1 = ring[cur % remaining], i2 = ring[(cur + 1) % remaining];
            if (IsEar(pts, ring[..remaining], i0, i1, i2))
            {
                AddTriangle(polygon[i0], polygon[i1], polygon[i2]);
                int at = cur % remaining;
                ring[(at + 1)..remaining].CopyTo(ring[at..]);
                remaining--;
                guard = 0;
                cur = at;
            }
            else
            {
                cur = (cur + 1) % remaining;
            }
        }
        AddTriangle(polygon[ring[0]], polygon[ring[1]], polygon[ring[2]]);
        return true;
    }

    private static bool IsEar(ReadOnlySpan<Vector2> pts, ReadOnlySpan<int> ring, int i0, int i1, int i2)
    {
        Vector2 a = pts[i0], b = pts[i1], c = pts[i2];
        float cross = Cross(b - a, c - b);
        if (cross <= 0)
        {
            return false;
        }
        foreach (int k in ring)
        {
            if (k == i0 || k == i1 || k == i2)
            {
                continue;
            }
            var p = pts[k];
            // A vertex visited twice (keyhole polygons: a ring joined by a bridge) sits on the ear's corner; it does not block it.
            if (p == a || p == b || p == c)
            {
                continue;
            }
            if (Cross(b - a, p - a) >= 0 && Cross(c - b, p - b) >= 0 && Cross(a - c, p - c) >= 0)
            {
                return false;
            }
        }
        return true;
    }

    private static float Cross(Vector2 u, Vector2 v) => u.X * v.Y - u.Y * v.X;
}
