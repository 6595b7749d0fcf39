using System.Globalization;
using System.Net;
using System.Reflection;
using System.Text;
using System.Text.Json;
using Gan3D.Data;
using Gan3D.Tensors;

namespace Gan3D.Models;

/// <summary>
/// The run report: one self-contained HTML file (no network, no server) that shows a run folder of
/// <c>gan3d train</c>: its settings, loss and D-accuracy curves from metrics.csv (with the steps where
/// the 80% rule skipped D's update), the latest samples as interactive WebGL views with a threshold
/// slider, the <c>eval</c> results when the folder has them, and for a 3D-VAE-GAN input views beside
/// their reconstructions. The page and viewer are embedded resources (Reporting/report.html, .js,
/// .css); the data goes in as one JSON block, the samples' probabilities quantised to bytes, base64.
/// </summary>
public static class RunReport
{
    /// <summary>The report's file name in a run folder.</summary>
    public const string FileName = "report.html";

    /// <summary>Samples shown at most (a run writes 16).</summary>
    public const int MaxSamples = 64;

    /// <summary>Points a metrics curve keeps at most; longer runs are averaged in equal buckets of steps.</summary>
    public const int MaxCurvePoints = 1500;

    /// <summary>Side of the sample thumbnails in pixels.</summary>
    private const int ThumbnailSize = 112;

    /// <summary>Writes the report of <paramref name="runDirectory"/> to <paramref name="outputPath"/> (default RUN/report.html), atomically; returns the path.</summary>
    /// <param name="runDirectory">A run folder of <c>gan3d train</c>.</param>
    /// <param name="outputPath">The HTML file to write; null for <see cref="FileName"/> in the run folder.</param>
    /// <param name="backend">Where to decode samples (from the checkpoint, when samples/final.npy is missing or older) and reconstructions; null: the CPU.</param>
    public static string Write(string runDirectory, string? outputPath = null, IBackend? backend = null)
    {
        string html = Build(runDirectory, backend);
        string path = outputPath ?? Path.Combine(runDirectory, FileName);
        AtomicFile.WriteAllText(path, html);
        return path;
    }

    /// <summary>
    /// Writes RUN/report.html and prints where, or prints one warning line on any failure: a report
    /// must never fail the training that asked for it.
    /// </summary>
    public static bool TryWrite(string runDirectory, TextWriter log, IBackend? backend = null)
    {
        try
        {
            string path = Write(runDirectory, null, backend);
            log.WriteLine($"report: {path}");
            return true;
        }
#pragma warning disable CA1031 // Any failure becomes a warning; the run's own files are already written.
        catch (Exception e)
#pragma warning restore CA1031
        {
            log.WriteLine($"warning: no report written: {e.Message}");
            return false;
        }
    }

    /// <summary>The HTML of the report of <paramref name="runDirectory"/>.</summary>
    public static string Build(string runDirectory, IBackend? backend = null)
    {
        string dir = Path.GetFullPath(runDirectory);
        if (!Directory.Exists(dir))
        {
            throw new DirectoryNotFoundException($"{runDirectory}: no such run folder");
        }
        backend ??= CpuBackend.Default;
        var samples = RunSamples.Load(dir, backend);

        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("run", Path.GetFileName(dir));
            json.WriteString("generated", DateTime.UtcNow.ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture));
            WriteJsonFile(json, "config", Path.Combine(dir, "config.json"));
            WriteMetrics(json, Path.Combine(dir, "metrics.csv"));
            WriteSamples(json, samples);
            WriteCaseTable(json);
            WriteJsonFile(json, "eval", Path.Combine(dir, "eval.json"));
            WriteJsonFile(json, "evalReconstruction", Path.Combine(dir, "eval-reconstruction.json"));
            if (samples.Model == VaeGanTrainer.Model)
            {
                RunReconstructions.Write(json, dir, backend);
            }
            json.WriteEndObject();
        }
        string data = Encoding.UTF8.GetString(buffer.ToArray());
        return Fill(Resource("report.html"),
            ("{{TITLE}}", WebUtility.HtmlEncode($"gan3d report: {Path.GetFileName(dir)}")),
            ("/*{{CSS}}*/", Resource("report.css")),
            ("{{DATA}}", data),
            ("/*{{JS}}*/", Resource("report.js")));
    }

    /// <summary>
    /// The template with each marker replaced once, where the template has it: values are never
    /// searched, so a run folder whose name or files hold a marker's text cannot move anything.
    /// </summary>
    private static string Fill(string template, params (string Marker, string Value)[] parts)
    {
        var at = parts.Select(p => (p.Marker, p.Value, Index: template.IndexOf(p.Marker, StringComparison.Ordinal))).OrderBy(p => p.Index).ToArray();
        var html = new StringBuilder(template.Length + at.Sum(p => p.Value.Length));
        int from = 0;
        foreach (var (marker, value, index) in at)
        {
            if (index < 0)
            {
                throw new InvalidOperationException($"the report template has no {marker}");
            }
            html.Append(template, from, index - from).Append(value);
            from = index + marker.Length;
        }
        return html.Append(template, from, template.Length - from).ToString();
    }

    private static string Resource(string name)
    {
        var assembly = typeof(RunReport).Assembly;
        using var stream = assembly.GetManifestResourceStream("Gan3D.Models.Reporting." + name)
            ?? throw new InvalidOperationException($"the report resource {name} is missing from {assembly.GetName().Name}");
        using var reader = new StreamReader(stream, Encoding.UTF8);
        return reader.ReadToEnd();
    }

    /// <summary>A JSON file of the run copied in (re-encoded, so '&lt;' cannot end the script block); null when absent.</summary>
    private static void WriteJsonFile(Utf8JsonWriter json, string name, string path)
    {
        json.WritePropertyName(name);
        if (!File.Exists(path))
        {
            json.WriteNullValue();
            return;
        }
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(path));
            doc.RootElement.WriteTo(json);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: not valid JSON ({e.Message})", e);
        }
    }

    /// <summary>
    /// metrics.csv as columns: "step" and each metric, non-finite values as null. Runs longer than
    /// <see cref="MaxCurvePoints"/> steps are averaged in equal buckets (d_updated becomes the share of
    /// updated steps in each, so skipped updates stay visible).
    /// </summary>
    private static void WriteMetrics(Utf8JsonWriter json, string path)
    {
        json.WritePropertyName("metrics");
        if (!File.Exists(path))
        {
            json.WriteNullValue();
            return;
        }
        var lines = File.ReadAllLines(path);
        if (lines.Length == 0)
        {
            json.WriteNullValue();
            return;
        }
        var columns = lines[0].Split(',');
        var rows = new List<double[]>(lines.Length);
        for (int i = 1; i < lines.Length; i++)
        {
            if (lines[i].Length == 0)
            {
                continue;
            }
            var cells = lines[i].Split(',');
            if (cells.Length != columns.Length)
            {
                throw new InvalidDataException($"{path}:{i + 1}: {cells.Length} values for {columns.Length} columns");
            }
            var row = new double[cells.Length];
            for (int c = 0; c < cells.Length; c++)
            {
                if (!double.TryParse(cells[c], NumberStyles.Float, CultureInfo.InvariantCulture, out row[c]))
                {
                    throw new InvalidDataException($"{path}:{i + 1}: '{cells[c]}' is not a number");
                }
            }
            rows.Add(row);
        }
        int bucket = Math.Max(1, (rows.Count + MaxCurvePoints - 1) / MaxCurvePoints);
        json.WriteStartObject();
        json.WriteNumber("steps", rows.Count);
        json.WriteNumber("bucket", bucket);
        for (int c = 0; c < columns.Length; c++)
        {
            json.WriteStartArray(columns[c]);
            for (int start = 0; start < rows.Count; start += bucket)
            {
                int end = Math.Min(rows.Count, start + bucket);
                double value;
                if (c == 0)
                {
                    value = rows[end - 1][0];
                }
                else
                {
                    double sum = 0;
                    int n = 0;
                    for (int r = start; r < end; r++)
                    {
                        if (double.IsFinite(rows[r][c]))
                        {
                            sum += rows[r][c];
                            n++;
                        }
                    }
                    value = n > 0 ? sum / n : double.NaN;
                }
                if (double.IsFinite(value))
                {
                    // Five significant digits: the curves need no more, and the file stays small.
                    json.WriteNumberValue(double.Parse(value.ToString("G5", CultureInfo.InvariantCulture), CultureInfo.InvariantCulture));
                }
                else
                {
                    json.WriteNullValue();
                }
            }
            json.WriteEndArray();
        }
        json.WriteEndObject();
    }

    /// <summary>The samples: probabilities quantised to bytes (round(p·255)), base64, and a thumbnail of each at threshold 0.5.</summary>
    private static void WriteSamples(Utf8JsonWriter json, RunSamples samples)
    {
        int r = samples.Resolution, vox = r * r * r;
        json.WriteStartObject("samples");
        json.WriteString("model", samples.Model);
        json.WriteString("source", samples.Source);
        if (samples.Step is { } step)
        {
            json.WriteNumber("step", step);
        }
        json.WriteNumber("resolution", r);
        json.WriteNumber("count", samples.Count);
        json.WriteString("probabilities", Convert.ToBase64String(Quantise(samples.Probabilities.AsSpan(0, samples.Count * vox))));
        json.WriteStartArray("thumbnails");
        for (int i = 0; i < samples.Count; i++)
        {
            json.WriteStringValue(Thumbnail(samples.Probabilities.AsSpan(i * vox, vox), r));
        }
        json.WriteEndArray();
        json.WriteEndObject();
    }

    /// <summary>Probabilities in [0, 1] to bytes 0..255 (NaN as 0).</summary>
    internal static byte[] Quantise(ReadOnlySpan<float> probabilities)
    {
        var bytes = new byte[probabilities.Length];
        for (int i = 0; i < bytes.Length; i++)
        {
            float p = probabilities[i];
            bytes[i] = float.IsNaN(p) ? (byte)0 : (byte)Math.Clamp((int)MathF.Round(p * 255f), 0, 255);
        }
        return bytes;
    }

    /// <summary>A small picture of a grid at threshold 0.5, as a PNG data URL.</summary>
    internal static string Thumbnail(ReadOnlySpan<float> probabilities, int r) =>
        PngDataUrl(VoxelRenderer.Render(probabilities, r, 0.5f, new RenderOptions { Size = ThumbnailSize, Background = 255 }));

    internal static string PngDataUrl(RgbImage image) => "data:image/png;base64," + Convert.ToBase64String(image.EncodePng());

    /// <summary>The marching-cubes case table, so the page cuts the same smooth surface as the meshes/*.obj files at any threshold.</summary>
    private static void WriteCaseTable(Utf8JsonWriter json)
    {
        var table = MarchingCubes.CaseTable;
        json.WritePropertyName("marchingCubes");
        JsonSerializer.Serialize(json, new { triangles = table.Triangles, loops = table.CentreLoops, edges = table.EdgeCorners, centre = table.Centre });
    }
}
