namespace Gan3D.Data;

/// <summary>
/// An indexed triangle mesh: positions (x, y, z per vertex, float32) and triangles (three vertex
/// indices each). Readers triangulate polygons; a mesh may have no triangles (a point cloud), which
/// the voxelizer refuses. Coordinates are in the file's own axes; see <see cref="VoxelGrid"/> for how
/// they map to grids (+Z up by default).
/// </summary>
public sealed class Mesh
{
    /// <summary>A mesh over <paramref name="positions"/> (3 floats a vertex) and <paramref name="triangles"/> (3 indices each).</summary>
    public Mesh(float[] positions, int[] triangles, string? source = null)
    {
        ArgumentNullException.ThrowIfNull(positions);
        ArgumentNullException.ThrowIfNull(triangles);
        if (positions.Length % 3 != 0 || triangles.Length % 3 != 0)
        {
            throw new ArgumentException("positions and triangles must hold multiples of 3 values");
        }
        int vertices = positions.Length / 3;
        foreach (int index in triangles)
        {
            if ((uint)index >= (uint)vertices)
            {
                throw new ArgumentException($"triangle index {index} is outside 0..{vertices - 1}", nameof(triangles));
            }
        }
        Positions = positions;
        Triangles = triangles;
        Source = source ?? "mesh";
    }

    /// <summary>x, y, z of each vertex.</summary>
    public float[] Positions { get; }

    /// <summary>Three vertex indices per triangle; counter-clockwise seen from outside where the source is consistent.</summary>
    public int[] Triangles { get; }

    /// <summary>Where the mesh came from (a file path), used in error messages.</summary>
    public string Source { get; }

    /// <summary>What the reader skipped or repaired ("FILE:LINE: ..."), for the caller to show; empty for a clean file.</summary>
    public IReadOnlyList<string> Warnings { get; init; } = [];

    public int VertexCount => Positions.Length / 3;
    public int TriangleCount => Triangles.Length / 3;

    /// <summary>Axis-aligned bounds of the vertices that triangles use (all vertices when there are no triangles).</summary>
    public (System.Numerics.Vector3 Min, System.Numerics.Vector3 Max) Bounds()
    {
        var min = new System.Numerics.Vector3(float.PositiveInfinity);
        var max = new System.Numerics.Vector3(float.NegativeInfinity);
        if (Triangles.Length == 0)
        {
            for (int v = 0; v < VertexCount; v++)
            {
                var p = Vertex(v);
                min = System.Numerics.Vector3.Min(min, p);
                max = System.Numerics.Vector3.Max(max, p);
            }
        }
        foreach (int v in Triangles)
        {
            var p = Vertex(v);
            min = System.Numerics.Vector3.Min(min, p);
            max = System.Numerics.Vector3.Max(max, p);
        }
        return (min, max);
    }

    /// <summary>Position of vertex <paramref name="index"/>.</summary>
    public System.Numerics.Vector3 Vertex(int index) =>
        new(Positions[index * 3], Positions[index * 3 + 1], Positions[index * 3 + 2]);

    /// <summary>Total surface area.</summary>
    public double Area()
    {
        double total = 0;
        for (int t = 0; t < TriangleCount; t++)
        {
            var a = Vertex(Triangles[t * 3]);
            var b = Vertex(Triangles[t * 3 + 1]);
            var c = Vertex(Triangles[t * 3 + 2]);
            total += System.Numerics.Vector3.Cross(b - a, c - a).Length() * 0.5;
        }
        return total;
    }

    /// <summary>Signed volume (positive for a closed mesh with outward, counter-clockwise triangles).</summary>
    public double SignedVolume()
    {
        double total = 0;
        for (int t = 0; t < TriangleCount; t++)
        {
            var a = Vertex(Triangles[t * 3]);
            var b = Vertex(Triangles[t * 3 + 1]);
            var c = Vertex(Triangles[t * 3 + 2]);
            total += (double)a.X * ((double)b.Y * c.Z - (double)b.Z * c.Y)
                   - (double)a.Y * ((double)b.X * c.Z - (double)b.Z * c.X)
                   + (double)a.Z * ((double)b.X * c.Y - (double)b.Y * c.X);
        }
        return total / 6.0;
    }

    /// <summary>The mesh with +Y-up coordinates turned to +Z up: (x, y, z) becomes (x, −z, y).</summary>
    public Mesh WithUpAxis(UpAxis up)
    {
        if (up == UpAxis.Z)
        {
            return this;
        }
        var p = new float[Positions.Length];
        for (int v = 0; v < VertexCount; v++)
        {
            p[v * 3] = Positions[v * 3];
            p[v * 3 + 1] = -Positions[v * 3 + 2];
            p[v * 3 + 2] = Positions[v * 3 + 1];
        }
        return new Mesh(p, Triangles, Source) { Warnings = Warnings };
    }
}
