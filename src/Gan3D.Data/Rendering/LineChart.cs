using System.Globalization;

namespace Gan3D.Data;

/// <summary>One line of a chart: y against x, drawn in one colour.</summary>
public sealed record ChartSeries(string Name, IReadOnlyList<double> X, IReadOnlyList<double> Y, (byte R, byte G, byte B) Color);

/// <summary>One panel of a chart: a title, its series, and optionally fixed y limits.</summary>
public sealed record ChartPanel(string Title, IReadOnlyList<ChartSeries> Series, double? YMin = null, double? YMax = null);

/// <summary>
/// Plots panels of line series stacked vertically (losses.png of a training run): axes with min/max
/// labels, a legend per panel, lines drawn as connected segments. Non-finite values are skipped.
/// </summary>
public static class LineChart
{
    private static readonly (byte, byte, byte) Background = (255, 255, 255);
    private static readonly (byte, byte, byte) Axis = (60, 60, 60);
    private static readonly (byte, byte, byte) Grid = (225, 225, 225);

    /// <summary>Colours for series, in order: blue, orange, green, red, purple, brown.</summary>
    public static readonly (byte R, byte G, byte B)[] Palette =
        [(31, 119, 180), (255, 127, 14), (44, 160, 44), (214, 39, 40), (148, 103, 189), (140, 86, 75)];

    public static RgbImage Render(IReadOnlyList<ChartPanel> panels, int width = 900, int panelHeight = 260, string xLabel = "STEP")
    {
        if (panels.Count == 0)
        {
            throw new ArgumentException("a chart needs at least one panel", nameof(panels));
        }
        var image = new RgbImage(width, panelHeight * panels.Count);
        image.Fill(Background.Item1, Background.Item2, Background.Item3);
        for (int p = 0; p < panels.Count; p++)
        {
            DrawPanel(image, panels[p], 0, p * panelHeight, width, panelHeight, p == panels.Count - 1 ? xLabel : null);
        }
        return image;
    }

    private static void DrawPanel(RgbImage img, ChartPanel panel, int x0, int y0, int w, int h, string? xLabel)
    {
        const int scale = 2;
        int left = x0 + 90, right = x0 + w - 20, top = y0 + 34, bottom = y0 + h - 34;
        BitmapFont.Draw(img, left, y0 + 8, panel.Title.ToUpperInvariant(), scale, Axis);

        var points = panel.Series.SelectMany(s => s.X.Zip(s.Y)).Where(t => double.IsFinite(t.First) && double.IsFinite(t.Second)).ToList();
        double xmin = points.Count > 0 ? points.Min(t => t.First) : 0, xmax = points.Count > 0 ? points.Max(t => t.First) : 1;
        double ymin = panel.YMin ?? (points.Count > 0 ? points.Min(t => t.Second) : 0);
        double ymax = panel.YMax ?? (points.Count > 0 ? points.Max(t => t.Second) : 1);
        if (xmax <= xmin)
        {
            xmax = xmin + 1;
        }
        if (ymax <= ymin)
        {
            (ymin, ymax) = (ymin - 0.5, ymax + 0.5);
        }

        for (int i = 0; i <= 4; i++)
        {
            int gy = bottom - (bottom - top) * i / 4;
            Line(img, left, gy, right, gy, Grid);
            string label = Format(ymin + (ymax - ymin) * i / 4);
            BitmapFont.Draw(img, left - 8 - BitmapFont.MeasureWidth(label, scale), gy - 7, label, scale, Axis);
        }
        Line(img, left, top, left, bottom, Axis);
        Line(img, left, bottom, right, bottom, Axis);
        BitmapFont.Draw(img, left, bottom + 8, Format(xmin), scale, Axis);
        string xmaxLabel = Format(xmax);
        BitmapFont.Draw(img, right - BitmapFont.MeasureWidth(xmaxLabel, scale), bottom + 8, xmaxLabel, scale, Axis);
        if (xLabel is not null)
        {
            BitmapFont.Draw(img, (left + right - BitmapFont.MeasureWidth(xLabel, scale)) / 2, bottom + 8, xLabel, scale, Axis);
        }

        int legendX = right;
        foreach (var s in panel.Series.Reverse())
        {
            string name = s.Name.ToUpperInvariant();
            legendX -= BitmapFont.MeasureWidth(name, scale) + 36;
            for (int t = 0; t < 4; t++)
            {
                Line(img, legendX, y0 + 14 + t, legendX + 20, y0 + 14 + t, s.Color);
            }
            BitmapFont.Draw(img, legendX + 26, y0 + 8, name, scale, Axis);
        }

        foreach (var s in panel.Series)
        {
            int? px = null, py = null;
            for (int i = 0; i < Math.Min(s.X.Count, s.Y.Count); i++)
            {
                if (!double.IsFinite(s.X[i]) || !double.IsFinite(s.Y[i]))
                {
                    px = null;
                    continue;
                }
                int cx = left + (int)Math.Round((s.X[i] - xmin) / (xmax - xmin) * (right - left));
                int cy = bottom - (int)Math.Round((Math.Clamp(s.Y[i], ymin, ymax) - ymin) / (ymax - ymin) * (bottom - top));
                if (px is not null)
                {
                    Line(img, px.Value, py!.Value, cx, cy, s.Color);
                    Line(img, px.Value, py.Value + 1, cx, cy + 1, s.Color);
                }
                (px, py) = (cx, cy);
            }
        }
    }

    private static string Format(double v)
    {
        double a = Math.Abs(v);
        string s = a >= 1000 || a == Math.Round(a) ? v.ToString("0", CultureInfo.InvariantCulture)
            : a >= 10 ? v.ToString("0.0", CultureInfo.InvariantCulture)
            : a >= 0.01 ? v.ToString("0.00", CultureInfo.InvariantCulture)
            : v.ToString("0.0E+0", CultureInfo.InvariantCulture);
        return s;
    }

    /// <summary>Bresenham's line, clipped to the image.</summary>
    private static void Line(RgbImage img, int x0, int y0, int x1, int y1, (byte, byte, byte) c)
    {
        int dx = Math.Abs(x1 - x0), sx = x0 < x1 ? 1 : -1;
        int dy = -Math.Abs(y1 - y0), sy = y0 < y1 ? 1 : -1;
        int err = dx + dy;
        while (true)
        {
            if ((uint)x0 < (uint)img.Width && (uint)y0 < (uint)img.Height)
            {
                img[x0, y0] = c;
            }
            if (x0 == x1 && y0 == y1)
            {
                break;
            }
            int e2 = 2 * err;
            if (e2 >= dy)
            {
                err += dy;
                x0 += sx;
            }
            if (e2 <= dx)
            {
                err += dx;
                y0 += sy;
            }
        }
    }
}
