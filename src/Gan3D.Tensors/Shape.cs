using System.Collections;

namespace Gan3D.Tensors;

/// <summary>
/// The extents of a contiguous row-major tensor, outermost first (NCDHW for volumes).
/// Immutable; equality is by value.
/// </summary>
public readonly struct Shape : IEquatable<Shape>, IReadOnlyList<int>
{
    private readonly int[]? _dims;

    public Shape(params int[] dims)
    {
        ArgumentNullException.ThrowIfNull(dims);
        foreach (int d in dims)
        {
            if (d < 0)
            {
                throw new ArgumentException($"a shape cannot have a negative extent: ({string.Join(", ", dims)})");
            }
        }
        _dims = (int[])dims.Clone();
        long n = 1;
        foreach (int d in dims)
        {
            n *= d;
        }
        _numel = n;
    }

    private readonly long _numel;

    /// <summary>Number of elements (the product of the extents; 1 for a scalar, including default(Shape)).</summary>
    public long Numel => _dims is null ? 1 : _numel;

    public int Rank => _dims?.Length ?? 0;

    public int Count => Rank;

    public int this[int axis]
    {
        get
        {
            int r = Rank;
            if (axis < 0)
            {
                axis += r;
            }
            if ((uint)axis >= (uint)r)
            {
                throw new ArgumentOutOfRangeException(nameof(axis), $"axis {axis} is out of range for shape {this}");
            }
            return _dims![axis];
        }
    }

    /// <summary>A copy of the extents.</summary>
    public int[] ToArray() => _dims is null ? [] : (int[])_dims.Clone();

    /// <summary>Product of the extents from <paramref name="start"/> to the end.</summary>
    public long SizeFrom(int start)
    {
        long n = 1;
        for (int i = start; i < Rank; i++)
        {
            n *= _dims![i];
        }
        return n;
    }

    public bool Equals(Shape other)
    {
        if (Rank != other.Rank)
        {
            return false;
        }
        for (int i = 0; i < Rank; i++)
        {
            if (_dims![i] != other._dims![i])
            {
                return false;
            }
        }
        return true;
    }

    public override bool Equals(object? obj) => obj is Shape s && Equals(s);

    public override int GetHashCode()
    {
        var h = new HashCode();
        for (int i = 0; i < Rank; i++)
        {
            h.Add(_dims![i]);
        }
        return h.ToHashCode();
    }

    public static bool operator ==(Shape a, Shape b) => a.Equals(b);

    public static bool operator !=(Shape a, Shape b) => !a.Equals(b);

    public static implicit operator Shape(int[] dims) => new(dims);

    public override string ToString() => "(" + string.Join(", ", _dims ?? []) + ")";

    public IEnumerator<int> GetEnumerator() => ((IEnumerable<int>)(_dims ?? [])).GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
