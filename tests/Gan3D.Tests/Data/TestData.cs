using System.Numerics;
using Gan3D.Data;

namespace Gan3D.Tests.Data;

/// <summary>Where the shared data lives, temporary folders, and meshes the tests build.</summary>
internal static class TestData
{
    private static readonly Lazy<string?> SharedRoot = new(FindShared);

    /// <summary>The shared data folder (../shared/data from the repository root), or null when absent.</summary>
    public static string? Shared => SharedRoot.Value;

    /// <summary>A path inside the shared data; skips the test when the shared data is absent.</summary>
    public static string SharedPath(string relative)
    {
        if (Shared is null)
        {
            Assert.Skip("shared data absent: ../shared/data next to the repository root (see DESIGN.md)");
        }
        string path = Path.Combine(Shared!, relative);
        if (!File.Exists(path) && !Directory.Exists(path))
        {
            Assert.Skip($"shared data absent: {relative} is not in {Shared}");
        }
        return path;
    }

    private static string? FindShared()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Gan3D.Native.sln")))
            {
                string shared = Path.GetFullPath(Path.Combine(dir.FullName, "..", "shared", "data"));
                return Directory.Exists(shared) ? shared : null;
            }
        }
        return null;
    }

    /// <summary>An axis-aligned box from <paramref name="min"/> to <paramref name="max"/>, 12 outward triangles.</summary>
    public static Mesh Box(Vector3 min, Vector3 max)
    {
        var p = new List<float>();
        for (int c = 0; c < 8; c++)
        {
            p.Add((c & 1) == 0 ? min.X : max.X);
            p.Add((c & 2) == 0 ? min.Y : max.Y);
            p.Add((c & 4) == 0 ? min.Z : max.Z);
        }
        int[] t =
        [
            0, 2, 1, 1, 2, 3, // z = min, normal −z
            4, 5, 6, 5, 7, 6, // z = max
            0, 1, 4, 1, 5, 4, // y = min
            2, 6, 3, 3, 6, 7, // y = max
            0, 4, 2, 2, 4, 6, // x = min
            1, 3, 5, 3, 7, 5, // x = max
        ];
        return new Mesh(p.ToArray(), t, "box");
    }

    /// <summary>A UV sphere of radius <paramref name="radius"/> at the origin with outward triangles.</summary>
    public static Mesh Sphere(float radius, int slices, int stacks, Func<Vector3, bool>? keepTriangle = null)
    {
        var p = new List<float> { 0, 0, radius };
        for (int a = 1; a < stacks; a++)
        {
            for (int b = 0; b < slices; b++)
            {
                double th = Math.PI * a / stacks, ph = 2 * Math.PI * b / slices;
                p.Add((float)(radius * Math.Sin(th) * Math.Cos(ph)));
                p.Add((float)(radius * Math.Sin(th) * Math.Sin(ph)));
                p.Add((float)(radius * Math.Cos(th)));
            }
        }
        p.AddRange([0, 0, -radius]);
        int bottom = p.Count / 3 - 1;
        int Ring(int a, int b) => 1 + (a - 1) * slices + (b % slices);
        var t = new List<int>();
        void Add(int x, int y, int z)
        {
            var centre = (At(p, x) + At(p, y) + At(p, z)) / 3;
            if (keepTriangle is null || keepTriangle(centre))
            {
                t.AddRange([x, y, z]);
            }
        }
        for (int b = 0; b < slices; b++)
        {
            Add(0, Ring(1, b), Ring(1, b + 1));
            Add(bottom, Ring(stacks - 1, b + 1), Ring(stacks - 1, b));
        }
        for (int a = 1; a < stacks - 1; a++)
        {
            for (int b = 0; b < slices; b++)
            {
                Add(Ring(a, b), Ring(a + 1, b), Ring(a + 1, b + 1));
                Add(Ring(a, b), Ring(a + 1, b + 1), Ring(a, b + 1));
            }
        }
        return new Mesh(p.ToArray(), t.ToArray(), "sphere");
    }

    private static Vector3 At(List<float> p, int v) => new(p[v * 3], p[v * 3 + 1], p[v * 3 + 2]);

    /// <summary>Every undirected edge of the mesh with how many triangles use it, and whether all pairs run opposite ways.</summary>
    public static (Dictionary<(int, int), int> Uses, bool Oriented) EdgeUse(Mesh mesh)
    {
        var uses = new Dictionary<(int, int), int>();
        var directed = new HashSet<(int, int)>();
        bool oriented = true;
        var t = mesh.Triangles;
        for (int f = 0; f < mesh.TriangleCount; f++)
        {
            for (int e = 0; e < 3; e++)
            {
                int a = t[f * 3 + e], b = t[f * 3 + (e + 1) % 3];
                var key = (Math.Min(a, b), Math.Max(a, b));
                uses[key] = uses.GetValueOrDefault(key) + 1;
                oriented &= directed.Add((a, b));
            }
        }
        return (uses, oriented);
    }
}

/// <summary>A temporary folder deleted at the end of the test.</summary>
internal sealed class TempDir : IDisposable
{
    public TempDir()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "gan3d-tests-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public string File(string name) => System.IO.Path.Combine(Path, name);

    /// <summary>Writes <paramref name="bytes"/> to a new file in the folder and returns its path.</summary>
    public string Write(string name, byte[] bytes)
    {
        string path = File(name);
        System.IO.File.WriteAllBytes(path, bytes);
        return path;
    }

    public string Write(string name, string text) => Write(name, System.Text.Encoding.ASCII.GetBytes(text));

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

/// <summary>Runs the CLI in-process and captures its output.</summary>
internal static class Cli
{
    public static (int Code, string Out, string[] ErrLines) Run(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        int code = Gan3D.Cli.CliApp.Run(args, output, error);
        var lines = error.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        return (code, output.ToString(), lines);
    }
}
