namespace Gan3D.Tensors;

/// <summary>Argument checks shared by the ops; every message names the op and the shapes involved.</summary>
internal static class Check
{
    public static void SameBackend(string op, Tensor a, Tensor b)
    {
        if (!ReferenceEquals(a.Backend, b.Backend))
        {
            throw new ArgumentException($"{op}: tensors {a.Shape} on {a.Backend.Name} and {b.Shape} on {b.Backend.Name} are on different devices");
        }
    }

    public static void SameShape(string op, Tensor a, Tensor b)
    {
        SameBackend(op, a, b);
        if (a.Shape != b.Shape)
        {
            throw new ArgumentException($"{op}: shapes {a.Shape} and {b.Shape} differ");
        }
    }

    public static void Rank(string op, Tensor t, int rank, string layout)
    {
        if (t.Rank != rank)
        {
            throw new ArgumentException($"{op}: expected a rank-{rank} {layout} tensor, got {t.Shape}");
        }
    }

    public static void Positive(string op, string what, int value)
    {
        if (value <= 0)
        {
            throw new ArgumentException($"{op}: {what} must be positive, got {value}");
        }
    }

    public static void NonNegative(string op, string what, int value)
    {
        if (value < 0)
        {
            throw new ArgumentException($"{op}: {what} must not be negative, got {value}");
        }
    }

    /// <summary>A LeakyReLU slope: positive (and not NaN), so the output's sign is the input's.</summary>
    public static void NegativeSlope(string op, float slope)
    {
        if (!(slope > 0f))
        {
            throw new ArgumentException($"{op}: the negative slope must be positive, got {slope}");
        }
    }
}

/// <summary>A per-axis triple (depth, height, width) for kernel sizes, strides and paddings.</summary>
public readonly record struct Dim3(int D, int H, int W)
{
    public static implicit operator Dim3(int v) => new(v, v, v);

    public static implicit operator Dim3((int D, int H, int W) t) => new(t.D, t.H, t.W);

    public override string ToString() => D == H && H == W ? D.ToString(System.Globalization.CultureInfo.InvariantCulture) : $"({D},{H},{W})";
}
