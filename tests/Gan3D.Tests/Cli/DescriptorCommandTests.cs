using System.Text.Json;
using Gan3D.Data;
using Gan3D.Models;
using static Gan3D.Tests.Cli.CliRunner;

namespace Gan3D.Tests.Cli;

/// <summary>A narrow 32³ GAN trained for two iterations: enough for the commands that read a checkpoint.</summary>
public sealed class TinyGanFixture : IDisposable
{
    public TinyGanFixture()
    {
        Dir = Directory.CreateTempSubdirectory("gan3d-tinygan-").FullName;
        var r = Run("train", "--data", "procedural", "--resolution", "32", "--width", "0.125", "--iterations", "2", "--batch-size", "4",
            "--device", "cpu", "--sample-every", "1000", "--checkpoint-every", "1000", "--out", Path.Combine(Dir, "run"));
        Assert.True(r.Code == 0, r.Err);
        Checkpoint = Path.Combine(Dir, "run", "checkpoint.safetensors");
    }

    public string Dir { get; }

    public string Checkpoint { get; }

    public void Dispose() => Directory.Delete(Dir, recursive: true);
}

public sealed class DescriptorCommandTests(TinyGanFixture gan) : IClassFixture<TinyGanFixture>, IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("gan3d-descriptor-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Shapes(string name, int perFamily, int resolution = 32, int seed = 5, params string[] families)
    {
        string path = Path.Combine(_dir, name);
        ShapeFamilies.CreateDataset(perFamily, resolution, seed, families.Length == 0 ? null : families).SaveNpy(path);
        return path;
    }

    [Fact]
    public void FeaturesHaveTheLayoutsWidthAndOneRowPerShape()
    {
        string input = Shapes("mugs-train-32.npy", 3, families: ["mug", "table"]);
        string output = Path.Combine(_dir, "f.npy");
        var r = Run("features", "--checkpoint", gan.Checkpoint, "--data", input, "--out", output, "--device", "cpu");
        Assert.True(r.Code == 0, r.Err);
        var (shape, data) = NpyFile.ReadFloat32(output);
        // Width 0.125 at 32³: D stages of 8, 16 and 32 channels (at 16³, 8³, 4³), each pooled to 2³.
        Assert.Equal([6, (8 + 16 + 32) * 8], shape);
        Assert.Contains(data, v => v != 0);
        Assert.All(data, v => Assert.True(float.IsFinite(v)));
    }

    [Fact]
    public void ClassifySeparatesTheFamiliesAndReportsBothBaselines()
    {
        string a = Shapes("a.npy", 12, families: ["mug"]);
        string b = Shapes("b.npy", 12, families: ["table"]);
        string c = Shapes("c.npy", 12, families: ["airplane"]);
        var r = Run("classify", "--checkpoint", gan.Checkpoint, "--data", $"mug={a}", "--data", $"table={b}", "--data", $"plane={c}",
            "--test-fraction", "0.25", "--json", "--device", "cpu");
        Assert.True(r.Code == 0, r.Err);
        using var doc = JsonDocument.Parse(r.Out);
        var root = doc.RootElement;
        Assert.Equal(["mug", "plane", "table"], root.GetProperty("labels").EnumerateArray().Select(e => e.GetString()!).Order().ToArray());
        // Three stratified quarters of 12: 3 test shapes a class, 9 in all.
        var confusion = root.GetProperty("confusion").EnumerateArray().Select(row => row.EnumerateArray().Select(v => v.GetInt32()).ToArray()).ToArray();
        Assert.All(confusion, row => Assert.Equal(3, row.Sum()));
        double accuracy = root.GetProperty("accuracy").GetDouble();
        Assert.Equal(Enumerable.Range(0, 3).Sum(i => confusion[i][i]) / 9.0, accuracy, 9);
        // Mugs, tables and aeroplanes differ grossly: pooled voxels tell them apart.
        Assert.True(root.GetProperty("baselines").GetProperty("raw_voxels").GetProperty("accuracy").GetDouble() >= 8 / 9.0, r.Out);
        Assert.InRange(root.GetProperty("baselines").GetProperty("random_d").GetProperty("accuracy").GetDouble(), 0, 1);
    }

    [Fact]
    public void FewShotCurveHasOnePointPerCountAndAPlot()
    {
        string plot = Path.Combine(_dir, "few.png");
        var r = Run("classify", "--checkpoint", gan.Checkpoint, "--data", "procedural", "--per-family", "4", "--test", "procedural",
            "--train-per-class", "1,2,all", "--plot", plot, "--json", "--device", "cpu");
        Assert.True(r.Code == 0, r.Err);
        using var doc = JsonDocument.Parse(r.Out);
        var curves = doc.RootElement.GetProperty("few_shot");
        Assert.Equal(3, curves.EnumerateObject().Count());
        foreach (var curve in curves.EnumerateObject())
        {
            Assert.Equal(["1", "2", "all"], curve.Value.EnumerateArray().Select(p => p.GetProperty("per_class").ToString()).ToArray());
        }
        // With "all" the few-shot point is the main result on the same test set.
        double all = curves.EnumerateObject().First().Value.EnumerateArray().Last().GetProperty("accuracy").GetDouble();
        Assert.Equal(doc.RootElement.GetProperty("accuracy").GetDouble(), all, 9);
        Assert.True(new FileInfo(plot).Length > 1000);
    }

    [Fact]
    public void ClassifyRefusesOneClassAClassOfOneAndTheWrongResolution()
    {
        string mugs = Shapes("mug-train-32.npy", 3, families: ["mug"]);
        string one = Shapes("one.npy", 1, families: ["table"]);
        string small = Shapes("small.npy", 2, resolution: 16, families: ["table"]);
        AssertBadInput(Run("classify", "--checkpoint", gan.Checkpoint, "--data", mugs, "--device", "cpu"), "at least two classes");
        AssertBadInput(Run("classify", "--checkpoint", gan.Checkpoint, "--data", mugs, "--data", $"table={one}", "--device", "cpu"),
            "class 'table' has 1 shape");
        AssertBadInput(Run("classify", "--checkpoint", gan.Checkpoint, "--data", mugs, "--data", $"table={small}", "--device", "cpu"),
            "small.npy: holds 16³ shapes but the model is 32³");
        AssertBadInput(Run("classify", "--checkpoint", gan.Checkpoint, "--data", mugs, "--folds", "1", "--device", "cpu"), "--folds 1");
    }

    [Fact]
    public void ASetAgainstItselfScoresPerfectMatching()
    {
        string set = Shapes("set.npy", 2);
        var r = Run("eval", "--shapes", set, "--reference", set, "--json");
        Assert.True(r.Code == 0, r.Err);
        using var doc = JsonDocument.Parse(r.Out);
        var root = doc.RootElement;
        Assert.Equal(24, root.GetProperty("samples").GetInt32());
        Assert.Equal(0.0, root.GetProperty("1nna").GetDouble());
        Assert.Equal(1.0, root.GetProperty("cov").GetDouble());
        Assert.Equal(0.0, root.GetProperty("mmd").GetDouble());
        // The same shapes on both sides: the same fragments, as the library measures them.
        var expected = FragmentReport.Measure(VoxelDataset.Load(set));
        var fragments = root.GetProperty("fragments");
        foreach (string side in new[] { "samples", "reference" })
        {
            var f = fragments.GetProperty(side);
            Assert.Equal(expected.MedianParts, f.GetProperty("median_parts").GetDouble());
            Assert.Equal(expected.MeanSpecks, f.GetProperty("mean_specks").GetDouble(), 12);
            Assert.Equal(expected.OutsideLargestShare, f.GetProperty("outside_largest").GetDouble(), 12);
        }
    }

    [Fact]
    public void EvalSplitsCoverageByTheFamiliesOfAProceduralReference()
    {
        // Samples: the chairs and tables of the held-out draw itself (seed 1), against every family: those two are covered
        // wholly, each by its own two copies, and the ten others not at all. A file reference has no classes to split by.
        string twoFamilies = Shapes("two.npy", 2, seed: 1, families: ["chair", "table"]);
        var r = Run("eval", "--shapes", twoFamilies, "--reference", "procedural", "--per-family", "2", "--json");
        Assert.True(r.Code == 0, r.Err);
        using var doc = JsonDocument.Parse(r.Out);
        var byClass = doc.RootElement.GetProperty("cov_by_class");
        Assert.Equal(12, byClass.EnumerateObject().Count());
        // The classes' specks, weighted by their samples, add up to the samples' mean specks; a class without samples has none.
        double weighted = byClass.EnumerateObject().Where(c => c.Value.GetProperty("samples").GetInt32() > 0)
            .Sum(c => c.Value.GetProperty("specks").GetDouble() * c.Value.GetProperty("samples").GetInt32());
        Assert.Equal(doc.RootElement.GetProperty("fragments").GetProperty("samples").GetProperty("mean_specks").GetDouble() * 4, weighted, 9);
        Assert.Equal(JsonValueKind.Null, byClass.GetProperty("sofa").GetProperty("specks").ValueKind);
        foreach (var family in byClass.EnumerateObject())
        {
            bool kept = family.Name is "chair" or "table";
            Assert.Equal(2, family.Value.GetProperty("references").GetInt32());
            Assert.Equal(kept ? 1.0 : 0.0, family.Value.GetProperty("cov").GetDouble());
            Assert.Equal(kept ? 2 : 0, family.Value.GetProperty("samples").GetInt32());
        }
        var text = Run("eval", "--shapes", twoFamilies, "--reference", "procedural", "--per-family", "2");
        Assert.Matches(@"chair 100% \(2; \d+\.\d\), table 100% \(2; \d+\.\d\), sofa 0% \(0\)", text.Out);
        var fromFile = Run("eval", "--shapes", twoFamilies, "--reference", twoFamilies, "--json");
        Assert.False(JsonDocument.Parse(fromFile.Out).RootElement.TryGetProperty("cov_by_class", out _));
    }

    [Fact]
    public void EvalScoresTheModelAndTheBaselines()
    {
        string reference = Shapes("ref.npy", 2, seed: 9);
        string training = Shapes("train.npy", 3, seed: 10);
        var r = Run("eval", "--checkpoint", gan.Checkpoint, "--reference", reference, "--training", training, "--samples", "20",
            "--baselines", "--json", "--device", "cpu");
        Assert.True(r.Code == 0, r.Err);
        using var doc = JsonDocument.Parse(r.Out);
        var root = doc.RootElement;
        Assert.Equal("iou", root.GetProperty("metric").GetString());
        Assert.Equal(20, root.GetProperty("samples").GetInt32());
        Assert.Equal(24, root.GetProperty("reference").GetInt32());
        var baselines = root.GetProperty("baselines");
        // Twenty copies of one mean shape have one nearest reference between them.
        Assert.Equal(1 / 24.0, baselines.GetProperty("mean_shape").GetProperty("cov").GetDouble(), 9);
        // Real shapes of the same families are closer to the references than voxel noise is.
        Assert.True(baselines.GetProperty("training_shapes").GetProperty("mmd").GetDouble()
            < baselines.GetProperty("noise").GetProperty("mmd").GetDouble(), r.Out);
        Assert.InRange(root.GetProperty("memorisation").GetProperty("near_copies").GetInt32(), 0, 20);
    }

    [Fact]
    public void EvalRefusesNoSamplesAndAnEmptyReference()
    {
        string set = Shapes("set.npy", 1);
        string empty = Directory.CreateDirectory(Path.Combine(_dir, "empty")).FullName;
        AssertBadInput(Run("eval", "--checkpoint", gan.Checkpoint, "--reference", set, "--samples", "0"), "--samples 0");
        AssertBadInput(Run("eval", "--checkpoint", gan.Checkpoint, "--reference", empty, "--device", "cpu"), "empty");
    }

    [Fact]
    public void DropPartsPostProcessesSampleAndEvalAndSaysSo()
    {
        // The two-iteration G's probabilities all lie within 0.002 of 0.5: a threshold above most of them leaves scattered parts.
        string raw = Path.Combine(_dir, "raw"), clean = Path.Combine(_dir, "clean");
        Assert.Equal(0, Run("sample", "-c", gan.Checkpoint, "--count", "4", "--format", "npy", "--threshold", "0.5004", "--out", raw, "--device", "cpu").Code);
        var r = Run("sample", "-c", gan.Checkpoint, "--count", "4", "--format", "npy", "--threshold", "0.5004", "--drop-parts", "4", "--out", clean, "--device", "cpu");
        Assert.True(r.Code == 0, r.Err);
        Assert.Contains("post-processed (--drop-parts 4)", r.Out);
        // The same codes, then the library's post-processing at the command's threshold: the file holds exactly that.
        var (_, expected) = NpyFile.ReadFloat32(Path.Combine(raw, "sample.npy"));
        long parts = SmallParts.Drop(expected, 4, 32, 0.5004f, 4);
        Assert.True(parts > 0, "the tiny G's samples should have specks to drop");
        Assert.Contains($"emptied {parts} parts", r.Out);
        Assert.Equal(expected, NpyFile.ReadFloat32(Path.Combine(clean, "sample.npy")).Data);
        // interpolate and arithmetic post-process their shapes the same way.
        string z = Path.Combine(raw, "z.npy");
        foreach (var (command, file, args) in new[]
        {
            ("interpolate", "interpolation-linear.npy", new[] { "--steps", "3", "--mode", "linear" }),
            ("arithmetic", "arithmetic.npy", new[] { "--from", z, "--minus", z, "--plus", z, "--format", "npy" }),
        })
        {
            string[] common = ["-c", gan.Checkpoint, "--threshold", "0.5004", "--device", "cpu", .. args];
            Assert.Equal(0, Run([command, .. common, "--out", Path.Combine(_dir, command + "-raw")]).Code);
            var dropped = Run([command, .. common, "--drop-parts", "4", "--out", Path.Combine(_dir, command + "-clean")]);
            Assert.True(dropped.Code == 0, dropped.Err);
            var (fileShape, want) = NpyFile.ReadFloat32(Path.Combine(_dir, command + "-raw", file));
            long emptied = SmallParts.Drop(want, fileShape[0], 32, 0.5004f, 4);
            Assert.True(emptied > 0, command);
            Assert.Contains($"post-processed (--drop-parts 4): emptied {emptied} parts", dropped.Out);
            Assert.Equal(want, NpyFile.ReadFloat32(Path.Combine(_dir, command + "-clean", file)).Data);
        }

        // eval measures the post-processed samples, and its JSON says which: no speck survives a drop of parts of up to 4 voxels.
        string reference = Shapes("ref-drop.npy", 1, seed: 9);
        double Specks(JsonElement root) => root.GetProperty("fragments").GetProperty("samples").GetProperty("mean_specks").GetDouble();
        var before = Run("eval", "--checkpoint", gan.Checkpoint, "--reference", reference, "--samples", "8", "--threshold", "0.5004", "--json", "--device", "cpu");
        var after = Run("eval", "--checkpoint", gan.Checkpoint, "--reference", reference, "--samples", "8", "--threshold", "0.5004", "--drop-parts", "4", "--json", "--device", "cpu");
        Assert.True(after.Code == 0, after.Err);
        using var rawDoc = JsonDocument.Parse(before.Out);
        using var cleanDoc = JsonDocument.Parse(after.Out);
        Assert.Equal(0, rawDoc.RootElement.GetProperty("drop_parts").GetInt32());
        Assert.True(Specks(rawDoc.RootElement) > 0, before.Out);
        Assert.Equal(4, cleanDoc.RootElement.GetProperty("drop_parts").GetInt32());
        Assert.Equal(0, Specks(cleanDoc.RootElement));
        Assert.Contains("samples, parts ≤ 4 voxels emptied", Run("eval", "--checkpoint", gan.Checkpoint, "--reference", reference, "--samples", "8", "--threshold", "0.5004", "--drop-parts", "4", "--device", "cpu").Out);

        AssertBadInput(Run("eval", "--shapes", reference, "--reference", reference, "--drop-parts", "4"), "--drop-parts post-processes a checkpoint's samples");
        AssertBadInput(Run("sample", "-c", gan.Checkpoint, "--drop-parts", "-1", "--out", Path.Combine(_dir, "bad")), "--drop-parts -1 must be 0 (off)");
    }

    [Fact]
    public void SplitHoldsOutADisjointSeededShare()
    {
        string set = Shapes("all.npy", 2);
        string a = Path.Combine(_dir, "fit.npy.gz"), b = Path.Combine(_dir, "held.npy");
        var r = Run("split", "--data", set, "--test-fraction", "0.25", "--seed", "3", "--out-train", a, "--out-test", b);
        Assert.True(r.Code == 0, r.Err);
        var (all, fit, held) = (VoxelDataset.Load(set), VoxelDataset.Load(a), VoxelDataset.Load(b));
        Assert.Equal((18, 6), (fit.Count, held.Count));
        static string Key(VoxelDataset d, int i)
        {
            var bytes = new byte[d.VoxelsPerGrid];
            d.CopyTo(i, bytes);
            return Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(bytes));
        }
        var original = Enumerable.Range(0, all.Count).Select(i => Key(all, i)).Order().ToArray();
        var parts = Enumerable.Range(0, fit.Count).Select(i => Key(fit, i)).Concat(Enumerable.Range(0, held.Count).Select(i => Key(held, i))).Order().ToArray();
        Assert.Equal(original, parts);
        AssertBadInput(Run("split", "--data", set, "--test-fraction", "1", "--out-train", a, "--out-test", b), "--test-fraction 1");
    }
}
