using System.Diagnostics;
using Gan3D.Data;
using Gan3D.Models;

namespace Gan3D.Tests.Cli;

/// <summary>
/// The report in a real browser: Debian's chromium, headless, WebGL on SwiftShader (software), no
/// network. The page must say it drew (data-rendered="true" in the DOM) and the screenshot's 3D view
/// must hold the shape's clay colour. In CI (CI=true) a missing chromium fails; elsewhere it skips.
/// </summary>
public sealed class ReportBrowserTests : IDisposable
{
    private static readonly TimeSpan BrowserTimeout = TimeSpan.FromSeconds(120);

    private readonly string _dir = Directory.CreateTempSubdirectory("gan3d-browser-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static string? FindChromium()
    {
        string[] names = ["chromium", "chromium-browser"];
        var dirs = new List<string> { "/usr/bin" };
        dirs.AddRange((Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries));
        return dirs.SelectMany(d => names.Select(n => Path.Combine(d, n))).FirstOrDefault(File.Exists);
    }

    private static string RequireChromium()
    {
        string? chromium = FindChromium();
        if (chromium is not null)
        {
            return chromium;
        }
        if (Environment.GetEnvironmentVariable("CI") == "true")
        {
            Assert.Fail("CI=true but no chromium on this machine: .ci/run installs it (apt-get install -y chromium)");
        }
        Assert.Skip("chromium is not installed (apt-get install -y chromium): the browser tests need it");
        return "";
    }

    /// <summary>Runs chromium headless on <paramref name="url"/> with a fresh profile; returns its standard output.</summary>
    private string Browse(string chromium, string url, params string[] extra)
    {
        var start = new ProcessStartInfo(chromium)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string arg in new[]
        {
            "--headless=new", "--no-sandbox", "--enable-unsafe-swiftshader", "--use-angle=swiftshader",
            "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
            "--disable-default-apps", "--hide-scrollbars", "--window-size=1280,900", "--virtual-time-budget=10000",
            "--user-data-dir=" + Path.Combine(_dir, "profile-" + Guid.NewGuid().ToString("N")),
        }.Concat(extra).Append(url))
        {
            start.ArgumentList.Add(arg);
        }
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(BrowserTimeout))
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
            Assert.Fail($"chromium ran past {BrowserTimeout.TotalSeconds} s on {url} and was killed");
        }
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"chromium exit code {process.ExitCode}: {stderr.Result}");
        return stdout.Result;
    }

    private string Report() => Report(out _);

    private string Report(out float[] probabilities)
    {
        string run = Path.Combine(_dir, "run");
        probabilities = ReportTestRuns.Make(run);
        return new Uri(RunReport.Write(run)).AbsoluteUri;
    }

    /// <summary>
    /// The share of the 3D view's pixels that are the shapes' clay colour (reddish, not grey). The view
    /// is the bounding box of the large connected regions of its background colour #eef0f3 (the
    /// bounding cube's lines cut it into several; borders elsewhere on the page blend to that colour
    /// too, but only in thin lines).
    /// </summary>
    private static double ClayShareOfTheView(string png)
    {
        var (_, w, h) = ImageFile.ReadHeader(png);
        var rgb = ImageFile.Read(png, w, h, rgb: true);
        int plane = w * h;
        byte C(int c, int n) => (byte)Math.Round(rgb[c * plane + n] * 255);
        var background = new bool[plane];
        for (int n = 0; n < plane; n++)
        {
            background[n] = Math.Abs(C(0, n) - 238) <= 2 && Math.Abs(C(1, n) - 240) <= 2 && Math.Abs(C(2, n) - 243) <= 2;
        }
        var component = new int[plane];
        int x0 = w, y0 = h, x1 = -1, y1 = -1;
        var queue = new Queue<int>();
        for (int seed = 0, label = 0; seed < plane; seed++)
        {
            if (!background[seed] || component[seed] != 0)
            {
                continue;
            }
            label++;
            int size = 0, ax0 = w, ay0 = h, ax1 = -1, ay1 = -1;
            component[seed] = label;
            queue.Enqueue(seed);
            while (queue.TryDequeue(out int n))
            {
                int x = n % w, y = n / w;
                size++;
                (ax0, ay0, ax1, ay1) = (Math.Min(ax0, x), Math.Min(ay0, y), Math.Max(ax1, x), Math.Max(ay1, y));
                foreach (int m in new[] { x > 0 ? n - 1 : -1, x < w - 1 ? n + 1 : -1, y > 0 ? n - w : -1, y < h - 1 ? n + w : -1 })
                {
                    if (m >= 0 && background[m] && component[m] == 0)
                    {
                        component[m] = label;
                        queue.Enqueue(m);
                    }
                }
            }
            if (size > plane / 100)
            {
                (x0, y0, x1, y1) = (Math.Min(x0, ax0), Math.Min(y0, ay0), Math.Max(x1, ax1), Math.Max(y1, ay1));
            }
        }
        Assert.True(x1 - x0 > w / 5 && y1 - y0 > h / 5, $"no 3D view found in {png} (background box {x0},{y0}–{x1},{y1})");
        int clay = 0;
        for (int y = y0; y <= y1; y++)
        {
            for (int x = x0; x <= x1; x++)
            {
                int n = y * w + x;
                if (C(0, n) > 90 && C(0, n) - C(2, n) > 40)
                {
                    clay++;
                }
            }
        }
        return (double)clay / ((x1 - x0 + 1) * (y1 - y0 + 1));
    }

    [Fact]
    public void TheViewerDrawsVoxelsAndMarchingCubesInHeadlessChromium()
    {
        string chromium = RequireChromium();
        string url = Report(out var probabilities);
        const int vox = 32 * 32 * 32;

        string dom = Browse(chromium, url, "--dump-dom");
        Assert.Contains("data-rendered=\"true\"", dom);
        Assert.Contains("sample 1 of 16", dom);
        // The page's voxel surface has the faces of the engine's exact voxel blocks.
        var first = VoxelGrid.FromProbabilities(probabilities.AsSpan(0, vox), 32, 0.5f);
        Assert.Contains($"{MarchingCubes.Cubes(first).TriangleCount / 2:N0} faces · ", dom);

        string voxels = Path.Combine(_dir, "voxels.png");
        Browse(chromium, url, "--screenshot=" + voxels);
        double voxelShare = ClayShareOfTheView(voxels);
        Assert.True(voxelShare > 0.01, $"the 3D view is {voxelShare:P2} clay: it drew nothing");

        // Another sample, as a smooth mesh at another threshold, from the page's link parameters.
        string mesh = Path.Combine(_dir, "mesh.png");
        string meshDom = Browse(chromium, url + "#sample=5&mode=mesh&threshold=0.3", "--dump-dom");
        Assert.Contains("data-rendered=\"true\"", meshDom);
        Assert.Contains("sample 5 of 16", meshDom);
        // and its marching cubes the engine's triangles (the page cuts them from byte-quantised values).
        var fifth = probabilities.AsSpan(4 * vox, vox).ToArray().Select(p => MathF.Round(p * 255) / 255).ToArray();
        Assert.Contains($"{MarchingCubes.Extract(fifth, 32, 0.3f).TriangleCount:N0} triangles · ", meshDom);
        Browse(chromium, url + "#sample=5&mode=mesh&threshold=0.3", "--screenshot=" + mesh);
        double meshShare = ClayShareOfTheView(mesh);
        Assert.True(meshShare > 0.01, $"the mesh view is {meshShare:P2} clay: it drew nothing");
        Assert.NotEqual(File.ReadAllBytes(voxels), File.ReadAllBytes(mesh));
    }

    [Fact]
    public void KeysPickAndRecutTheShapeAndDragWheelAndArrowsTurnAndZoomIt()
    {
        string chromium = RequireChromium();
        string html = File.ReadAllText(new Uri(Report()).LocalPath);
        // The page with input events played in after it started: keys that pick sample 3 as a mesh, then one more input.
        const string keys = "const c = document.getElementById('viewer');" +
            "for (const key of ['n', 'n', 'm']) document.body.dispatchEvent(new KeyboardEvent('keydown', { key: key, bubbles: true }));";
        string Shot(string name, string script)
        {
            string page = Path.Combine(_dir, name + ".html"), png = Path.Combine(_dir, name + ".png");
            File.WriteAllText(page, html.Replace("</body>", "<script>" + keys + script + "</script></body>", StringComparison.Ordinal));
            Browse(chromium, new Uri(page).AbsoluteUri, "--screenshot=" + png);
            return png;
        }

        string still = Shot("keys", "");
        string dom = Browse(chromium, new Uri(Path.Combine(_dir, "keys.html")).AbsoluteUri, "--dump-dom");
        Assert.Contains("sample 3 of 16", dom);
        Assert.Contains("triangles · ", dom);
        string wheel = Shot("wheel", "c.dispatchEvent(new WheelEvent('wheel', { deltaY: -400, bubbles: true, cancelable: true }));");
        string drag = Shot("drag", "c.dispatchEvent(new PointerEvent('pointerdown', { clientX: 100, clientY: 100, pointerId: 1, bubbles: true }));" +
            "c.dispatchEvent(new PointerEvent('pointermove', { clientX: 160, clientY: 140, pointerId: 1, bubbles: true }));" +
            "c.dispatchEvent(new PointerEvent('pointerup', { clientX: 160, clientY: 140, pointerId: 1, bubbles: true }));");
        string arrows = Shot("arrows", "for (let i = 0; i < 4; i++) c.dispatchEvent(new KeyboardEvent('keydown', { key: 'ArrowRight', bubbles: true }));");

        double before = ClayShareOfTheView(still), zoomed = ClayShareOfTheView(wheel);
        Assert.True(before > 0.01, $"{before:P2} clay before any input");
        // The wheel moved the camera to 0.67 of its distance: the shape covers about twice the area.
        Assert.True(zoomed > 1.5 * before, $"{before:P2} clay before the wheel, {zoomed:P2} after");
        Assert.True(ChangedShare(still, drag) > 0.01, "the drag did not turn the shape");
        Assert.True(ChangedShare(still, arrows) > 0.01, "the arrow keys did not turn the shape");
    }

    /// <summary>The share of pixels that differ between two screenshots of one size.</summary>
    private static double ChangedShare(string a, string b)
    {
        var (_, w, h) = ImageFile.ReadHeader(a);
        var x = ImageFile.Read(a, w, h, rgb: true);
        var y = ImageFile.Read(b, w, h, rgb: true);
        int changed = 0, plane = w * h;
        for (int n = 0; n < plane; n++)
        {
            if (Math.Abs(x[n] - y[n]) + Math.Abs(x[plane + n] - y[plane + n]) + Math.Abs(x[2 * plane + n] - y[2 * plane + n]) > 0.05f)
            {
                changed++;
            }
        }
        return (double)changed / plane;
    }

    [Fact]
    public void WithoutWebGlThePageDoesNotClaimToHaveDrawn()
    {
        // The checks above can fail: with WebGL off the page says so, and the view holds no shape.
        string chromium = RequireChromium();
        string url = Report();
        string dom = Browse(chromium, url, "--disable-webgl", "--dump-dom");
        Assert.DoesNotContain("data-rendered", dom);
        Assert.Contains("no WebGL context", dom);
        string shot = Path.Combine(_dir, "off.png");
        Browse(chromium, url, "--disable-webgl", "--screenshot=" + shot);
        Assert.True(ClayShareOfTheView(shot) < 0.001);
    }
}
