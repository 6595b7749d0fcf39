using System.Numerics;

namespace Gan3D.Data;

/// <summary>Which voxels of a mesh are set.</summary>
public enum VoxelFill
{
    /// <summary>The surface plus the interior (the ModelNet data is solid: <c>binvox -pb</c>).</summary>
    Solid,
    /// <summary>Only voxels the surface touches.</summary>
    Surface,
}

/// <summary>Voxelizer settings.</summary>
public sealed record VoxelizeOptions
{
    /// <summary>Solid (default) or surface only.</summary>
    public VoxelFill Fill { get; init; } = VoxelFill.Solid;

    /// <summary>Which mesh axis is up (default +Z; most OBJ exports are +Y up).</summary>
    public UpAxis Up { get; init; } = UpAxis.Z;

    /// <summary>Empty voxels left on each side of the longest extent (default 0, like <c>binvox -cb</c>).</summary>
    public float Margin { get; init; }
}

/// <summary>A voxelized mesh and the map between grid and mesh: mesh point = (v / R)·Scale + Translate for a point v in voxel units.</summary>
public sealed record VoxelizeResult(VoxelGrid Grid, Vector3 Translate, float Scale);

/// <summary>
/// Mesh to occupancy grid. The mesh (turned +Z up) is scaled uniformly so that its longest side
/// spans the grid (less <see cref="VoxelizeOptions.Margin"/>) and centred on every axis, like
/// <c>binvox -cb</c>. Surface voxels are those a triangle overlaps (exact separating-axis test, so
/// thin parts never vanish). The solid interior comes from parity ray casting along each of the 3
/// axes through voxel centres: a voxel is inside along a ray only if an odd number of surface
/// crossings lies both before and after it, and inside overall when at least 2 of the 3 axes say
/// so. That survives meshes that are not watertight: a ray through a hole sees an odd count and
/// votes "outside" over its unclosed stretch, while the other two axes still close the volume.
/// </summary>
public static class Voxelizer
{
    // Faces exactly on a voxel boundary move this far inwards (voxel units)...
    private const float InwardNudge = 1e-3f;

    // ...and voxels are tested a hair smaller than they are, so a triangle whose edge merely runs
    // along a voxel boundary does not claim the voxel on the far side of it.
    private const float VoxelHalf = 0.5f - 1e-4f;

    /// <summary>Voxelizes <paramref name="mesh"/> at <paramref name="resolution"/>³.</summary>
    public static VoxelGrid Voxelize(Mesh mesh, int resolution, VoxelizeOptions? options = null) =>
        VoxelizeWithTransform(mesh, resolution, options).Grid;

    /// <summary>Voxelizes <paramref name="mesh"/> and reports the normalisation (for binvox headers).</summary>
    public static VoxelizeResult VoxelizeWithTransform(Mesh mesh, int resolution, VoxelizeOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(mesh);
        VoxelGrid.CheckResolution(resolution);
        options ??= new VoxelizeOptions();
        mesh = mesh.WithUpAxis(options.Up);
        if (mesh.TriangleCount == 0)
        {
            throw new InvalidDataException($"{mesh.Source}: the mesh has no triangles (a point cloud or lines only), so it has no surface to voxelize");
        }
        var (min, max) = mesh.Bounds();
        var size = max - min;
        float longest = MathF.Max(size.X, MathF.Max(size.Y, size.Z));
        if (!(longest > 0) || !float.IsFinite(longest) || !HasArea(mesh))
        {
            throw new InvalidDataException($"{mesh.Source}: the mesh is degenerate (every triangle has zero area), so it has no surface to voxelize");
        }
        float margin = Math.Clamp(options.Margin, 0, (resolution - 1) / 2f);
        double scale = (resolution - 2.0 * margin) / longest;
        var center = (min + max) * 0.5f;
        int r = resolution;
        // Vertices in voxel units: voxel (i, j, k) spans [i, i+1] × [j, j+1] × [k, k+1].
        var v = new float[mesh.Positions.Length];
        for (int n = 0; n < mesh.VertexCount; n++)
        {
            for (int a = 0; a < 3; a++)
            {
                v[n * 3 + a] = (float)((mesh.Positions[n * 3 + a] - center[a]) * scale + r * 0.5);
            }
        }
        var tris = mesh.Triangles;
        var surface = new byte[r * r * r];
        // One inside mask per axis: the three ray casts run in parallel, and a shared vote counter
        // incremented from three threads lost votes (a voxel inside along two axes now and then came
        // out empty).
        var inside = options.Fill == VoxelFill.Solid ? new[] { new byte[r * r * r], new byte[r * r * r], new byte[r * r * r] } : null;
        var work = new List<Action> { () => FillSurface(v, tris, r, surface) };
        if (inside is not null)
        {
            for (int axis = 0; axis < 3; axis++)
            {
                int a = axis;
                work.Add(() => CastRays(v, tris, r, a, inside[a]));
            }
        }
        Parallel.Invoke(work.ToArray());
        if (inside is not null)
        {
            // Inside by majority: along at least two of the three axes.
            for (int n = 0; n < surface.Length; n++)
            {
                surface[n] = (byte)(surface[n] | (inside[0][n] + inside[1][n] + inside[2][n] >= 2 ? 1 : 0));
            }
        }
        var translate = center - new Vector3((float)(r * 0.5 / scale));
        return new VoxelizeResult(new VoxelGrid(r, surface), translate, (float)(r / scale));
    }

    private static bool HasArea(Mesh mesh)
    {
        for (int t = 0; t < mesh.TriangleCount; t++)
        {
            var a = mesh.Vertex(mesh.Triangles[t * 3]);
            var b = mesh.Vertex(mesh.Triangles[t * 3 + 1]);
            var c = mesh.Vertex(mesh.Triangles[t * 3 + 2]);
            if (Vector3.Cross(b - a, c - a) != Vector3.Zero)
            {
                return true;
            }
        }
        return false;
    }

    private static Vector3 At(float[] v, int index) => new(v[index * 3], v[index * 3 + 1], v[index * 3 + 2]);

    /// <summary>Marks every voxel a triangle overlaps; triangles split over the cores (writes of 1 never conflict).</summary>
    private static void FillSurface(float[] v, int[] tris, int r, byte[] grid)
    {
        int triangles = tris.Length / 3;
        int chunks = Math.Max(1, Math.Min(Environment.ProcessorCount, triangles / 2048));
        Parallel.For(0, chunks, chunk =>
        {
            int t0 = (int)((long)triangles * chunk / chunks), t1 = (int)((long)triangles * (chunk + 1) / chunks);
            for (int t = t0; t < t1; t++)
            {
                var a = At(v, tris[t * 3]);
                var b = At(v, tris[t * 3 + 1]);
                var c = At(v, tris[t * 3 + 2]);
                var normal = Vector3.Cross(b - a, c - a);
                if (normal == Vector3.Zero)
                {
                    continue;
                }
                // A face lying exactly on a voxel boundary (boxes, voxel meshes) touches the voxels on
                // both sides; nudged a thousandth of a voxel inwards (against its normal) it marks
                // only the inside one. Elsewhere the nudge changes nothing that matters.
                var inward = Vector3.Normalize(normal) * -InwardNudge;
                a += inward;
                b += inward;
                c += inward;
                var lo = Vector3.Min(a, Vector3.Min(b, c));
                var hi = Vector3.Max(a, Vector3.Max(b, c));
                int i0 = Clamp(lo.X, r), i1 = Clamp(hi.X, r);
                int j0 = Clamp(lo.Y, r), j1 = Clamp(hi.Y, r);
                int k0 = Clamp(lo.Z, r), k1 = Clamp(hi.Z, r);
                bool single = i0 == i1 && j0 == j1 && k0 == k1;
                for (int i = i0; i <= i1; i++)
                {
                    for (int j = j0; j <= j1; j++)
                    {
                        int row = (i * r + j) * r;
                        for (int k = k0; k <= k1; k++)
                        {
                            if (grid[row + k] == 0 &&
                                (single || TriangleBoxOverlap.Overlaps(new Vector3(i + 0.5f, j + 0.5f, k + 0.5f), VoxelHalf, a, b, c)))
                            {
                                grid[row + k] = 1;
                            }
                        }
                    }
                }
            }
        });
    }

    private static int Clamp(float x, int r) => Math.Clamp((int)MathF.Floor(x), 0, r - 1);

    /// <summary>
    /// Parity ray casting along <paramref name="axis"/> through every voxel centre; sets
    /// <paramref name="inside"/> to 1 where the voxel is inside along this axis.
    /// </summary>
    private static void CastRays(float[] v, int[] tris, int r, int axis, byte[] inside)
    {
        int ua = (axis + 1) % 3, va = (axis + 2) % 3;
        var counts = new int[r * r + 1];
        // Pass 1 counts the crossings of each ray, pass 2 stores their depths (compressed rows).
        ForEachCrossing(v, tris, r, axis, ua, va, (ray, _) => counts[ray]++);
        var offsets = new int[r * r + 1];
        for (int n = 0; n < r * r; n++)
        {
            offsets[n + 1] = offsets[n] + counts[n];
        }
        var depths = new float[offsets[r * r]];
        var cursor = (int[])offsets.Clone();
        ForEachCrossing(v, tris, r, axis, ua, va, (ray, depth) => depths[cursor[ray]++] = depth);

        Span<int> stride = [r * r, r, 1];
        for (int iu = 0; iu < r; iu++)
        {
            for (int iv = 0; iv < r; iv++)
            {
                int ray = iu * r + iv;
                int n = counts[ray];
                if (n < 2)
                {
                    continue;
                }
                var hits = depths.AsSpan(offsets[ray], n);
                hits.Sort();
                int baseIndex = iu * stride[ua] + iv * stride[va];
                int step = stride[axis];
                int before = 0;
                for (int k = 0; k < r; k++)
                {
                    float centre = k + 0.5f;
                    while (before < n && hits[before] < centre)
                    {
                        before++;
                    }
                    // Crossings at exactly the centre count as neither before nor after.
                    int after = before;
                    while (after < n && hits[after] <= centre)
                    {
                        after++;
                    }
                    after = n - after;
                    if ((before & 1) == 1 && (after & 1) == 1)
                    {
                        inside[baseIndex + k * step] = 1;
                    }
                }
            }
        }
    }

    /// <summary>
    /// Calls <paramref name="onCrossing"/>(ray, depth) for every triangle a ray along
    /// <paramref name="axis"/> through a voxel centre crosses. Points on a shared edge or vertex
    /// belong to exactly one triangle (top-left rule on edge functions computed in a canonical vertex
    /// order, so both triangles of an edge evaluate it bit-identically).
    /// </summary>
    private static void ForEachCrossing(float[] v, int[] tris, int r, int axis, int ua, int va, Action<int, float> onCrossing)
    {
        for (int t = 0; t < tris.Length; t += 3)
        {
            int i0 = tris[t], i1 = tris[t + 1], i2 = tris[t + 2];
            double u0 = v[i0 * 3 + ua], v0 = v[i0 * 3 + va], d0 = v[i0 * 3 + axis];
            double u1 = v[i1 * 3 + ua], v1 = v[i1 * 3 + va], d1 = v[i1 * 3 + axis];
            double u2 = v[i2 * 3 + ua], v2 = v[i2 * 3 + va], d2 = v[i2 * 3 + axis];
            double area = (u1 - u0) * (v2 - v0) - (v1 - v0) * (u2 - u0);
            if (area == 0)
            {
                continue;
            }
            if (area < 0)
            {
                (u1, v1, d1, u2, v2, d2) = (u2, v2, d2, u1, v1, d1);
                area = -area;
            }
            // Rays sit at (iu + 0.5, iv + 0.5).
            int iuLo = Math.Max(0, (int)Math.Ceiling(Math.Min(u0, Math.Min(u1, u2)) - 0.5));
            int iuHi = Math.Min(r - 1, (int)Math.Floor(Math.Max(u0, Math.Max(u1, u2)) - 0.5));
            int ivLo = Math.Max(0, (int)Math.Ceiling(Math.Min(v0, Math.Min(v1, v2)) - 0.5));
            int ivHi = Math.Min(r - 1, (int)Math.Floor(Math.Max(v0, Math.Max(v1, v2)) - 0.5));
            for (int iu = iuLo; iu <= iuHi; iu++)
            {
                double pu = iu + 0.5;
                for (int iv = ivLo; iv <= ivHi; iv++)
                {
                    double pv = iv + 0.5;
                    // w0 is the edge (1 → 2), opposite vertex 0, and so on.
                    double w0 = Edge(u1, v1, u2, v2, pu, pv);
                    double w1 = Edge(u2, v2, u0, v0, pu, pv);
                    double w2 = Edge(u0, v0, u1, v1, pu, pv);
                    if (!Inside(w0, u1, v1, u2, v2) || !Inside(w1, u2, v2, u0, v0) || !Inside(w2, u0, v0, u1, v1))
                    {
                        continue;
                    }
                    double sum = w0 + w1 + w2;
                    double depth = sum != 0 ? (w0 * d0 + w1 * d1 + w2 * d2) / sum : (d0 + d1 + d2) / 3;
                    onCrossing(iu * r + iv, (float)depth);
                }
            }
        }
    }

    /// <summary>Edge function of a → b at p, evaluated with the endpoints in canonical order and negated back.</summary>
    private static double Edge(double au, double av, double bu, double bv, double pu, double pv)
    {
        bool swap = bu < au || (bu == au && bv < av);
        if (swap)
        {
            (au, av, bu, bv) = (bu, bv, au, av);
        }
        double w = (bu - au) * (pv - av) - (bv - av) * (pu - au);
        return swap ? -w : w;
    }

    /// <summary>Inside for w &gt; 0; on the edge only for "top-left" edges of a counter-clockwise triangle.</summary>
    private static bool Inside(double w, double au, double av, double bu, double bv)
    {
        if (w != 0)
        {
            return w > 0;
        }
        // Left edges run downwards (bv < av); top edges are horizontal and run leftwards.
        return bv < av || (bv == av && bu < au);
    }
}
