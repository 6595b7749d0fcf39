namespace Gan3D.Data;

/// <summary>
/// Surfaces of voxel data as meshes, in the cube [−0.5, 0.5]³ with +Z up (axes as in
/// <see cref="VoxelGrid"/>).
/// <para><c>Extract</c> is marching cubes on a float field sampled at voxel centres (smooth
/// surfaces for G's probabilities). The field is taken as 0 outside the grid, so the surface is
/// always closed; every edge of the result is shared by exactly two triangles, vertices are shared,
/// and triangles wind counter-clockwise seen from outside (from low values).</para>
/// <para><see cref="Cubes"/> gives the exact voxel blocks: only faces between an occupied and an
/// empty voxel, shared corner vertices, outward winding.</para>
/// </summary>
public static class MarchingCubes
{
    /// <summary>
    /// The iso-surface of <paramref name="field"/> (R³ floats, C order) at <paramref name="iso"/>;
    /// values above it are inside.
    /// </summary>
    public static Mesh Extract(ReadOnlySpan<float> field, int resolution, float iso = 0.5f) =>
        ExtractWithSlabs(field, resolution, iso);

    private static void Check(ReadOnlySpan<float> field, int r, float iso)
    {
        VoxelGrid.CheckResolution(r);
        if (field.Length != r * r * r)
        {
            throw new ArgumentException($"expected {r}³ = {r * r * r} values, got {field.Length}", nameof(field));
        }
        if (float.IsNaN(iso))
        {
            throw new ArgumentException("iso level is NaN", nameof(iso));
        }
    }

    /// <summary>
    /// Version 1, the reference: every cell reads its eight corners through a bounds check, and edge
    /// vertices are shared through a dictionary keyed by (sample, axis).
    /// </summary>
    internal static Mesh ExtractReference(ReadOnlySpan<float> field, int resolution, float iso = 0.5f)
    {
        Check(field, resolution, iso);
        int r = resolution;
        var builder = new MeshBuilder(1024, 2048);
        var vertexOfEdge = new DictionaryEdgeIds(r + 2);
        var cellValues = new float[8];

        // Cells span samples (i..i+1, j..j+1, k..k+1) for i from −1 to R−1.
        for (int i = -1; i < r; i++)
        {
            for (int j = -1; j < r; j++)
            {
                for (int k = -1; k < r; k++)
                {
                    int config = 0;
                    for (int c = 0; c < 8; c++)
                    {
                        float v = Sample(field, r, i + (c & 1), j + ((c >> 1) & 1), k + ((c >> 2) & 1));
                        if (float.IsNaN(v))
                        {
                            throw new ArgumentException("the field holds NaN values", nameof(field));
                        }
                        cellValues[c] = v;
                        if (v > iso)
                        {
                            config |= 1 << c;
                        }
                    }
                    if (config is 0 or 255)
                    {
                        continue;
                    }
                    EmitCell(builder, vertexOfEdge, config, i, j, k, cellValues, iso, r);
                }
            }
        }
        return builder.Build("marching cubes");
    }

    /// <summary>
    /// Version 2, the same mesh as <see cref="ExtractReference"/> vertex for vertex: the inside test is
    /// done once per sample into a zero-padded byte grid, so empty cells cost eight byte loads, and edge
    /// vertices are shared through two slabs of ids (the sample layers i and i + 1 of the current cells)
    /// instead of a dictionary. Cells, edges and vertices are visited in the reference's order.
    /// </summary>
    internal static Mesh ExtractWithSlabs(ReadOnlySpan<float> field, int resolution, float iso = 0.5f)
    {
        Check(field, resolution, iso);
        int r = resolution, p = r + 2;
        int pp = p * p;
        // inside[(i + 1, j + 1, k + 1)] for samples i, j, k in −1..R; the padding (value 0) is outside unless iso < 0.
        var inside = new byte[pp * p];
        if (0f > iso)
        {
            inside.AsSpan().Fill(1);
        }
        for (int i = 0; i < r; i++)
        {
            for (int j = 0; j < r; j++)
            {
                var row = field.Slice((i * r + j) * r, r);
                var target = inside.AsSpan(((i + 1) * p + j + 1) * p + 1, r);
                for (int k = 0; k < r; k++)
                {
                    float v = row[k];
                    if (float.IsNaN(v))
                    {
                        throw new ArgumentException("the field holds NaN values", nameof(field));
                    }
                    target[k] = (byte)(v > iso ? 1 : 0);
                }
            }
        }
        // Corner c of a cell sits at sample offset (c & 1, c >> 1 & 1, c >> 2 & 1), i.e. this far in the padded grid.
        Span<int> cornerOffset = stackalloc int[8];
        for (int c = 0; c < 8; c++)
        {
            cornerOffset[c] = (c & 1) * pp + ((c >> 1) & 1) * p + ((c >> 2) & 1);
        }
        var slabs = new int[2 * pp * 3];
        slabs.AsSpan().Fill(-1);
        var slabIds = new SlabEdgeIds(slabs, p);
        var builder = new MeshBuilder(1024, 2048);
        Span<float> values = stackalloc float[8];
        for (int i = -1; i < r; i++)
        {
            // Sample layer i + 1 takes the slab that layer i − 1 used; its ids are stale.
            if (i >= 0)
            {
                slabs.AsSpan(((i + 2) & 1) * pp * 3, pp * 3).Fill(-1);
            }
            for (int j = -1; j < r; j++)
            {
                int rowBase = ((i + 1) * p + j + 1) * p;
                for (int k = -1; k < r; k++)
                {
                    int at = rowBase + k + 1;
                    int config = 0;
                    for (int c = 0; c < 8; c++)
                    {
                        config |= inside[at + cornerOffset[c]] << c;
                    }
                    if (config is 0 or 255)
                    {
                        continue;
                    }
                    for (int c = 0; c < 8; c++)
                    {
                        values[c] = Sample(field, r, i + (c & 1), j + ((c >> 1) & 1), k + ((c >> 2) & 1));
                    }
                    EmitCell(builder, slabIds, config, i, j, k, values, iso, r);
                }
            }
        }
        return builder.Build("marching cubes");
    }

    /// <summary>The field at sample (i, j, k); 0 outside the grid, so every surface closes.</summary>
    private static float Sample(ReadOnlySpan<float> field, int r, int i, int j, int k) =>
        (uint)i < (uint)r && (uint)j < (uint)r && (uint)k < (uint)r ? field[(i * r + j) * r + k] : 0f;

    /// <summary>Where a version keeps the ids of the vertices on cell edges, by the edge's first sample and axis.</summary>
    private interface IEdgeIds
    {
        bool TryGet(int ai, int aj, int ak, int axis, out int id);

        void Set(int ai, int aj, int ak, int axis, int id);
    }

    /// <summary>Version 1's: a dictionary keyed by (sample in the padded grid, axis).</summary>
    private sealed class DictionaryEdgeIds(long p) : IEdgeIds
    {
        private readonly Dictionary<long, int> _ids = [];

        private long Key(int ai, int aj, int ak, int axis) => (((ai + 1) * p + aj + 1) * p + ak + 1) * 3 + axis;

        public bool TryGet(int ai, int aj, int ak, int axis, out int id) => _ids.TryGetValue(Key(ai, aj, ak, axis), out id);

        public void Set(int ai, int aj, int ak, int axis, int id) => _ids[Key(ai, aj, ak, axis)] = id;
    }

    /// <summary>Version 2's: two sample layers of ids (−1 = none yet), slab (ai + 1) &amp; 1 holding layer ai.</summary>
    private readonly struct SlabEdgeIds(int[] slabs, int p) : IEdgeIds
    {
        private int Index(int ai, int aj, int ak, int axis) => ((ai + 1) & 1) * p * p * 3 + ((aj + 1) * p + ak + 1) * 3 + axis;

        public bool TryGet(int ai, int aj, int ak, int axis, out int id) => (id = slabs[Index(ai, aj, ak, axis)]) >= 0;

        public void Set(int ai, int aj, int ak, int axis, int id) => slabs[Index(ai, aj, ak, axis)] = id;
    }

    /// <summary>
    /// Adds the triangles of cell (i, j, k) in case <paramref name="config"/>, whose corner values are
    /// <paramref name="values"/>: its centre vertices first (the mean of each loop's edge points; they
    /// belong to this cell alone), then the triangles, sharing edge vertices with the neighbours through
    /// <paramref name="edgeIds"/>. Both versions emit through here, in the same order.
    /// </summary>
    private static void EmitCell<TIds>(MeshBuilder builder, TIds edgeIds, int config, int i, int j, int k, ReadOnlySpan<float> values, float iso, int r)
        where TIds : IEdgeIds
    {
        var tris = MarchingCubesTable.Triangles[config];
        var centreLoops = MarchingCubesTable.CentreLoops[config];
        Span<int> centres = stackalloc int[4];
        for (int c = 0; c < centreLoops.Length; c++)
        {
            var sum = System.Numerics.Vector3.Zero;
            foreach (int e in centreLoops[c])
            {
                sum += builder.Vertex(EdgeVertex(builder, edgeIds, e, i, j, k, values, iso, r));
            }
            sum /= centreLoops[c].Length;
            centres[c] = builder.VertexCount;
            builder.AddVertex(sum.X, sum.Y, sum.Z);
        }
        Span<int> ids = stackalloc int[3];
        for (int t = 0; t < tris.Length; t += 3)
        {
            for (int n = 0; n < 3; n++)
            {
                int e = tris[t + n];
                ids[n] = e >= MarchingCubesTable.Centre ? centres[e - MarchingCubesTable.Centre] : EdgeVertex(builder, edgeIds, e, i, j, k, values, iso, r);
            }
            builder.AddTriangle(ids[0], ids[1], ids[2]);
        }
    }

    /// <summary>The vertex where the surface crosses edge <paramref name="e"/> of cell (i, j, k): shared, or interpolated and added.</summary>
    private static int EdgeVertex<TIds>(MeshBuilder builder, TIds edgeIds, int e, int i, int j, int k, ReadOnlySpan<float> values, float iso, int r)
        where TIds : IEdgeIds
    {
        var (ca, cb) = MarchingCubesTable.EdgeCorners[e];
        int ai = i + (ca & 1), aj = j + ((ca >> 1) & 1), ak = k + ((ca >> 2) & 1);
        int axis = e / 4;
        if (!edgeIds.TryGet(ai, aj, ak, axis, out int id))
        {
            float fa = values[ca], fb = values[cb];
            float s = Math.Clamp((iso - fa) / (fb - fa), 0, 1);
            float x = ai + (axis == 0 ? s : 0), y = aj + (axis == 1 ? s : 0), z = ak + (axis == 2 ? s : 0);
            id = builder.VertexCount;
            builder.AddVertex(ToWorld(x, r), ToWorld(y, r), ToWorld(z, r));
            edgeIds.Set(ai, aj, ak, axis, id);
        }
        return id;
    }

    /// <summary>Marching cubes on a binary grid (values 0/1, iso 0.5): a smoothed blocky surface.</summary>
    public static Mesh Extract(VoxelGrid grid, float iso = 0.5f)
    {
        ArgumentNullException.ThrowIfNull(grid);
        return Extract(grid.ToFloats(), grid.Resolution, iso);
    }

    /// <summary>The exact voxel blocks of <paramref name="grid"/>: boundary faces only, shared vertices, outward winding.</summary>
    public static Mesh Cubes(VoxelGrid grid)
    {
        ArgumentNullException.ThrowIfNull(grid);
        int r = grid.Resolution;
        int q = r + 1; // lattice points per axis
        var builder = new MeshBuilder(1024, 2048);
        var vertexOfPoint = new Dictionary<int, int>();
        int Vertex(int i, int j, int k)
        {
            int key = (i * q + j) * q + k;
            if (!vertexOfPoint.TryGetValue(key, out int id))
            {
                id = builder.VertexCount;
                builder.AddVertex((float)i / r - 0.5f, (float)j / r - 0.5f, (float)k / r - 0.5f);
                vertexOfPoint[key] = id;
            }
            return id;
        }
        Span<int> corner = stackalloc int[3];
        Span<int> at = stackalloc int[3];
        Span<int> ids = stackalloc int[4];
        for (int i = 0; i < r; i++)
        {
            for (int j = 0; j < r; j++)
            {
                for (int k = 0; k < r; k++)
                {
                    if (!grid[i, j, k])
                    {
                        continue;
                    }
                    for (int axis = 0; axis < 3; axis++)
                    {
                        for (int side = -1; side <= 1; side += 2)
                        {
                            at[0] = i;
                            at[1] = j;
                            at[2] = k;
                            at[axis] += side;
                            if ((uint)at[axis] < (uint)r && grid[at[0], at[1], at[2]])
                            {
                                continue;
                            }
                            // The face lies on the lattice plane at[axis] (+1 side) or the voxel's own (−1 side).
                            int u = (axis + 1) % 3, v = (axis + 2) % 3;
                            for (int n = 0; n < 4; n++)
                            {
                                corner[0] = i;
                                corner[1] = j;
                                corner[2] = k;
                                corner[axis] += side > 0 ? 1 : 0;
                                // Counter-clockwise around +axis: (0,0), (1,0), (1,1), (0,1) in (u, v).
                                corner[u] += n is 1 or 2 ? 1 : 0;
                                corner[v] += n is 2 or 3 ? 1 : 0;
                                ids[n] = Vertex(corner[0], corner[1], corner[2]);
                            }
                            if (side > 0)
                            {
                                builder.AddTriangle(ids[0], ids[1], ids[2]);
                                builder.AddTriangle(ids[0], ids[2], ids[3]);
                            }
                            else
                            {
                                builder.AddTriangle(ids[0], ids[2], ids[1]);
                                builder.AddTriangle(ids[0], ids[3], ids[2]);
                            }
                        }
                    }
                }
            }
        }
        return builder.Build("voxel cubes");
    }

    /// <summary>
    /// The case table <see cref="Extract(ReadOnlySpan{float}, int, float)"/> uses, for code elsewhere
    /// (the run report's viewer) that must cut the same surface: per case, the triangles as edge
    /// indices (values from <see cref="MarchingCubesCases.Centre"/> up name the centre of a loop of
    /// edges), those loops, and the two corners of each edge (corner c at (c &amp; 1, c &gt;&gt; 1 &amp; 1, c &gt;&gt; 2 &amp; 1)).
    /// </summary>
    public static MarchingCubesCases CaseTable { get; } = new(
        MarchingCubesTable.Triangles, MarchingCubesTable.CentreLoops,
        MarchingCubesTable.EdgeCorners.Select(e => new[] { e.A, e.B }).ToArray(), MarchingCubesTable.Centre);

    /// <summary>A (fractional) voxel index to the [−0.5, 0.5] cube: voxel centres sit at (i + 0.5)/R − 0.5.</summary>
    private static float ToWorld(float voxelIndex, int r) => (voxelIndex + 0.5f) / r - 0.5f;
}

/// <summary>The marching-cubes case table, as <see cref="MarchingCubes.CaseTable"/> describes it.</summary>
public sealed record MarchingCubesCases(int[][] Triangles, int[][][] CentreLoops, int[][] EdgeCorners, int Centre);
