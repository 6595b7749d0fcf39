using System.Numerics;

namespace Gan3D.Data;

/// <summary>
/// The marching-cubes case table, derived at start-up rather than typed in. Corner c of a cell sits
/// at (c &amp; 1, (c &gt;&gt; 1) &amp; 1, (c &gt;&gt; 2) &amp; 1); edge a·4 + m joins the corner with bit a clear and
/// the other bits m to the corner with bit a set. For each of the 256 inside/outside patterns:
/// <list type="number">
/// <item>on each of the 6 faces, the edges whose ends differ are joined by segments; a face with all 4
/// edges crossed (inside corners on a diagonal) gets two segments that cut off each inside corner.
/// The rule depends only on the face's own corners, so the two cells sharing a face always agree and
/// the surface has no cracks;</item>
/// <item>each segment is directed so that, looking at the face from outside the cell, the inside
/// corners are on its left; the segments then chain into closed loops around the inside region;</item>
/// <item>each loop is split into a triangle fan from a corner whose diagonals all run through the
/// cell's inside (a diagonal on a face could be laid by the neighbouring cell too, giving an edge of
/// four triangles); when no corner qualifies, a fan around a centre vertex. The winding makes normals
/// point from inside (values above the iso level) to outside.</item>
/// </list>
/// </summary>
internal static class MarchingCubesTable
{
    /// <summary>Index values from this one up stand for the centre of loop (value − Centre) of <see cref="CentreLoops"/>.</summary>
    public const int Centre = 12;

    private static readonly (int[][] Triangles, int[][][] CentreLoops) Tables = Build();

    /// <summary>Per case, edge indices (or <see cref="Centre"/> + loop), three per triangle.</summary>
    public static int[][] Triangles => Tables.Triangles;

    /// <summary>Per case, the edge loops whose centre vertex (mean of the loop's edge points) some triangles use.</summary>
    public static int[][][] CentreLoops => Tables.CentreLoops;

    /// <summary>The two corners of each edge.</summary>
    public static readonly (int A, int B)[] EdgeCorners = MakeEdges();

    private static (int A, int B)[] MakeEdges()
    {
        var edges = new (int, int)[12];
        for (int axis = 0; axis < 3; axis++)
        {
            int m = 0;
            for (int c = 0; c < 8; c++)
            {
                if ((c & (1 << axis)) == 0)
                {
                    edges[axis * 4 + m++] = (c, c | (1 << axis));
                }
            }
        }
        return edges;
    }

    private static Vector3 Corner(int c) => new(c & 1, (c >> 1) & 1, (c >> 2) & 1);

    private static (int[][], int[][][]) Build()
    {
        var loops = new List<int[]>[256];
        var edges = MakeEdges();
        int EdgeOf(int a, int b)
        {
            for (int e = 0; e < 12; e++)
            {
                if ((edges[e].Item1 == a && edges[e].Item2 == b) || (edges[e].Item1 == b && edges[e].Item2 == a))
                {
                    return e;
                }
            }
            throw new InvalidOperationException("corners are not adjacent");
        }
        Vector3 Mid(int e) => (Corner(edges[e].Item1) + Corner(edges[e].Item2)) * 0.5f;

        // Faces: the 4 corners with bit `axis` equal to `side`, in cyclic order, and the outward normal.
        var faces = new List<(int[] Corners, Vector3 Normal)>();
        for (int axis = 0; axis < 3; axis++)
        {
            int u = (axis + 1) % 3, v = (axis + 2) % 3;
            for (int side = 0; side < 2; side++)
            {
                int b = side << axis;
                int[] ring = [b, b | (1 << u), b | (1 << u) | (1 << v), b | (1 << v)];
                var normal = Vector3.Zero;
                normal[axis] = side == 0 ? -1 : 1;
                faces.Add((ring, normal));
            }
        }

        // The two faces each edge lies on.
        var faceOf = new List<int>[12];
        for (int e = 0; e < 12; e++)
        {
            faceOf[e] = [];
        }
        for (int f = 0; f < faces.Count; f++)
        {
            var ring = faces[f].Corners;
            for (int n = 0; n < 4; n++)
            {
                faceOf[EdgeOf(ring[n], ring[(n + 1) % 4])].Add(f);
            }
        }

        var table = new int[256][];
        for (int config = 0; config < 256; config++)
        {
            loops[config] = [];
            bool Inside(int c) => (config & (1 << c)) != 0;
            var next = new int[12];
            Array.Fill(next, -1);
            foreach (var (ring, normal) in faces)
            {
                var segments = new List<(int A, int B, int Corner)>();
                var crossed = new List<int>();
                for (int n = 0; n < 4; n++)
                {
                    int c0 = ring[n], c1 = ring[(n + 1) % 4];
                    if (Inside(c0) != Inside(c1))
                    {
                        crossed.Add(EdgeOf(c0, c1));
                    }
                }
                if (crossed.Count == 2)
                {
                    int insideCorner = ring.First(Inside);
                    segments.Add((crossed[0], crossed[1], insideCorner));
                }
                else if (crossed.Count == 4)
                {
                    // Separate the two inside corners: cut each off with the two edges that meet at it.
                    for (int n = 0; n < 4; n++)
                    {
                        int c = ring[n];
                        if (Inside(c))
                        {
                            segments.Add((EdgeOf(ring[(n + 3) % 4], c), EdgeOf(c, ring[(n + 1) % 4]), c));
                        }
                    }
                }
                foreach (var (a, b, corner) in segments)
                {
                    // Direct a→b so that (b − a) × n points towards the inside corner.
                    var d = Mid(b) - Mid(a);
                    var towards = Corner(corner) - (Mid(a) + Mid(b)) * 0.5f;
                    bool forward = Vector3.Dot(Vector3.Cross(d, normal), towards) > 0;
                    int from = forward ? a : b, to = forward ? b : a;
                    if (next[from] != -1)
                    {
                        throw new InvalidOperationException($"case {config}: edge {from} starts two segments");
                    }
                    next[from] = to;
                }
            }
            var triangles = new List<int>();
            var seen = new bool[12];
            for (int start = 0; start < 12; start++)
            {
                if (next[start] < 0 || seen[start])
                {
                    continue;
                }
                var loop = new List<int>();
                for (int e = start; !seen[e]; e = next[e])
                {
                    seen[e] = true;
                    loop.Add(e);
                }
                int fan = FanStart(loop, faceOf);
                if (fan >= 0)
                {
                    for (int n = 1; n + 1 < loop.Count; n++)
                    {
                        triangles.Add(loop[fan]);
                        triangles.Add(loop[(fan + n) % loop.Count]);
                        triangles.Add(loop[(fan + n + 1) % loop.Count]);
                    }
                }
                else
                {
                    // Every fan would lay a diagonal on a cell face, where the neighbouring cell may
                    // lay the same one (an edge of four triangles). A centre vertex avoids diagonals.
                    int centre = Centre + loops[config].Count;
                    loops[config].Add(loop.ToArray());
                    for (int n = 0; n < loop.Count; n++)
                    {
                        triangles.Add(centre);
                        triangles.Add(loop[n]);
                        triangles.Add(loop[(n + 1) % loop.Count]);
                    }
                }
            }
            table[config] = triangles.ToArray();
        }
        return (table, loops.Select(l => l.ToArray()).ToArray());
    }

    /// <summary>
    /// A loop position whose fan puts no diagonal on a cell face (both ends on edges of one face),
    /// or -1 when there is none.
    /// </summary>
    private static int FanStart(List<int> loop, List<int>[] faceOf)
    {
        int n = loop.Count;
        for (int s = 0; s < n; s++)
        {
            bool ok = true;
            for (int d = 2; d <= n - 2 && ok; d++)
            {
                int a = loop[s], b = loop[(s + d) % n];
                ok = !faceOf[a].Intersect(faceOf[b]).Any();
            }
            if (ok)
            {
                return s;
            }
        }
        return -1;
    }
}
