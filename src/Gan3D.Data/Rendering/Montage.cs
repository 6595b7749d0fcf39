namespace Gan3D.Data;

/// <summary>Settings for <see cref="Montage"/>.</summary>
public sealed record MontageOptions
{
    /// <summary>Tiles per row; 0 picks ⌈√n⌉ (default).</summary>
    public int Columns { get; init; }

    /// <summary>Tile width and height in pixels (default 160).</summary>
    public int TileSize { get; init; } = 160;

    /// <summary>Numbers printed at each tile's top-left corner; null numbers the tiles 0, 1, 2...</summary>
    public IReadOnlyList<int>? Labels { get; init; }

    /// <summary>Print the numbers at all (default true).</summary>
    public bool ShowLabels { get; init; } = true;

    /// <summary>Optional text under each tile (e.g. the family name).</summary>
    public IReadOnlyList<string>? Captions { get; init; }

    /// <summary>How each tile is rendered (its Size is replaced by <see cref="TileSize"/>).</summary>
    public RenderOptions Render { get; init; } = new();

    /// <summary>Called after each tile (tiles done, total), for progress output.</summary>
    public Action<int, int>? Progress { get; init; }
}

/// <summary>A grid of <see cref="VoxelRenderer"/> tiles with index labels and optional captions.</summary>
public static class Montage
{
    private const int Gap = 2;

    /// <summary>Renders <paramref name="grids"/> into one image, row by row.</summary>
    public static RgbImage Create(IReadOnlyList<VoxelGrid> grids, MontageOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(grids);
        if (grids.Count == 0)
        {
            throw new ArgumentException("a montage needs at least one grid", nameof(grids));
        }
        options ??= new MontageOptions();
        int n = grids.Count;
        int columns = options.Columns > 0 ? Math.Min(options.Columns, n) : (int)Math.Ceiling(Math.Sqrt(n));
        int rows = (n + columns - 1) / columns;
        int tile = Math.Clamp(options.TileSize, 32, 1024);
        int scale = tile >= 200 ? 3 : tile >= 96 ? 2 : 1;
        int captionHeight = options.Captions is null ? 0 : BitmapFont.GlyphHeight * scale + 6;
        int cellH = tile + captionHeight;
        var image = new RgbImage(columns * tile + (columns + 1) * Gap, rows * cellH + (rows + 1) * Gap);
        image.Fill(150, 150, 150);
        var render = options.Render with { Size = tile };
        var tiles = new RgbImage[n];
        int done = 0;
        Parallel.For(0, n, i =>
        {
            tiles[i] = VoxelRenderer.Render(grids[i], render);
            int now = Interlocked.Increment(ref done);
            options.Progress?.Invoke(now, n);
        });
        byte bg = render.Background;
        for (int i = 0; i < n; i++)
        {
            int x = Gap + (i % columns) * (tile + Gap);
            int y = Gap + (i / columns) * (cellH + Gap);
            image.Blit(tiles[i], x, y);
            if (captionHeight > 0)
            {
                var strip = new RgbImage(tile, captionHeight);
                strip.Fill(bg, bg, bg);
                image.Blit(strip, x, y + tile);
                string caption = i < options.Captions!.Count ? options.Captions[i] : "";
                int maxChars = Math.Max(1, (tile - 4) / (BitmapFont.Advance * scale));
                if (caption.Length > maxChars)
                {
                    caption = caption[..maxChars];
                }
                int tx = x + (tile - BitmapFont.MeasureWidth(caption, scale)) / 2;
                BitmapFont.Draw(image, tx, y + tile + 2, caption, scale, (40, 40, 40));
            }
            if (options.ShowLabels)
            {
                string label = (options.Labels is { } labels && i < labels.Count ? labels[i] : i).ToString(System.Globalization.CultureInfo.InvariantCulture);
                BitmapFont.Draw(image, x + 3 * scale, y + 3 * scale, label, scale, (30, 30, 30));
            }
        }
        return image;
    }

    /// <summary>Renders the grids of <paramref name="dataset"/> at <paramref name="indices"/>, labelled with those indices (and captioned with the dataset's labels when it has them, unless options say otherwise).</summary>
    public static RgbImage Create(VoxelDataset dataset, IReadOnlyList<int> indices, MontageOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        ArgumentNullException.ThrowIfNull(indices);
        options ??= new MontageOptions();
        var grids = indices.Select(dataset.GetGrid).ToArray();
        options = options with
        {
            Labels = options.Labels ?? indices,
            Captions = options.Captions ?? (dataset.Labels is null ? null : indices.Select(i => dataset.Labels[i]).ToArray()),
        };
        return Create(grids, options);
    }
}
