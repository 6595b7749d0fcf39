using Gan3D.Data;

namespace Gan3D.Tests.Data;

public class RenderTests
{
    [Theory]
    [InlineData(-40f)]
    [InlineData(140f)]
    [InlineData(30f)]
    [InlineData(220f)]
    public void SingleVoxelShowsThreeDistinctShadesOnGrey(float azimuth)
    {
        var grid = new VoxelGrid(3);
        grid[1, 1, 1] = true;
        var image = VoxelRenderer.Render(grid, new RenderOptions { Size = 128, Outline = false, Supersample = 1, Azimuth = azimuth });
        var (br, bg, bb) = image[0, 0];
        Assert.True(br == bg && bg == bb && br is > 60 and < 230, "the background is a mid grey");
        // Object pixels grouped by brightness: three clearly different face shades, each a real share of the cube.
        var objectPixels = new List<int>();
        for (int y = 0; y < 128; y++)
        {
            for (int x = 0; x < 128; x++)
            {
                var p = image[x, y];
                if (p != (br, bg, bb)) { objectPixels.Add(p.R + p.G + p.B); }
            }
        }
        Assert.True(objectPixels.Count > 300);
        var clusters = objectPixels.GroupBy(v => v / 24).Where(g => g.Count() > objectPixels.Count / 10).Select(g => g.Key).OrderBy(k => k).ToArray();
        Assert.Equal(3, clusters.Length);
        Assert.True(clusters[1] - clusters[0] >= 2 && clusters[2] - clusters[1] >= 2, string.Join(",", clusters));
    }

    [Fact]
    public void ProbabilitiesRenderLikeTheirThresholdedGrid()
    {
        var grid = ShapeFamilies.Generate("chair", 32, 4);
        var field = grid.ToFloats().Select(v => v * 0.7f + 0.2f).ToArray(); // 0.2 or 0.9
        var fromField = VoxelRenderer.Render(field, 32, 0.5f, new RenderOptions { Size = 64 });
        var fromGrid = VoxelRenderer.Render(grid, new RenderOptions { Size = 64 });
        Assert.Equal(fromGrid.Pixels, fromField.Pixels);
        var none = VoxelRenderer.Render(field, 32, 0.95f, new RenderOptions { Size = 64 });
        Assert.All(none.Pixels, p => Assert.Equal(200, p));
    }

    [Fact]
    public void ViewpointsDifferAndAzimuthWrapsExactly()
    {
        var grid = ShapeFamilies.Generate("chair", 32, 2);
        float[] View(float az, float el = 20, bool rgb = false) => ViewRenderer.Render(grid, new ViewOptions { Azimuth = az, Elevation = el, Rgb = rgb });
        var a = View(30);
        Assert.Equal(64 * 64, a.Length);
        Assert.NotEqual(a, View(120));
        Assert.NotEqual(a, View(30, 50));
        Assert.Equal(a, View(390));
        Assert.Equal(a, View(-330));
        Assert.Equal(a, View(30)); // deterministic
        Assert.All(a, v => Assert.InRange(v, 0f, 1f));
        Assert.Equal(0.5f, a[0]); // corner: background
        var rgb = View(30, rgb: true);
        Assert.Equal(3 * 64 * 64, rgb.Length);
        // Planar: the red plane differs from the blue plane on the (clay-coloured) shape.
        Assert.True(Enumerable.Range(0, 4096).Count(n => rgb[n] > rgb[2 * 4096 + n] + 0.1f) > 100);
    }

    [Fact]
    public void AzimuthZeroLooksAtTheFrontFromMinusY()
    {
        // Axis convention check: at azimuth 0 the camera is on −y looking at the front, so the
        // left of the image is −x. A shape with a block only at high x appears on the right.
        var grid = new VoxelGrid(8);
        for (int j = 0; j < 8; j++) { for (int k = 0; k < 8; k++) { grid[7, j, k] = true; } }
        var image = ViewRenderer.Render(grid, new ViewOptions { Azimuth = 0, Elevation = 0, Width = 32, Height = 32 });
        // 8 voxels at 32 / (8·√3) · 0.98 ≈ 2.26 px each, centred: voxel column 7 lands near pixel 23, column 0 near 8.
        float left = Enumerable.Range(0, 32).Sum(y => image[y * 32 + 8]);
        float right = Enumerable.Range(0, 32).Sum(y => image[y * 32 + 23]);
        Assert.Equal(0.5f * 32, left, 3);
        Assert.NotEqual(0.5f * 32, right, 3);
        // Azimuth 90 puts the camera on +x: the slab faces the camera and fills the middle.
        var side = ViewRenderer.Render(grid, new ViewOptions { Azimuth = 90, Elevation = 0, Width = 32, Height = 32 });
        Assert.NotEqual(0.5f, side[16 * 32 + 16]);
        Assert.NotEqual(0.5f, side[16 * 32 + 10]);
        // Azimuth −90 (camera on −x) sees the slab's back through the empty grid: the same outline.
        var other = ViewRenderer.Render(grid, new ViewOptions { Azimuth = -90, Elevation = 0, Width = 32, Height = 32 });
        Assert.NotEqual(0.5f, other[16 * 32 + 16]);
    }

    [Fact]
    public void ViewRenderingIntoABufferAllocatesNothingAndRepeatsExactly()
    {
        // The VAE-GAN renders a view per training pair per step; the speed is in gan3d-bench data.
        var grid = ShapeFamilies.Generate("table", 32, 1);
        var options = new ViewOptions();
        var first = new float[options.OutputLength];
        var buffer = new float[options.OutputLength];
        ViewRenderer.Render(grid.Voxels, 32, options, first);
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int n = 0; n < 10; n++)
        {
            ViewRenderer.Render(grid.Voxels, 32, options, buffer);
        }
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.Equal(first, buffer);
    }

    [Fact]
    public void MontageHasLabelsCaptionsAndLayout()
    {
        var data = ShapeFamilies.CreateDataset(2, 16, 0, ["chair", "lamp"]);
        var options = new MontageOptions { Columns = 3, TileSize = 64 };
        var image = Montage.Create(data, [0, 1, 2, 3], options);
        // 3 columns × 2 rows of 64 px tiles with 2 px gaps; captions add a strip (font scale 1 at 64 px: 7 + 6).
        Assert.Equal(3 * 64 + 4 * 2, image.Width);
        Assert.Equal(2 * (64 + 13) + 3 * 2, image.Height);
        var unlabelled = Montage.Create(data, [0, 1, 2, 3], options with { ShowLabels = false });
        Assert.NotEqual(image.Pixels, unlabelled.Pixels);
        // The label "3" of the fourth tile (row 1, column 0) is drawn in its top-left corner.
        int dark = 0;
        for (int y = 79 + 3; y < 79 + 10; y++) { for (int x = 5; x < 10; x++) { if (image[x, y].R < 60) { dark++; } } }
        Assert.True(dark >= 8, $"{dark} dark pixels where the label should be");
    }

    [Fact]
    public void FontHasDigitsAndLettersAndPngsRoundTrip()
    {
        Assert.All("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabc-_.:/#", c => Assert.True(BitmapFont.HasGlyph(c)));
        var a = new RgbImage(40, 10);
        var b = new RgbImage(40, 10);
        BitmapFont.Draw(a, 1, 1, "12", 1, (255, 255, 255));
        BitmapFont.Draw(b, 1, 1, "17", 1, (255, 255, 255));
        Assert.NotEqual(a.Pixels, b.Pixels);
        Assert.Equal(11, BitmapFont.MeasureWidth("12", 1));

        using var dir = new TempDir();
        var render = VoxelRenderer.Render(ShapeFamilies.Generate("sofa", 16, 0), new RenderOptions { Size = 48 });
        render.SavePng(dir.File("s.png"));
        Assert.Equal(("png", 48, 48), ImageFile.ReadHeader(dir.File("s.png")));
        var back = ImageFile.Read(dir.File("s.png"), 48, 48, rgb: true);
        for (int n = 0; n < 48 * 48; n++)
        {
            Assert.Equal(render.Pixels[n * 3] / 255f, back[n], 4);
            Assert.Equal(render.Pixels[n * 3 + 2] / 255f, back[2 * 48 * 48 + n], 4);
        }
    }
}
