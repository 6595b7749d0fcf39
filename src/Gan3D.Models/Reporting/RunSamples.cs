using System.Text.Json;
using Gan3D.Data;
using Gan3D.Tensors;

namespace Gan3D.Models;

/// <summary>
/// The latest samples of a run folder: samples/final.npy when it is at least as new as the checkpoint
/// (a finished run), else G of checkpoint.safetensors decoded on the run's fixed sample codes (an
/// interrupted run, whose final.npy is missing or from an earlier finish), so the report always shows
/// the weights the folder holds now.
/// </summary>
internal sealed record RunSamples(string Model, string Source, long? Step, int Resolution, int Count, float[] Probabilities)
{
    public static RunSamples Load(string dir, IBackend backend)
    {
        string npy = Path.Combine(dir, "samples", "final.npy");
        string checkpoint = Path.Combine(dir, "checkpoint.safetensors");
        bool haveNpy = File.Exists(npy), haveCheckpoint = File.Exists(checkpoint);
        if (!haveNpy && !haveCheckpoint)
        {
            throw new InvalidDataException($"{dir}: neither samples/final.npy nor checkpoint.safetensors is there: not a run folder of 'gan3d train'");
        }
        string model = ReadModel(Path.Combine(dir, "config.json"));
        if (haveNpy && (!haveCheckpoint || File.GetLastWriteTimeUtc(npy) >= File.GetLastWriteTimeUtc(checkpoint)))
        {
            return FromNpy(npy, model);
        }
        // The codes of the run's montages: a session's default count and seed.
        var session = new TrainingSessionOptions();
        using var gan = TrainedGan.Load(checkpoint, backend);
        int r = gan.Architecture.Resolution, n = session.SampleCount;
        var z = gan.DrawLatent(n, new Rng(session.SampleSeed));
        long step = gan.Checkpoint.GetInt64("step");
        return new RunSamples(gan.Model, "checkpoint.safetensors", step, r, n, gan.Decode(z, n));
    }

    private static RunSamples FromNpy(string path, string model)
    {
        var (shape, data) = NpyFile.ReadFloat32(path);
        // (N, 1, R, R, R), (N, R, R, R) or (R, R, R).
        int r = shape.Length > 0 ? shape[^1] : 0;
        bool ok = shape.Length switch
        {
            5 => shape[1] == 1 && shape[2] == r && shape[3] == r,
            4 => shape[1] == r && shape[2] == r,
            3 => shape[0] == r && shape[1] == r,
            _ => false,
        };
        if (!ok || r < 2)
        {
            throw new InvalidDataException($"{path}: shape ({string.Join(", ", shape)}) is not a batch of cubic grids (N, 1, R, R, R)");
        }
        int count = Math.Min(data.Length / (r * r * r), RunReport.MaxSamples);
        return new RunSamples(model, "samples/final.npy", null, r, count, data);
    }

    /// <summary>The "model" of config.json ("3d-gan" when the file or the field is missing).</summary>
    private static string ReadModel(string configPath)
    {
        if (File.Exists(configPath))
        {
            try
            {
                using var doc = JsonDocument.Parse(File.ReadAllText(configPath));
                if (doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty("model", out var m) && m.ValueKind == JsonValueKind.String)
                {
                    return m.GetString()!;
                }
            }
            catch (JsonException e)
            {
                throw new InvalidDataException($"{configPath}: not valid JSON ({e.Message})", e);
            }
        }
        return GanTrainer.Model;
    }
}
