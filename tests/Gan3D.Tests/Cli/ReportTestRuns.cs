using System.Globalization;
using System.Text;
using System.Text.Json;
using Gan3D.Data;

namespace Gan3D.Tests.Cli;

/// <summary>Run folders made without training, and ways to read a report back, for the report tests.</summary>
internal static class ReportTestRuns
{
    public const string MetricsHeader = "step,loss_d,loss_g,d_accuracy,d_accuracy_real,d_accuracy_fake,d_updated,d_update_fraction,seconds";

    /// <summary>
    /// A run folder as 'gan3d train' leaves it, with built-in shapes standing in for G's samples
    /// (probabilities 0.93 inside, 0.04 outside, so quantisation is exact to check), a config.json and
    /// <paramref name="steps"/> rows of metrics where D skipped every third step.
    /// </summary>
    public static float[] Make(string dir, int count = 16, int resolution = 32, int steps = 40)
    {
        Directory.CreateDirectory(Path.Combine(dir, "samples"));
        var shapes = ShapeFamilies.CreateDataset((count + 11) / 12, resolution);
        int vox = resolution * resolution * resolution;
        var probabilities = new float[count * vox];
        var grid = new float[vox];
        for (int i = 0; i < count; i++)
        {
            shapes.CopyTo(i, grid);
            for (int v = 0; v < vox; v++)
            {
                probabilities[i * vox + v] = grid[v] > 0.5f ? 0.93f : 0.04f;
            }
        }
        NpyFile.WriteFloat32(Path.Combine(dir, "samples", "final.npy"), [count, 1, resolution, resolution, resolution], probabilities);
        File.WriteAllText(Path.Combine(dir, "config.json"),
            "{\"model\": \"3d-gan\", \"training\": {\"Architecture\": {\"Resolution\": " + resolution + ", \"Width\": 0.25}, \"DAccuracyThreshold\": 0.8}, \"data\": \"procedural\", \"shapes\": 600, \"device\": \"test\"}");
        var csv = new StringBuilder(MetricsHeader + "\n");
        for (int s = 1; s <= steps; s++)
        {
            int updated = s % 3 == 0 ? 0 : 1;
            csv.Append(CultureInfo.InvariantCulture, $"{s},{1.3 + 0.01 * s},{0.7 + 0.02 * s},{0.5 + 0.005 * s},0.6,0.4,{updated},0.66,0.31\n");
        }
        File.WriteAllText(Path.Combine(dir, "metrics.csv"), csv.ToString());
        return probabilities;
    }

    /// <summary>The JSON block the page reads its data from.</summary>
    public static JsonDocument Data(string html)
    {
        const string open = "<script id=\"report-data\" type=\"application/json\">";
        int start = html.IndexOf(open, StringComparison.Ordinal);
        Assert.True(start >= 0, "the report has no data block");
        start += open.Length;
        int end = html.IndexOf("</script>", start, StringComparison.Ordinal);
        string json = html[start..end];
        Assert.DoesNotContain('<', json);
        return JsonDocument.Parse(json);
    }

    public static byte[] Bytes(JsonElement element, string name) => Convert.FromBase64String(element.GetProperty(name).GetString()!);

    /// <summary>
    /// A small structural check of the page: every element closed in order (void elements aside), the
    /// contents of script and style taken as raw text, one html, head and body.
    /// </summary>
    public static void AssertWellFormed(string html)
    {
        Assert.StartsWith("<!DOCTYPE html>", html);
        string[] voids = ["meta", "input", "img", "br", "hr", "link"];
        var open = new Stack<string>();
        var seen = new Dictionary<string, int>();
        int i = html.IndexOf('>') + 1;
        while ((i = html.IndexOf('<', i)) >= 0)
        {
            int end = html.IndexOf('>', i);
            Assert.True(end > i, $"unterminated tag at {i}");
            string tag = html[(i + 1)..end];
            i = end + 1;
            bool closing = tag.StartsWith('/');
            string name = new string(tag.TrimStart('/').TakeWhile(char.IsAsciiLetterOrDigit).ToArray()).ToLowerInvariant();
            Assert.True(name.Length > 0, $"not a tag: <{tag}>");
            if (closing)
            {
                Assert.True(open.Count > 0 && open.Peek() == name, $"</{name}> closes {(open.Count > 0 ? "<" + open.Peek() + ">" : "nothing")}");
                open.Pop();
                continue;
            }
            seen[name] = seen.GetValueOrDefault(name) + 1;
            if (name is "script" or "style")
            {
                int close = html.IndexOf("</" + name + ">", i, StringComparison.Ordinal);
                Assert.True(close >= 0, $"<{name}> is never closed");
                i = close + name.Length + 3;
                continue;
            }
            if (!voids.Contains(name) && !tag.EndsWith('/'))
            {
                open.Push(name);
            }
        }
        Assert.True(open.Count == 0, $"unclosed: {string.Join(", ", open)}");
        Assert.Equal(1, seen["html"]);
        Assert.Equal(1, seen["head"]);
        Assert.Equal(1, seen["body"]);
    }
}
