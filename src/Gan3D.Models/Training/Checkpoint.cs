using System.Globalization;
using Gan3D.Nn;
using Gan3D.Tensors;

namespace Gan3D.Models;

/// <summary>
/// A training checkpoint: the tensors of named modules and optimisers in one <c>.safetensors</c> file
/// (G's weights under "G.", D's under "D.", Adam moments under "opt_g." ...), with the step, random
/// stream positions and the JSON configuration in its string metadata. Written atomically.
/// </summary>
public sealed class Checkpoint
{
    public const string FormatKey = "format";
    public const string FormatValue = "gan3d-checkpoint-1";

    private Checkpoint(string path, SafeTensorsFile file)
    {
        Path = path;
        File = file;
    }

    public string Path { get; }

    public SafeTensorsFile File { get; }

    public IReadOnlyDictionary<string, string> Metadata => File.Metadata;

    public static void Save(string path, IEnumerable<(string Prefix, Module Module)> modules,
        IEnumerable<(string Prefix, Adam Optimizer)> optimizers, IReadOnlyDictionary<string, string> metadata,
        IEnumerable<(string Name, Tensor Tensor)>? extraTensors = null)
    {
        var tensors = new Dictionary<string, Tensor>();
        foreach (var (name, t) in extraTensors ?? [])
        {
            tensors.Add(name, t);
        }
        foreach (var (prefix, module) in modules)
        {
            foreach (var (name, t) in module.StateDict())
            {
                tensors.Add(prefix + "." + name, t);
            }
        }
        var meta = new Dictionary<string, string>(metadata) { [FormatKey] = FormatValue };
        foreach (var (prefix, opt) in optimizers)
        {
            foreach (var (name, t) in opt.StateDict(prefix + "."))
            {
                tensors.Add(name, t);
            }
            meta[prefix + ".step"] = opt.StepCount.ToString(CultureInfo.InvariantCulture);
        }
        SafeTensors.Save(path, tensors, meta);
    }

    /// <summary>Reads a checkpoint, refusing files that are not one (with the file name in the error).</summary>
    public static Checkpoint Open(string path)
    {
        var file = SafeTensors.Load(path);
        if (!file.Metadata.TryGetValue(FormatKey, out var format) || format != FormatValue)
        {
            throw new InvalidDataException($"{path}: not a gan3d checkpoint (no '{FormatKey}: {FormatValue}' in its metadata)");
        }
        return new Checkpoint(path, file);
    }

    public string Get(string key) => Metadata.TryGetValue(key, out var v)
        ? v
        : throw new InvalidDataException($"{Path}: checkpoint metadata lacks '{key}'");

    public long GetInt64(string key) => long.TryParse(Get(key), NumberStyles.Integer, CultureInfo.InvariantCulture, out long v)
        ? v
        : throw new InvalidDataException($"{Path}: checkpoint metadata '{key}' is not an integer");

    public double GetDouble(string key) => double.TryParse(Get(key), NumberStyles.Float, CultureInfo.InvariantCulture, out double v)
        ? v
        : throw new InvalidDataException($"{Path}: checkpoint metadata '{key}' is not a number");

    /// <summary>A stored tensor that belongs to no module (e.g. "mean_shape"), or null when absent.</summary>
    public (Shape Shape, float[] Data)? TryGetTensor(string name) => File.Tensors.TryGetValue(name, out var v) ? v : null;

    /// <summary>Whether the checkpoint holds a module under <paramref name="prefix"/>.</summary>
    public bool HasModule(string prefix) => File.Tensors.Keys.Any(k => k.StartsWith(prefix + ".", StringComparison.Ordinal));

    public void LoadModule(string prefix, Module module)
    {
        var values = new Dictionary<string, (Shape, float[])>();
        foreach (var (name, v) in File.Tensors)
        {
            if (name.StartsWith(prefix + ".", StringComparison.Ordinal))
            {
                values[name[(prefix.Length + 1)..]] = v;
            }
        }
        module.LoadStateDict(values, strict: true, source: Path);
    }

    public void LoadOptimizer(string prefix, Adam optimizer) =>
        optimizer.LoadStateDict(File.Tensors, GetInt64(prefix + ".step"), prefix + ".", Path);
}
