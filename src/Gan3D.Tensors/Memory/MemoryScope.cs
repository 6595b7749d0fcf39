namespace Gan3D.Tensors;

/// <summary>
/// Tensors created while a scope is the innermost one on this thread are disposed when it ends,
/// returning their memory to the pool, unless <see cref="Tensor.Persist"/> took them out of it.
/// A training step inside a scope therefore reuses the same blocks every iteration:
/// <code>
/// using (var scope = MemoryScope.Begin())
/// {
///     var loss = ...; loss.Backward(); opt.Step();
/// }
/// </code>
/// </summary>
public sealed class MemoryScope : IDisposable
{
    [ThreadStatic]
    private static MemoryScope? t_current;

    private readonly List<Tensor> _owned = new();
    private readonly MemoryScope? _parent;
    private bool _disposed;

    private MemoryScope(MemoryScope? parent) => _parent = parent;

    /// <summary>The innermost open scope of this thread, or null.</summary>
    public static MemoryScope? Current => t_current;

    public static MemoryScope Begin()
    {
        var scope = new MemoryScope(t_current);
        t_current = scope;
        return scope;
    }

    /// <summary>Number of tensors this scope will dispose.</summary>
    public int Count => _owned.Count(t => t.Scope == this);

    internal void Register(Tensor t)
    {
        t.Scope = this;
        _owned.Add(t);
    }

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }
        _disposed = true;
        if (t_current != this)
        {
            throw new InvalidOperationException("memory scopes must end in the reverse order they began");
        }
        t_current = _parent;
        foreach (var t in _owned)
        {
            if (t.Scope == this)
            {
                t.Scope = null;
                t.Dispose();
            }
        }
        _owned.Clear();
    }
}
