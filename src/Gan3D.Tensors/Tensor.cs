namespace Gan3D.Tensors;

/// <summary>
/// A contiguous float32 tensor on one backend (NCDHW for volumes), with the autograd state of
/// the tape: <see cref="RequiresGrad"/>, <see cref="Grad"/> and the <see cref="Function"/> that made it.
/// Disposing returns the memory to the backend's pool; tensors made inside a <see cref="MemoryScope"/>
/// are disposed by it.
/// </summary>
public sealed class Tensor : IDisposable
{
    private TensorStorage? _storage;
    private bool _requiresGrad;

    internal Tensor(Shape shape, TensorStorage storage)
    {
        Shape = shape;
        _storage = storage;
        MemoryScope.Current?.Register(this);
    }

    public Shape Shape { get; }

    public long Numel => Shape.Numel;

    public int Rank => Shape.Rank;

    public IBackend Backend => Storage.Backend;

    /// <summary>The memory behind this tensor; throws once the tensor is disposed.</summary>
    public TensorStorage Storage => _storage ?? throw new ObjectDisposedException(
        nameof(Tensor), $"tensor {Shape} was used after it was disposed (did its MemoryScope end?)");

    public bool IsDisposed => _storage is null;

    /// <summary>The scope that will dispose this tensor, or null when the caller owns it.</summary>
    internal MemoryScope? Scope { get; set; }

    // ---------------- creation ----------------

    /// <summary>An uninitialised tensor from the backend's pool.</summary>
    public static Tensor Empty(Shape shape, IBackend backend)
    {
        ArgumentNullException.ThrowIfNull(backend);
        long n = Math.Max(shape.Numel, 1);
        var storage = new TensorStorage(backend, backend.Pool.Rent(n), shape.Numel);
        return new Tensor(shape, storage);
    }

    public static Tensor Zeros(Shape shape, IBackend backend) => Full(shape, 0f, backend);

    public static Tensor Ones(Shape shape, IBackend backend) => Full(shape, 1f, backend);

    public static Tensor Full(Shape shape, float value, IBackend backend)
    {
        var t = Empty(shape, backend);
        backend.Fill(t, value);
        return t;
    }

    /// <summary>A tensor holding a copy of <paramref name="data"/>, which must have shape.Numel elements.</summary>
    public static Tensor FromArray(ReadOnlySpan<float> data, Shape shape, IBackend backend)
    {
        if (data.Length != shape.Numel)
        {
            throw new ArgumentException($"{data.Length} values cannot fill a tensor of shape {shape} ({shape.Numel} elements)");
        }
        var t = Empty(shape, backend);
        backend.Upload(data, t);
        return t;
    }

    /// <summary>An empty tensor of this one's shape on this one's backend.</summary>
    public Tensor EmptyLike() => Empty(Shape, Backend);

    // ---------------- data ----------------

    public float[] ToArray()
    {
        var data = new float[Numel];
        Backend.Download(this, data);
        return data;
    }

    public void CopyTo(Span<float> destination)
    {
        if (destination.Length != Numel)
        {
            throw new ArgumentException($"a span of {destination.Length} cannot receive tensor {Shape}");
        }
        Backend.Download(this, destination);
    }

    public void CopyFrom(ReadOnlySpan<float> source)
    {
        if (source.Length != Numel)
        {
            throw new ArgumentException($"{source.Length} values cannot fill tensor {Shape}");
        }
        Backend.Upload(source, this);
    }

    /// <summary>The value of a one-element tensor (synchronises with the device).</summary>
    public float Item()
    {
        if (Numel != 1)
        {
            throw new InvalidOperationException($"Item() needs a one-element tensor, not {Shape}");
        }
        Span<float> v = stackalloc float[1];
        Backend.Download(this, v);
        return v[0];
    }

    /// <summary>A copy of this tensor on another backend (no autograd link).</summary>
    public Tensor To(IBackend backend)
    {
        var t = Empty(Shape, backend);
        if (backend == Backend)
        {
            backend.Copy(this, t);
        }
        else
        {
            backend.Upload(ToArray(), t);
        }
        return t;
    }

    /// <summary>A tensor sharing this one's memory with another shape (no copy, no autograd link).</summary>
    internal Tensor View(Shape shape)
    {
        if (shape.Numel != Numel)
        {
            throw new ArgumentException($"cannot view tensor {Shape} ({Numel} elements) as {shape} ({shape.Numel} elements)");
        }
        Storage.AddRef();
        return new Tensor(shape, Storage);
    }

    /// <summary>This tensor's values without its autograd history (shares memory).</summary>
    public Tensor Detach() => View(Shape);

    // ---------------- autograd ----------------

    /// <summary>
    /// Whether gradients flow to this tensor. Settable on leaves (parameters, inputs); an op's output
    /// requires grad when any of its inputs does and grad mode is on.
    /// </summary>
    public bool RequiresGrad
    {
        get => _requiresGrad;
        set
        {
            if (GradFn is not null && !value)
            {
                throw new InvalidOperationException("RequiresGrad can only be cleared on a leaf tensor; use Detach()");
            }
            _requiresGrad = value;
        }
    }

    /// <summary>The accumulated gradient, same shape as this tensor; null until a backward pass reaches it.</summary>
    public Tensor? Grad { get; internal set; }

    /// <summary>The op that produced this tensor (null for leaves).</summary>
    public Function? GradFn { get; internal set; }

    public bool IsLeaf => GradFn is null;

    /// <summary>Back-propagates from this tensor (a scalar unless <paramref name="gradient"/> is given).</summary>
    public void Backward(Tensor? gradient = null) => Autograd.Backward(this, gradient);

    /// <summary>Sets the gradient to zero, keeping its memory.</summary>
    public void ZeroGrad()
    {
        if (Grad is not null)
        {
            Backend.Fill(Grad, 0f);
        }
    }

    /// <summary>Takes this tensor out of its <see cref="MemoryScope"/>, so it outlives the scope.</summary>
    public Tensor Persist()
    {
        Scope = null;
        return this;
    }

    public void Dispose()
    {
        var s = _storage;
        if (s is null)
        {
            return;
        }
        _storage = null;
        GradFn = null;
        s.Release();
    }

    public override string ToString() => $"Tensor{Shape} on {(_storage is null ? "(disposed)" : Backend.Name)}";
}
