using Gan3D.Tensors;

namespace Gan3D.Nn;

/// <summary>A named trainable tensor of a module, e.g. ("layers.0.weight", tensor).</summary>
public sealed record Parameter(string Name, Tensor Value);

/// <summary>
/// Base of every layer and model, in the PyTorch shape: parameters, buffers (running statistics) and
/// submodules registered by name, train/eval mode, and a state dictionary for checkpoints.
/// </summary>
public abstract class Module : IDisposable
{
    private readonly List<(string Name, Tensor Tensor)> _parameters = new();
    private readonly List<(string Name, Tensor Tensor)> _buffers = new();
    private readonly List<(string Name, Module Module)> _modules = new();

    /// <summary>A module on <paramref name="backend"/>, or on <see cref="Devices.Default"/> when none is given.</summary>
    protected Module(IBackend? backend) => Backend = backend ?? Devices.Default;

    /// <summary>The backend that holds this module's tensors.</summary>
    public IBackend Backend { get; }

    /// <summary>Training mode (batch statistics in batch norm) or eval mode.</summary>
    public bool Training { get; private set; } = true;

    /// <summary>The layer's computation.</summary>
    public abstract Tensor Forward(Tensor input);

    /// <summary>Registers a parameter (it gets RequiresGrad and is persisted outside any memory scope).</summary>
    protected Tensor RegisterParameter(string name, Tensor value)
    {
        value.Persist();
        value.RequiresGrad = true;
        _parameters.Add((name, value));
        return value;
    }

    /// <summary>Registers a tensor that is saved and loaded but not trained (running mean/var).</summary>
    protected Tensor RegisterBuffer(string name, Tensor value)
    {
        value.Persist();
        _buffers.Add((name, value));
        return value;
    }

    protected T RegisterModule<T>(string name, T module) where T : Module
    {
        if (!ReferenceEquals(module.Backend, Backend))
        {
            throw new ArgumentException($"submodule '{name}' is on {module.Backend.Name}, its parent on {Backend.Name}");
        }
        _modules.Add((name, module));
        return module;
    }

    /// <summary>Every parameter of this module and its submodules with dotted names.</summary>
    public IEnumerable<Parameter> NamedParameters(string prefix = "")
    {
        foreach (var (name, t) in _parameters)
        {
            yield return new Parameter(prefix + name, t);
        }
        foreach (var (name, m) in _modules)
        {
            foreach (var p in m.NamedParameters(prefix + name + "."))
            {
                yield return p;
            }
        }
    }

    public IEnumerable<Tensor> Parameters() => NamedParameters().Select(p => p.Value);

    /// <summary>Every buffer of this module and its submodules with dotted names.</summary>
    public IEnumerable<(string Name, Tensor Tensor)> NamedBuffers(string prefix = "")
    {
        foreach (var (name, t) in _buffers)
        {
            yield return (prefix + name, t);
        }
        foreach (var (name, m) in _modules)
        {
            foreach (var b in m.NamedBuffers(prefix + name + "."))
            {
                yield return b;
            }
        }
    }

    public IEnumerable<(string Name, Module Module)> NamedChildren() => _modules;

    /// <summary>Parameters then buffers, by name: what a checkpoint stores.</summary>
    public IReadOnlyDictionary<string, Tensor> StateDict()
    {
        var d = new Dictionary<string, Tensor>();
        foreach (var p in NamedParameters())
        {
            d.Add(p.Name, p.Value);
        }
        foreach (var (name, t) in NamedBuffers())
        {
            d.Add(name, t);
        }
        return d;
    }

    /// <summary>
    /// Copies values into this module's parameters and buffers. Every entry of the state dict must be
    /// present with the same shape; extra entries are an error when <paramref name="strict"/>.
    /// </summary>
    public void LoadStateDict(IReadOnlyDictionary<string, (Shape Shape, float[] Data)> values, bool strict = true, string? source = null)
    {
        string where = source is null ? "" : source + ": ";
        var own = StateDict();
        foreach (var (name, t) in own)
        {
            if (!values.TryGetValue(name, out var v))
            {
                throw new InvalidDataException($"{where}missing tensor '{name}' {t.Shape} (is it a checkpoint of this model and size?)");
            }
            if (v.Shape != t.Shape)
            {
                throw new InvalidDataException($"{where}tensor '{name}' has shape {v.Shape} but the model expects {t.Shape} (a different architecture or width?)");
            }
        }
        if (strict)
        {
            foreach (var name in values.Keys)
            {
                if (!own.ContainsKey(name))
                {
                    throw new InvalidDataException($"{where}unexpected tensor '{name}' (a checkpoint of a different model?)");
                }
            }
        }
        foreach (var (name, t) in own)
        {
            t.CopyFrom(values[name].Data);
        }
    }

    /// <summary>Switches this module and its submodules to training (true) or eval (false) mode.</summary>
    public Module Train(bool training = true)
    {
        Training = training;
        foreach (var (_, m) in _modules)
        {
            m.Train(training);
        }
        return this;
    }

    public Module Eval() => Train(false);

    /// <summary>Clears every parameter's gradient (keeping its memory).</summary>
    public void ZeroGrad()
    {
        foreach (var p in Parameters())
        {
            p.ZeroGrad();
        }
    }

    /// <summary>Turns gradient tracking of every parameter on or off (off: backward skips their weight gradients).</summary>
    public void RequiresGrad(bool requiresGrad)
    {
        foreach (var p in Parameters())
        {
            p.RequiresGrad = requiresGrad;
        }
    }

    /// <summary>Number of trainable scalars.</summary>
    public long ParameterCount => Parameters().Sum(p => p.Numel);

    public virtual void Dispose()
    {
        foreach (var (_, m) in _modules)
        {
            m.Dispose();
        }
        foreach (var (_, t) in _parameters)
        {
            t.Grad?.Dispose();
            t.Dispose();
        }
        foreach (var (_, t) in _buffers)
        {
            t.Dispose();
        }
        GC.SuppressFinalize(this);
    }
}
