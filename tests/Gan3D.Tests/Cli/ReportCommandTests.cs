using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Gan3D.Data;
using Gan3D.Models;
using static Gan3D.Tests.Cli.CliRunner;

namespace Gan3D.Tests.Cli;

/// <summary>gan3d report and the report train leaves: what the page embeds, its size, and its errors.</summary>
public sealed class ReportCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("gan3d-report-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string P(string name) => Path.Combine(_dir, name);

    private static void AssertSamplesAre(JsonElement samples, float[] probabilities, int tolerance = 0)
    {
        var bytes = ReportTestRuns.Bytes(samples, "probabilities");
        Assert.Equal(probabilities.Length, bytes.Length);
        int worst = 0;
        for (int n = 0; n < bytes.Length; n++)
        {
            worst = Math.Max(worst, Math.Abs(bytes[n] - (int)MathF.Round(probabilities[n] * 255)));
        }
        Assert.True(worst <= tolerance, $"a quantised probability is {worst} off");
    }

    [Fact]
    public void TheReportEmbedsEverySampleQuantisedTheMetricsAndTheSettings()
    {
        string run = P("run");
        var probabilities = ReportTestRuns.Make(run);
        var r = Run("report", run);
        Assert.True(r.Code == 0, r.Err);
        string html = File.ReadAllText(Path.Combine(run, "report.html"));
        ReportTestRuns.AssertWellFormed(html);
        using var doc = ReportTestRuns.Data(html);
        var data = doc.RootElement;

        var samples = data.GetProperty("samples");
        Assert.Equal(16, samples.GetProperty("count").GetInt32());
        Assert.Equal(32, samples.GetProperty("resolution").GetInt32());
        Assert.Equal("samples/final.npy", samples.GetProperty("source").GetString());
        AssertSamplesAre(samples, probabilities);
        Assert.Equal((byte)237, ReportTestRuns.Bytes(samples, "probabilities").Max()); // round(0.93 · 255)
        var thumbnails = samples.GetProperty("thumbnails").EnumerateArray().Select(t => t.GetString()!).ToArray();
        Assert.Equal(16, thumbnails.Length);
        foreach (string t in thumbnails)
        {
            Assert.StartsWith("data:image/png;base64,", t);
            Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' }, Convert.FromBase64String(t["data:image/png;base64,".Length..])[..4]);
        }
        Assert.Equal(16, thumbnails.Distinct().Count());

        var metrics = data.GetProperty("metrics");
        Assert.Equal(40, metrics.GetProperty("step").GetArrayLength());
        Assert.Equal(1, metrics.GetProperty("bucket").GetInt32());
        Assert.Equal(1.4, metrics.GetProperty("loss_d")[9].GetDouble(), 6); // step 10
        Assert.Equal(0, metrics.GetProperty("d_updated")[2].GetDouble()); // step 3: D skipped
        Assert.Equal(1, metrics.GetProperty("d_updated")[3].GetDouble());

        Assert.Equal("procedural", data.GetProperty("config").GetProperty("data").GetString());
        Assert.Equal(JsonValueKind.Null, data.GetProperty("eval").ValueKind);
        Assert.Equal(256, data.GetProperty("marchingCubes").GetProperty("triangles").GetArrayLength());
        Assert.Contains("<title>gan3d report: run</title>", html);
    }

    [Fact]
    public void TheReportFetchesNothing()
    {
        string run = P("run");
        ReportTestRuns.Make(run, count: 4);
        File.WriteAllText(Path.Combine(run, "eval.json"), "{\"metric\":\"iou\",\"samples\":4,\"reference\":4,\"1nna\":0.75,\"cov\":0.5,\"mmd\":0.6,\"note\":\"</script><img src=x.png onerror=alert(1)> {{DATA}} /*{{JS}}*/\"}");
        string html = RunReport.Build(run);
        // The only absolute URL is the SVG namespace, an identifier that is never fetched.
        var urls = Regex.Matches(html, @"[a-z][a-z0-9+.-]*://[^\s""'<>)]*", RegexOptions.IgnoreCase).Select(m => m.Value).Distinct().ToArray();
        Assert.Equal(new[] { "http://www.w3.org/2000/svg" }, urls);
        foreach (string pattern in new[] { "<link", "@import", "url(", "fetch(", "XMLHttpRequest", "src=\"//", "<iframe" })
        {
            Assert.DoesNotContain(pattern, html, StringComparison.OrdinalIgnoreCase);
        }
        // eval.json's text went in escaped and untouched: it can neither end the data block, nor add an element, nor pull in the page's code.
        ReportTestRuns.AssertWellFormed(html);
        using var doc = ReportTestRuns.Data(html);
        Assert.Equal(0.75, doc.RootElement.GetProperty("eval").GetProperty("1nna").GetDouble());
        Assert.Equal("</script><img src=x.png onerror=alert(1)> {{DATA}} /*{{JS}}*/", doc.RootElement.GetProperty("eval").GetProperty("note").GetString());
    }

    [Fact]
    public void A32CubedRunOf16NoisySamplesAndALongLogStaysUnder8MBWithSkippedUpdatesKept()
    {
        string run = P("run");
        ReportTestRuns.Make(run, steps: 0);
        // Noise is the worst case for the thumbnails' compression.
        var rng = new Random(7);
        var noise = new float[16 * 32 * 32 * 32];
        for (int n = 0; n < noise.Length; n++)
        {
            noise[n] = (float)rng.NextDouble();
        }
        NpyFile.WriteFloat32(Path.Combine(run, "samples", "final.npy"), [16, 1, 32, 32, 32], noise);
        var csv = new StringBuilder(ReportTestRuns.MetricsHeader + "\n");
        const int steps = 30_000;
        for (int s = 1; s <= steps; s++)
        {
            csv.Append(CultureInfo.InvariantCulture, $"{s},{rng.NextDouble()},{rng.NextDouble()},{rng.NextDouble()},{rng.NextDouble()},{rng.NextDouble()},{(s % 3 == 0 ? 0 : 1)},0.66,0.3125\n");
        }
        File.WriteAllText(Path.Combine(run, "metrics.csv"), csv.ToString());
        string path = RunReport.Write(run);
        long size = new FileInfo(path).Length;
        Assert.True(size < 8L * 1024 * 1024, $"the report is {size / 1e6:F1} MB");

        using var doc = ReportTestRuns.Data(File.ReadAllText(path));
        var metrics = doc.RootElement.GetProperty("metrics");
        var step = metrics.GetProperty("step").EnumerateArray().Select(e => e.GetDouble()).ToArray();
        Assert.True(step.Length <= RunReport.MaxCurvePoints, $"{step.Length} points");
        Assert.Equal(steps, step[^1]);
        Assert.Equal(steps, metrics.GetProperty("steps").GetInt32());
        int bucket = metrics.GetProperty("bucket").GetInt32();
        Assert.Equal(20, bucket);
        // Buckets of 20 steps where every third step skipped D: 13 or 14 updated in each.
        foreach (var v in metrics.GetProperty("d_updated").EnumerateArray())
        {
            Assert.InRange(v.GetDouble(), 13.0 / 20, 14.0 / 20);
        }
        Assert.Equal(0.3125, metrics.GetProperty("seconds")[5].GetDouble());
        AssertSamplesAre(doc.RootElement.GetProperty("samples"), noise);
    }

    [Fact]
    public void TrainWritesTheReportAndAnInterruptedRunIsShownFromItsCheckpoint()
    {
        string run = P("trained");
        var r = Run("train", "--preset", "quick", "--width", "0.125", "--iterations", "2", "--batch-size", "4", "--device", "cpu",
            "--sample-every", "1000", "--checkpoint-every", "1000", "--out", run);
        Assert.True(r.Code == 0, r.Err);
        Assert.Contains("report: " + Path.Combine(run, "report.html"), r.Out);
        var (_, final) = NpyFile.ReadFloat32(Path.Combine(run, "samples", "final.npy"));
        using (var doc = ReportTestRuns.Data(File.ReadAllText(Path.Combine(run, "report.html"))))
        {
            AssertSamplesAre(doc.RootElement.GetProperty("samples"), final);
            Assert.Equal(2, doc.RootElement.GetProperty("metrics").GetProperty("step").GetArrayLength());
        }

        // As after Ctrl+C: no final.npy, only the checkpoint. The report decodes the run's sample codes with it.
        File.Delete(Path.Combine(run, "samples", "final.npy"));
        string other = P("elsewhere/page.html");
        r = Run("report", run, "--out", other);
        Assert.True(r.Code == 0, r.Err);
        using var again = ReportTestRuns.Data(File.ReadAllText(other));
        var samples = again.RootElement.GetProperty("samples");
        Assert.Equal("checkpoint.safetensors", samples.GetProperty("source").GetString());
        Assert.Equal(2, samples.GetProperty("step").GetInt64());
        AssertSamplesAre(samples, final, tolerance: 1);
    }

    [Fact]
    public void AVaeGanReportShowsInputViewsBesideTheirReconstructions()
    {
        string run = P("vae");
        var r = Run("train", "--model", "vae-gan", "--preset", "quick", "--width", "0.125", "--iterations", "1", "--batch-size", "4",
            "--image-size", "32", "--device", "cpu", "--sample-every", "1000", "--checkpoint-every", "1000", "--out", run);
        Assert.True(r.Code == 0, r.Err);
        using var doc = ReportTestRuns.Data(File.ReadAllText(Path.Combine(run, "report.html")));
        var rec = doc.RootElement.GetProperty("reconstructions");
        Assert.True(rec.GetProperty("heldOut").GetBoolean());
        Assert.Equal(12, rec.GetProperty("count").GetInt32());
        var names = rec.GetProperty("names").EnumerateArray().Select(e => e.GetString()).ToArray();
        Assert.Equal(ShapeFamilies.Names.Order(), names.Order());
        Assert.Equal(12 * 32 * 32 * 32, ReportTestRuns.Bytes(rec, "probabilities").Length);
        foreach (var view in rec.GetProperty("views").EnumerateArray())
        {
            var png = Convert.FromBase64String(view.GetString()!["data:image/png;base64,".Length..]);
            Assert.Equal(32, (png[16] << 24) | (png[17] << 16) | (png[18] << 8) | png[19]); // IHDR width: the encoder's input side
        }
        Assert.All(rec.GetProperty("iou").EnumerateArray(), v => Assert.InRange(v.GetDouble(), 0, 1));
        Assert.Contains("loss_kl", doc.RootElement.GetProperty("metrics").EnumerateObject().Select(p => p.Name));
    }

    [Fact]
    public void BadRunFoldersAreOneLineErrorsAndWriteNothing()
    {
        AssertBadInput(Run("report", P("missing")), "missing: no such run folder");
        Directory.CreateDirectory(P("empty"));
        AssertBadInput(Run("report", P("empty")), "not a run folder of 'gan3d train'");
        Assert.False(File.Exists(P("empty/report.html")));

        string run = P("run");
        ReportTestRuns.Make(run, count: 2, steps: 3);
        AssertBadInput(Run("report", run, "--out", P("page.txt")), "--out " + P("page.txt") + ": give an .html file");
        File.AppendAllText(Path.Combine(run, "metrics.csv"), "4,0.5,oops,0.5,0.5,0.5,1,1,0.3\n");
        AssertBadInput(Run("report", run), "metrics.csv:5: 'oops' is not a number");
        File.WriteAllText(Path.Combine(run, "metrics.csv"), ReportTestRuns.MetricsHeader + "\n1,2,3\n");
        AssertBadInput(Run("report", run), "metrics.csv:2: 3 values for 9 columns");
        File.Delete(Path.Combine(run, "metrics.csv"));
        File.WriteAllText(Path.Combine(run, "config.json"), "{\"model\": ");
        AssertBadInput(Run("report", run), "config.json: not valid JSON");
        File.Delete(Path.Combine(run, "config.json"));
        NpyFile.WriteFloat32(Path.Combine(run, "samples", "final.npy"), [2, 200], new float[400]);
        AssertBadInput(Run("report", run), "final.npy: shape (2, 200) is not a batch of cubic grids");
        Assert.False(File.Exists(Path.Combine(run, "report.html")));
    }
}
