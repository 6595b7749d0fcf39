using System.Text.Json;
using Gan3D.Data;
using Gan3D.Tensors;

namespace Gan3D.Models;

/// <summary>
/// The 3D-VAE-GAN part of the report: a few shapes rendered as the encoder sees them (its image size,
/// grey or RGB, a viewpoint from the training range), and G(E(view)) for each. The training loop
/// writes no reconstructions into the run folder, so they are made here from the checkpoint: for
/// 'procedural' runs one held-out shape a family (seed 1, as <c>eval-reconstruction</c> uses), for
/// other data the first shapes of the training set (so not held out; the page says which).
/// </summary>
internal static class RunReconstructions
{
    private const int MaxShapes = 12;

    /// <summary>The procedural seed of held-out shapes (training uses 0).</summary>
    private const int HeldOutSeed = 1;

    public static void Write(Utf8JsonWriter json, string dir, IBackend backend)
    {
        json.WritePropertyName("reconstructions");
        string checkpoint = Path.Combine(dir, "checkpoint.safetensors");
        if (!File.Exists(checkpoint))
        {
            json.WriteNullValue();
            return;
        }
        using var model = ShapeReconstructor.Load(checkpoint, backend);
        int r = model.Resolution;
        var (shapes, heldOut) = LoadShapes(Path.Combine(dir, "config.json"), r);
        if (shapes is null || shapes.Count == 0)
        {
            json.WriteNullValue();
            return;
        }
        var picks = Pick(shapes);
        var encoder = model.E.Architecture;
        int s = encoder.ImageSize, length = encoder.Channels * s * s, vox = r * r * r;
        var images = new float[picks.Count * length];
        var rng = new Rng(0x5EED_0F_7E9077UL);
        for (int i = 0; i < picks.Count; i++)
        {
            var (azimuth, elevation) = model.Options.Views.At(rng.NextDouble(), rng.NextDouble());
            var view = new ViewOptions { Azimuth = azimuth, Elevation = elevation, Width = s, Height = s, Rgb = encoder.Rgb };
            ViewRenderer.Render(shapes.GetGrid(picks[i].Index), view).CopyTo(images.AsSpan(i * length, length));
        }
        var probabilities = model.Reconstruct(images, picks.Count);

        json.WriteStartObject();
        json.WriteBoolean("heldOut", heldOut);
        json.WriteNumber("resolution", r);
        json.WriteNumber("count", picks.Count);
        json.WriteStartArray("names");
        foreach (var (_, name) in picks)
        {
            json.WriteStringValue(name);
        }
        json.WriteEndArray();
        json.WriteStartArray("views");
        for (int i = 0; i < picks.Count; i++)
        {
            json.WriteStringValue(RunReport.PngDataUrl(RgbImage.FromFloats(images.AsSpan(i * length, length), s, s, encoder.Rgb)));
        }
        json.WriteEndArray();
        json.WriteStartArray("iou");
        var truth = new float[vox];
        for (int i = 0; i < picks.Count; i++)
        {
            shapes.CopyTo(picks[i].Index, truth);
            json.WriteNumberValue(Math.Round(Iou(truth, probabilities.AsSpan(i * vox, vox)), 3));
        }
        json.WriteEndArray();
        json.WriteString("probabilities", Convert.ToBase64String(RunReport.Quantise(probabilities)));
        json.WriteStartArray("thumbnails");
        for (int i = 0; i < picks.Count; i++)
        {
            json.WriteStringValue(RunReport.Thumbnail(probabilities.AsSpan(i * vox, vox), r));
        }
        json.WriteEndArray();
        json.WriteEndObject();
    }

    /// <summary>Held-out procedural shapes for a procedural run, else the run's data when it can still be read from here.</summary>
    private static (VoxelDataset? Shapes, bool HeldOut) LoadShapes(string configPath, int r)
    {
        string? spec = null;
        if (File.Exists(configPath))
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(configPath));
            if (doc.RootElement.TryGetProperty("data", out var d) && d.ValueKind == JsonValueKind.String)
            {
                spec = d.GetString();
            }
        }
        if (spec is null or "procedural")
        {
            return (VoxelDataset.Load("procedural", r, new VoxelLoadOptions { ProceduralCountPerFamily = 1, Seed = HeldOutSeed }), true);
        }
        return File.Exists(spec) || Directory.Exists(spec) ? (VoxelDataset.Load(spec, r), false) : (null, false);
    }

    /// <summary>The first shape of each label (or the first shapes, unlabelled), at most <see cref="MaxShapes"/>.</summary>
    private static List<(int Index, string Name)> Pick(VoxelDataset shapes)
    {
        var picks = new List<(int Index, string Name)>();
        for (int i = 0; i < shapes.Count && picks.Count < MaxShapes; i++)
        {
            string? label = shapes.GetLabel(i);
            if (label is null || picks.All(p => p.Name != label))
            {
                picks.Add((i, label ?? $"shape {i}"));
            }
        }
        return picks;
    }

    /// <summary>Intersection over union of a 0/1 grid and probabilities thresholded at 0.5.</summary>
    private static double Iou(ReadOnlySpan<float> truth, ReadOnlySpan<float> probabilities)
    {
        int both = 0, either = 0;
        for (int v = 0; v < truth.Length; v++)
        {
            bool a = truth[v] > 0.5f, b = probabilities[v] > 0.5f;
            both += a && b ? 1 : 0;
            either += a || b ? 1 : 0;
        }
        return either == 0 ? 1 : (double)both / either;
    }
}
