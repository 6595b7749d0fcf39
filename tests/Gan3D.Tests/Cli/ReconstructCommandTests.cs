using System.Text.Json;
using Gan3D.Data;
using Gan3D.Models;
using Gan3D.Tensors;
using Gan3D.Tests.Data;

namespace Gan3D.Tests.Cli;

/// <summary>A tiny 3D-VAE-GAN trained once through <c>gan3d train --model vae-gan</c>, shared by the command tests.</summary>
public sealed class TinyVaeGanRun : IDisposable
{
    public TinyVaeGanRun()
    {
        Dir = Directory.CreateTempSubdirectory("gan3d-vae-cli-").FullName;
        Training = ShapeFamilies.CreateMixedDataset(8, 32, seed: 2);
        TrainingPath = Path.Combine(Dir, "train.npy");
        Training.SaveNpy(TrainingPath);
        Run = Path.Combine(Dir, "run");
        Result = CliRunner.Run("train", "--model", "vae-gan", "--data", TrainingPath, "--resolution", "32", "--width", "0.0625",
            "--batch-size", "4", "--iterations", "2", "--image-size", "16", "--sample-every", "0", "--device", "cpu", "--threads", "1",
            "--out", Run);
        Checkpoint = Path.Combine(Run, "checkpoint.safetensors");
    }

    public string Dir { get; }

    public VoxelDataset Training { get; }

    public string TrainingPath { get; }

    public string Run { get; }

    public string Checkpoint { get; }

    public (int Code, string Out, string Err) Result { get; }

    public void Dispose() => Directory.Delete(Dir, recursive: true);
}

public sealed class ReconstructCommandTests(TinyVaeGanRun run) : IClassFixture<TinyVaeGanRun>, IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    /// <summary>A rendered view of training shape <paramref name="index"/> as a PNG of the given size.</summary>
    private string RenderedImage(string name, int index, int size)
    {
        var pixels = ViewRenderer.Render(run.Training.GetGrid(index), new ViewOptions { Azimuth = 40, Elevation = 20, Width = size, Height = size, Rgb = true });
        string path = _dir.File(name);
        RgbImage.FromFloats(pixels, size, size, rgb: true).SavePng(path);
        return path;
    }

    [Fact]
    public void TrainVaeGanWritesEachLossTermAndAnEncoderCheckpoint()
    {
        Assert.True(run.Result.Code == 0, run.Result.Err);
        var header = File.ReadLines(Path.Combine(run.Run, "metrics.csv")).First();
        Assert.StartsWith("step,loss_d,loss_gan,loss_kl,loss_recon,loss_total,d_accuracy", header);
        Assert.Equal(3, File.ReadAllLines(Path.Combine(run.Run, "metrics.csv")).Length);
        Assert.True(File.Exists(Path.Combine(run.Run, "losses.png")));
        var ck = Gan3D.Models.Checkpoint.Open(run.Checkpoint);
        Assert.Equal("3d-vae-gan", ck.Get("model"));
        Assert.True(ck.HasModule("E") && ck.HasModule("G") && ck.HasModule("D"));
        Assert.Contains("\"model\": \"3d-vae-gan\"", File.ReadAllText(Path.Combine(run.Run, "config.json")));
    }

    [Fact]
    public void ReconstructsARenderedImageIntoTheShapeAndASideBySidePicture()
    {
        string image = RenderedImage("view.png", 3, 100);
        string outDir = _dir.File("out");
        var r = CliRunner.Run("reconstruct", "--checkpoint", run.Checkpoint, image, "--out", outDir, "--format", "npy", "--device", "cpu");
        Assert.True(r.Code == 0, r.Err);
        var (shape, values) = NpyFile.ReadFloat32(Path.Combine(outDir, "view.npy"));
        Assert.Equal([1, 1, 32, 32, 32], shape);
        // The same answer as the library's: the image resized to 16×16 grey, E's μ, G in eval mode.
        using var model = ShapeReconstructor.Load(run.Checkpoint, CpuBackend.Default);
        var expected = model.Reconstruct(model.ReadImage(image), 1);
        Assert.Equal(expected, values);
        var (format, w, h) = ImageFile.ReadHeader(Path.Combine(outDir, "view-side-by-side.png"));
        Assert.Equal(("png", 384, 192), (format, w, h));

        var obj = CliRunner.Run("reconstruct", "-c", run.Checkpoint, image, "-o", outDir, "-f", "binvox", "--device", "cpu");
        Assert.True(obj.Code == 0, obj.Err);
        var grid = BinvoxFile.Read(Path.Combine(outDir, "view.binvox")).Grid;
        Assert.Equal(VoxelGrid.FromProbabilities(expected, 32, 0.5f).CountOccupied(), grid.CountOccupied());
    }

    [Fact]
    public void RefusesToWriteOverItsOwnInputImage()
    {
        // The case: the picture sits in the output folder and --format png would replace it with the render.
        Directory.CreateDirectory(_dir.File("r"));
        string image = RenderedImage("r/chair.png", 2, 64);
        byte[] before = File.ReadAllBytes(image);
        var r = CliRunner.Run("reconstruct", "-c", run.Checkpoint, image, "--format", "png", "--out", _dir.File("r"), "--device", "cpu");
        CliRunner.AssertBadInput(r, "would overwrite the input");
        Assert.Equal(before, File.ReadAllBytes(image));
        Assert.False(File.Exists(_dir.File("r/chair-side-by-side.png")));
    }

    [Fact]
    public void AFolderOrATruncatedImageIsOneClearLine()
    {
        Directory.CreateDirectory(_dir.File("folder.png"));
        CliRunner.AssertBadInput(CliRunner.Run("reconstruct", "-c", run.Checkpoint, _dir.File("folder.png"), "-o", _dir.File("o"), "--device", "cpu"),
            "folder.png: is a folder, not a file");
        byte[] png = File.ReadAllBytes(RenderedImage("whole.png", 1, 64));
        string cut = _dir.Write("cut.png", png[..(png.Length / 2)]);
        var r = CliRunner.Run("reconstruct", "-c", run.Checkpoint, cut, "-o", _dir.File("o"), "--device", "cpu");
        // stb_image's message for this file is a run of NUL characters.
        CliRunner.AssertBadInput(r, "cut.png: cannot decode the image (truncated or corrupt data)");
        Assert.DoesNotContain('\0', r.Err);
    }

    [Fact]
    public void AcceptsGreyAlphaAndSixteenBitPngs()
    {
        // 8×8 grey+alpha (8-bit) and 16-bit grey: rows are a filter byte then the samples.
        var ga = Enumerable.Range(0, 8).SelectMany(_ => new byte[] { 0 }.Concat(Enumerable.Repeat(new byte[] { 200, 255 }, 8).SelectMany(p => p))).ToArray();
        var g16 = Enumerable.Range(0, 8).SelectMany(_ => new byte[] { 0 }.Concat(Enumerable.Repeat(new byte[] { 0x80, 0x00 }, 8).SelectMany(p => p))).ToArray();
        string a = _dir.Write("ga.png", ImageFileTests.Png(8, 8, 4, 8, ga));
        string b = _dir.Write("g16.png", ImageFileTests.Png(8, 8, 0, 16, g16));
        var r = CliRunner.Run("reconstruct", "-c", run.Checkpoint, a, b, "-o", _dir.File("ok"), "--device", "cpu");
        Assert.True(r.Code == 0, r.Err);
        Assert.True(File.Exists(_dir.File("ok/ga.obj")) && File.Exists(_dir.File("ok/g16.obj")));
    }

    private void AssertRefused(string image, string expected, string? checkpoint = null)
    {
        string good = RenderedImage("good.png", 0, 32);
        string outDir = _dir.File("refused");
        // The bad image comes second: nothing may be written for the good one either.
        var r = CliRunner.Run("reconstruct", "-c", checkpoint ?? run.Checkpoint, good, image, "-o", outDir, "--device", "cpu");
        CliRunner.AssertBadInput(r, expected);
        Assert.False(Directory.Exists(outDir) && Directory.EnumerateFileSystemEntries(outDir).Any(), "a refused run wrote files");
    }

    [Fact]
    public void RefusesEmptyUnreadableTinyAndHugeImagesNamingTheFile()
    {
        string empty = _dir.Write("empty.png", []);
        AssertRefused(empty, "empty.png: file is empty");
        string junk = _dir.Write("junk.png", "this is not an image"u8.ToArray());
        AssertRefused(junk, "junk.png: not a PNG or JPEG image");
        string tiny = _dir.Write("tiny.png", ImageFileTests.Png(1, 1, 0, 8, [0, 128]));
        AssertRefused(tiny, "tiny.png: the PNG image is 1×1 pixels");
        // A 20000×20000 header over a few bytes of data: refused from the header, never decoded.
        string huge = _dir.Write("huge.png", ImageFileTests.Png(20000, 20000, 0, 8, [0, 0, 0]));
        AssertRefused(huge, "huge.png: PNG header declares 20000×20000 pixels");
        AssertRefused(_dir.File("missing.png"), "missing.png");
    }

    [Fact]
    public void RefusesAThreeDGanCheckpointForWantOfAnEncoder()
    {
        string gan = _dir.File("gan.safetensors");
        using (var t = new GanTrainer(new GanTrainingOptions { Architecture = new GanArchitecture(32, 1.0 / 16, 8), BatchSize = 4 }, run.Training, CpuBackend.Default))
        {
            t.Save(gan);
        }
        AssertRefused(RenderedImage("x.png", 1, 32), "gan.safetensors: a '3d-gan' checkpoint has no image encoder", gan);
    }

    [Fact]
    public void EvalReconstructionReportsIouAndTheMeanShapeBaselineAsJson()
    {
        var heldOut = ShapeFamilies.CreateMixedDataset(6, 32, seed: 9);
        string path = _dir.File("chair-held.npy");
        heldOut.SaveNpy(path);
        string examples = _dir.File("examples");
        var r = CliRunner.Run("eval-reconstruction", "-c", run.Checkpoint, "--data", path, "--json", "--device", "cpu", "--examples", examples);
        Assert.True(r.Code == 0, r.Err);
        using var doc = JsonDocument.Parse(r.Out);
        var root = doc.RootElement;
        Assert.InRange(root.GetProperty("mean_iou").GetDouble(), 0, 1);
        // The file name labels every shape "chair".
        Assert.Equal(root.GetProperty("mean_iou").GetDouble(), root.GetProperty("per_class").GetProperty("chair").GetDouble(), 9);

        // The baseline recomputed here: mean of the training shapes at the best training threshold.
        var mean = MeanShape.Compute(run.Training);
        var (threshold, _) = MeanShape.BestThreshold(mean, run.Training);
        var grid = new byte[32 * 32 * 32];
        double sum = 0;
        for (int i = 0; i < heldOut.Count; i++)
        {
            heldOut.CopyTo(i, grid);
            sum += Iou.Of(mean, threshold, grid);
        }
        Assert.Equal(sum / heldOut.Count, root.GetProperty("baseline_mean_shape_iou").GetDouble(), 6);
        Assert.Equal(threshold, root.GetProperty("baseline_threshold").GetSingle());
        // One example view for the one label, ready for 'gan3d reconstruct'.
        Assert.Equal(["chair.png"], Directory.GetFiles(examples).Select(Path.GetFileName));
        Assert.Equal(("png", 128, 128), ImageFile.ReadHeader(Path.Combine(examples, "chair.png")));
    }

    [Fact]
    public void TrainsOnSuppliedImageShapePairsAndNamesAnUnpairedImage()
    {
        string pairs = _dir.File("pairs");
        Directory.CreateDirectory(pairs);
        for (int i = 0; i < 4; i++)
        {
            File.Copy(RenderedImage($"p{i}.png", i, 24), Path.Combine(pairs, $"p{i}.png"));
            NpyFile.WriteUInt8(Path.Combine(pairs, $"p{i}.npy"), [32, 32, 32], run.Training.GetGrid(i).Voxels);
        }
        var (shapes, images, names) = ImageShapePairs.Load(pairs, 32, 16, rgb: false);
        Assert.Equal(["p0", "p1", "p2", "p3"], names);
        Assert.True(shapes.GetGrid(2).ContentEquals(run.Training.GetGrid(2)));
        Assert.Equal(ImageFile.Read(Path.Combine(pairs, "p2.png"), 16, 16), images[2]);

        var r = CliRunner.Run("train", "--model", "vae-gan", "--pairs", pairs, "--width", "0.0625", "--batch-size", "4",
            "--iterations", "1", "--image-size", "16", "--sample-every", "0", "--device", "cpu", "--threads", "1", "--out", _dir.File("run"));
        Assert.True(r.Code == 0, r.Err);
        Assert.Equal("supplied", Gan3D.Models.Checkpoint.Open(_dir.File("run/checkpoint.safetensors")).Get("images"));

        File.Copy(RenderedImage("lonely.png", 0, 24), Path.Combine(pairs, "lonely.png"));
        var bad = CliRunner.Run("train", "--model", "vae-gan", "--pairs", pairs, "--iterations", "1", "--device", "cpu", "--out", _dir.File("run2"));
        CliRunner.AssertBadInput(bad, "lonely.png: no shape beside it");
    }

    [Fact]
    public void ViewRangesAreSettingsOfTheRun()
    {
        string dir = _dir.File("views");
        var r = CliRunner.Run("train", "--model", "vae-gan", "--data", run.TrainingPath, "--width", "0.0625", "--batch-size", "4",
            "--iterations", "1", "--image-size", "16", "--sample-every", "0", "--device", "cpu", "--threads", "1",
            "--azimuth", "90:90", "--elevation", "5:15", "--out", dir);
        Assert.True(r.Code == 0, r.Err);
        var options = VaeGanTrainingOptions.FromJson(Gan3D.Models.Checkpoint.Open(Path.Combine(dir, "checkpoint.safetensors")).Get("config"), "ck");
        Assert.Equal(new ViewSampling { AzimuthMin = 90, AzimuthMax = 90, ElevationMin = 5, ElevationMax = 15 }, options.Views);
        CliRunner.AssertBadInput(CliRunner.Run("train", "--model", "vae-gan", "--data", run.TrainingPath, "--elevation", "40:10", "--out", _dir.File("x")), "--elevation 40:10");
        CliRunner.AssertBadInput(CliRunner.Run("train", "--elevation", "10:40", "--out", _dir.File("y")), "need --model vae-gan");
    }
}
