using System.Diagnostics;
using System.Globalization;
using System.Numerics;
using System.Text.Json;
using Gan3D.Data;
using Gan3D.Models;

namespace Gan3D.Bench;

/// <summary>One measured piece of data work: what it is, how its result was checked, and the times.</summary>
public sealed record DataCase(string Name, string Work, string Check, double OursMs, double? PeerMs, string Peer);

/// <summary>
/// Validate-then-time for the data layer (gan3d-bench data): each case computes its result once and
/// checks it against an independent answer (an analytic sphere, a mesh's own volume, a round trip, the
/// peer's own figure), and only then is timed (median of the repeats after a second or more of warm-up calls).
/// Cases that need ../shared/data are left out, with a line saying so, when it is absent.
/// Peer figures come from bench/peer/data_peer.py (NumPy, scikit-image) for the same work, where
/// such a peer exists.
/// </summary>
public static class DataBench
{
    /// <summary>Sphere radius and grid size of the marching-cubes case; data_peer.py uses the same.</summary>
    public const int FieldResolution = 64;
    public const float FieldRadius = 24f;

    /// <summary>The field both sides extract at iso 0.5: 1.5 − distance from the grid centre / radius (index units).</summary>
    public static float[] SphereField()
    {
        int r = FieldResolution;
        var field = new float[r * r * r];
        float c = (r - 1) / 2f;
        for (int i = 0; i < r; i++)
        {
            for (int j = 0; j < r; j++)
            {
                for (int k = 0; k < r; k++)
                {
                    field[(i * r + j) * r + k] = 1.5f - Vector3.Distance(new Vector3(i, j, k), new Vector3(c)) / FieldRadius;
                }
            }
        }
        return field;
    }

    public static List<DataCase> Run(string? shared, int repeat, IReadOnlyDictionary<string, double> peer, TextWriter log)
    {
        var cases = new List<DataCase>();
        void Add(string name, string work, Func<string> runAndCheck, Action run, string peerName = "")
        {
            string check = runAndCheck();
            double ms = Median(run, repeat);
            double? peerMs = peer.TryGetValue(name, out double p) ? p : null;
            log.WriteLine($"{name}: {ms:F1} ms{(peerMs is { } pm ? $" (peer {pm:F1} ms)" : "")}; {check}");
            cases.Add(new DataCase(name, work, check, ms, peerMs, peerMs is null ? "" : peerName));
        }

        // Voxelizer: the 100k-triangle, 64³ case the data issue asks to take well under a second.
        var sphere = UvSphere(250, 201);
        Add("voxelize-sphere-solid", $"sphere mesh, {sphere.TriangleCount:N0} triangles → 64³ solid", () =>
        {
            int bad = SphereMismatches(Voxelizer.Voxelize(sphere, 64), 64, shell: false);
            return Require(bad == 0, $"{bad} voxels more than 1 voxel from the surface differ from the analytic ball");
        }, () => Voxelizer.Voxelize(sphere, 64));
        var surface = new VoxelizeOptions { Fill = VoxelFill.Surface };
        Add("voxelize-sphere-surface", $"same mesh → 64³ surface", () =>
        {
            int bad = SphereMismatches(Voxelizer.Voxelize(sphere, 64, surface), 64, shell: true);
            return Require(bad == 0, $"{bad} voxels disagree with the analytic shell (set ⇔ within 0.45 voxel; band 0.45–1 free)");
        }, () => Voxelizer.Voxelize(sphere, 64, surface));

        // Procedural shapes: the default training set of the quick preset.
        Add("shapes-600-32", "600 procedural shapes (12 families) at 32³", () =>
        {
            var data = ShapeFamilies.CreateMixedDataset(600, 32, 0);
            int empty = Enumerable.Range(0, data.Count).Count(n => data.CountOccupied(n) == 0);
            int chairs = data.ClassIndices.Count(c => c == 0);
            return Require(data.Count == 600 && empty == 0 && chairs == 50, $"600 grids, none empty, 50 per family");
        }, () => ShapeFamilies.CreateMixedDataset(600, 32, 0));

        // Marching cubes against the analytic area, and scikit-image's figure for the same field.
        var field = SphereField();
        Add("marching-cubes-64", $"marching cubes, {FieldResolution}³ sphere field (radius {FieldRadius} voxels)", () =>
        {
            var mesh = MarchingCubes.Extract(field, FieldResolution);
            double area = mesh.Area() * FieldResolution * FieldResolution;
            double exact = 4 * Math.PI * FieldRadius * FieldRadius;
            double err = Math.Abs(area / exact - 1);
            string count = peer.TryGetValue("marching-cubes-64-triangles", out double t) ? $"; peer {t:N0} triangles" : "";
            return Require(err < 0.01, $"{mesh.TriangleCount:N0} triangles, area {100 * err:F2}% from 4πr²{count}");
        }, () => MarchingCubes.Extract(field, FieldResolution), "scikit-image marching_cubes");
        Add("marching-cubes-64-v1", "same, version 1 (bounds-checked corners, dictionary of edge vertices)", () =>
        {
            var reference = MarchingCubes.ExtractReference(field, FieldResolution);
            var fast = MarchingCubes.Extract(field, FieldResolution);
            bool same = reference.Positions.AsSpan().SequenceEqual(fast.Positions) && reference.Triangles.AsSpan().SequenceEqual(fast.Triangles);
            return Require(same, "the same mesh as version 2, vertex for vertex");
        }, () => MarchingCubes.ExtractReference(field, FieldResolution));

        // Renderers: the PNG picture of one grid, a 16-tile montage, and the VAE-GAN's 64×64 training view.
        var table32 = ShapeFamilies.Generate("table", 32, 1);
        var table64 = ShapeFamilies.Generate("table", 64, 1);
        Add("render-64-256px", "shaded picture of one 64³ grid, 256×256", () =>
        {
            var image = VoxelRenderer.Render(table64, new RenderOptions { Size = 256 });
            int shades = DistinctForegroundShades(image);
            return Require(image.Width == 256 && shades >= 3, $"{shades} distinct foreground shades");
        }, () => VoxelRenderer.Render(table64, new RenderOptions { Size = 256 }));
        var sixteen = ShapeFamilies.CreateMixedDataset(16, 32, 0);
        Add("montage-16x32", "montage of 16 grids at 32³, 160 px tiles, labelled", () =>
        {
            var image = Montage.Create(sixteen, Enumerable.Range(0, 16).ToArray());
            return Require(image.Width >= 4 * 160, $"{image.Width}×{image.Height} px");
        }, () => Montage.Create(sixteen, Enumerable.Range(0, 16).ToArray()));
        var view = new ViewOptions();
        var buffer = new float[view.OutputLength];
        Add("view-32-64px", "one 64×64 grey training view of a 32³ grid (VAE-GAN input)", () =>
        {
            ViewRenderer.Render(table32.Voxels, 32, view, buffer);
            int foreground = buffer.Count(v => Math.Abs(v - view.Background) > 1e-3f);
            return Require(foreground > 200, $"{foreground} of {buffer.Length} pixels show the shape");
        }, () => ViewRenderer.Render(table32.Voxels, 32, view, buffer));

        // Files: read and write a real batch, read and voxelize real meshes.
        string? chairs = shared is null ? null : Path.Combine(shared, "voxels", "modelnet10", "chair-train-32.npy.gz");
        if (chairs is not null && File.Exists(chairs))
        {
            Add("read-chairs-npy-gz", "read 889 ModelNet10 chairs, 32³ .npy.gz (u1)", () =>
            {
                var data = VoxelFile.Read(chairs);
                long occupied = Enumerable.Range(0, data.Count).Sum(n => (long)data.CountOccupied(n));
                string peerCount = peer.TryGetValue("read-chairs-npy-gz-occupied", out double o) ? $" (NumPy: {o:N0})" : "";
                return Require(data.Count == 889 && (!peer.ContainsKey("read-chairs-npy-gz-occupied") || occupied == (long)o),
                    $"889 grids, {occupied:N0} voxels set{peerCount}");
            }, () => VoxelFile.Read(chairs), "NumPy gzip + np.load");
            var data = VoxelFile.Read(chairs);
            string temp = Path.Combine(Path.GetTempPath(), $"gan3d-bench-{Environment.ProcessId}.npy.gz");
            try
            {
                Add("write-chairs-npy-gz", "write the same 889 grids as .npy.gz (u1, atomic)", () =>
                {
                    VoxelFile.Write(temp, data);
                    var back = VoxelFile.Read(temp);
                    bool same = back.Count == data.Count && Enumerable.Range(0, data.Count).All(n => back.GetGrid(n).Voxels.SequenceEqual(data.GetGrid(n).Voxels));
                    return Require(same, $"read back identical, {new FileInfo(temp).Length / 1024} KiB");
                }, () => VoxelFile.Write(temp, data), "NumPy np.save + gzip level 6");
            }
            finally
            {
                File.Delete(temp);
            }
            string bear = Path.Combine(shared!, "meshes", "cgal", "bear.off");
            var bearMesh = MeshFile.Read(bear);
            Add("read-off-bear", $"parse CGAL bear.off ({bearMesh.TriangleCount:N0} triangles)", () =>
                Require(MeshFile.Read(bear).TriangleCount == 27_648, "27,648 triangles"), () => MeshFile.Read(bear));
            Add("voxelize-bear-64", "voxelize bear.off → 64³ solid", () =>
            {
                var result = Voxelizer.VoxelizeWithTransform(bearMesh, 64);
                double voxel = result.Scale / 64.0;
                double voxelVolume = result.Grid.CountOccupied() * voxel * voxel * voxel;
                double meshVolume = Math.Abs(bearMesh.SignedVolume());
                // Every voxel the surface touches is set, so the grid holds the mesh's volume plus at most
                // a shell of one voxel diagonal around its surface (and never less than the volume).
                double shell = bearMesh.Area() * Math.Sqrt(3) * voxel;
                double excess = (voxelVolume - meshVolume) / shell;
                return Require(voxelVolume >= 0.99 * meshVolume && excess <= 1,
                    $"solid volume {100 * (voxelVolume / meshVolume - 1):+0.0;-0.0}% over the mesh's own, {excess:F2} of the one-voxel shell bound");
            }, () => Voxelizer.Voxelize(bearMesh, 64));
        }
        else
        {
            log.WriteLine($"skipped the file cases: {(shared is null ? "no shared data folder" : $"{chairs} not found")}");
        }
        return cases;
    }

    public static string Markdown(IReadOnlyList<DataCase> cases, int threads, string command, string commit, string peerVersion)
    {
        var w = new StringWriter(CultureInfo.InvariantCulture);
        w.WriteLine("## Data layer");
        w.WriteLine();
        w.WriteLine($"- date: {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC; commit {commit}");
        w.WriteLine($"- machine: {CompareReport.Machine()}");
        w.WriteLine($"- ours: all {threads} cores where the work splits (voxelizer, shapes, montage); peer: {(peerVersion.Length > 0 ? peerVersion + ", one thread" : "none run")}");
        w.WriteLine($"- command: `{command}`");
        w.WriteLine("- every case is checked first (column 'check'), then timed: median of the repeats after warm-up calls (at least 40 and 1 s, until the JIT compiles nothing new for 0.25 s; `SteadyState.WarmUp`)");
        w.WriteLine();
        w.WriteLine("| case | work | check | ours ms | peer ms | peer | ratio |");
        w.WriteLine("|---|---|---|---:|---:|---|---:|");
        foreach (var c in cases)
        {
            string peerMs = c.PeerMs is { } p ? p.ToString("F1", CultureInfo.InvariantCulture) : "–";
            string ratio = c.PeerMs is { } q ? (c.OursMs / q).ToString("F2", CultureInfo.InvariantCulture) : "–";
            w.WriteLine($"| {c.Name} | {c.Work} | {c.Check} | {c.OursMs:F1} | {peerMs} | {(c.Peer.Length > 0 ? c.Peer : "none")} | {ratio} |");
        }
        return w.ToString();
    }

    /// <summary>Reads the peer's JSON object of case name → milliseconds (and a few counts).</summary>
    public static (Dictionary<string, double> Values, string Version) ReadPeer(string? path)
    {
        var values = new Dictionary<string, double>();
        if (path is null)
        {
            return (values, "");
        }
        using var doc = JsonDocument.Parse(File.ReadAllText(path));
        string version = "";
        foreach (var p in doc.RootElement.EnumerateObject())
        {
            if (p.Value.ValueKind == JsonValueKind.Number)
            {
                values[p.Name] = p.Value.GetDouble();
            }
            else if (p.Name == "version")
            {
                version = p.Value.GetString() ?? "";
            }
        }
        return (values, version);
    }

    private static string Require(bool ok, string what) =>
        ok ? what : throw new InvalidOperationException($"validation failed: {what}");

    private static double Median(Action run, int repeat)
    {
        // Steady state: the tiered JIT has promoted the hot methods, which a handful of calls would not.
        SteadyState.WarmUp(run, seconds: 1);
        var times = new double[Math.Max(1, repeat)];
        for (int n = 0; n < times.Length; n++)
        {
            var clock = Stopwatch.StartNew();
            run();
            times[n] = clock.Elapsed.TotalMilliseconds;
        }
        Array.Sort(times);
        return times[times.Length / 2];
    }

    /// <summary>A unit UV sphere with <paramref name="slices"/> × <paramref name="stacks"/> quads (2 triangles each, fans at the poles).</summary>
    private static Mesh UvSphere(int slices, int stacks)
    {
        var p = new List<float> { 0, 0, 1 };
        for (int a = 1; a < stacks; a++)
        {
            for (int b = 0; b < slices; b++)
            {
                double th = Math.PI * a / stacks, ph = 2 * Math.PI * b / slices;
                p.AddRange([(float)(Math.Sin(th) * Math.Cos(ph)), (float)(Math.Sin(th) * Math.Sin(ph)), (float)Math.Cos(th)]);
            }
        }
        p.AddRange([0, 0, -1]);
        int bottom = p.Count / 3 - 1;
        int Ring(int a, int b) => 1 + (a - 1) * slices + (b % slices);
        var t = new List<int>();
        for (int b = 0; b < slices; b++)
        {
            t.AddRange([0, Ring(1, b), Ring(1, b + 1)]);
            t.AddRange([bottom, Ring(stacks - 1, b + 1), Ring(stacks - 1, b)]);
            for (int a = 1; a < stacks - 1; a++)
            {
                t.AddRange([Ring(a, b), Ring(a + 1, b), Ring(a + 1, b + 1)]);
                t.AddRange([Ring(a, b), Ring(a + 1, b + 1), Ring(a, b + 1)]);
            }
        }
        return new Mesh(p.ToArray(), t.ToArray(), "uv sphere");
    }

    /// <summary>
    /// Voxels of an R³ grid of the unit sphere (which spans the grid) that disagree with the analytic
    /// answer outside a one-voxel band: the ball (solid) or the set of voxels within 0.45 of the sphere (shell).
    /// </summary>
    private static int SphereMismatches(VoxelGrid grid, int r, bool shell)
    {
        int bad = 0;
        var centre = new Vector3(r / 2f);
        for (int i = 0; i < r; i++)
        {
            for (int j = 0; j < r; j++)
            {
                for (int k = 0; k < r; k++)
                {
                    float d = Vector3.Distance(new Vector3(i + 0.5f, j + 0.5f, k + 0.5f), centre) - r / 2f;
                    bool set = grid[i, j, k];
                    bad += shell
                        ? (Math.Abs(d) < 0.45f && !set) || (Math.Abs(d) > 1f && set) ? 1 : 0
                        : Math.Abs(d) > 1f && set != d < 0 ? 1 : 0;
                }
            }
        }
        return bad;
    }

    private static int DistinctForegroundShades(RgbImage image)
    {
        var (br, bg, bb) = image[0, 0];
        var shades = new HashSet<int>();
        for (int y = 0; y < image.Height; y++)
        {
            for (int x = 0; x < image.Width; x++)
            {
                var (r, g, b) = image[x, y];
                if ((r, g, b) != (br, bg, bb))
                {
                    shades.Add(r / 16 * 256 + g / 16 * 16 + b / 16);
                }
            }
        }
        return shades.Count;
    }
}
