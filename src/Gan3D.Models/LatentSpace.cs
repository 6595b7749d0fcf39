namespace Gan3D.Models;

/// <summary>Paths and arithmetic between latent codes (the paper's interpolation and shape arithmetic).</summary>
public static class LatentSpace
{
    /// <summary>(1 − t)·a + t·b.</summary>
    public static float[] Lerp(ReadOnlySpan<float> a, ReadOnlySpan<float> b, double t)
    {
        CheckSameLength(a, b);
        var r = new float[a.Length];
        for (int i = 0; i < r.Length; i++)
        {
            r[i] = (float)((1 - t) * a[i] + t * b[i]);
        }
        return r;
    }

    /// <summary>
    /// Spherical interpolation along the great circle from a to b (magnitudes interpolated linearly),
    /// which keeps codes at a typical norm; falls back to <see cref="Lerp"/> when a and b are nearly parallel.
    /// </summary>
    public static float[] Slerp(ReadOnlySpan<float> a, ReadOnlySpan<float> b, double t)
    {
        CheckSameLength(a, b);
        double na = Norm(a), nb = Norm(b);
        if (na == 0 || nb == 0)
        {
            return Lerp(a, b, t);
        }
        double dot = 0;
        for (int i = 0; i < a.Length; i++)
        {
            dot += a[i] / na * (b[i] / nb);
        }
        double omega = Math.Acos(Math.Clamp(dot, -1, 1));
        if (omega < 1e-4)
        {
            return Lerp(a, b, t);
        }
        double s = Math.Sin(omega), wa = Math.Sin((1 - t) * omega) / s, wb = Math.Sin(t * omega) / s;
        double norm = (1 - t) * na + t * nb;
        var r = new float[a.Length];
        for (int i = 0; i < r.Length; i++)
        {
            r[i] = (float)(norm * (wa * a[i] / na + wb * b[i] / nb));
        }
        return r;
    }

    /// <summary>from − minus + plus, the paper's "shape arithmetic".</summary>
    public static float[] Arithmetic(ReadOnlySpan<float> from, ReadOnlySpan<float> minus, ReadOnlySpan<float> plus)
    {
        CheckSameLength(from, minus);
        CheckSameLength(from, plus);
        var r = new float[from.Length];
        for (int i = 0; i < r.Length; i++)
        {
            r[i] = from[i] - minus[i] + plus[i];
        }
        return r;
    }

    /// <summary>The mean of the rows of an (N, Z) array: several stored codes of one concept averaged.</summary>
    public static float[] MeanRow(ReadOnlySpan<float> rows, int z)
    {
        if (z <= 0 || rows.Length == 0 || rows.Length % z != 0)
        {
            throw new ArgumentException($"{rows.Length} values are not rows of {z} latent values");
        }
        int n = rows.Length / z;
        var r = new float[z];
        for (int k = 0; k < n; k++)
        {
            for (int i = 0; i < z; i++)
            {
                r[i] += rows[k * z + i] / n;
            }
        }
        return r;
    }

    private static double Norm(ReadOnlySpan<float> v)
    {
        double s = 0;
        foreach (float x in v)
        {
            s += (double)x * x;
        }
        return Math.Sqrt(s);
    }

    private static void CheckSameLength(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        if (a.Length != b.Length)
        {
            throw new ArgumentException($"latent codes of different sizes ({a.Length} and {b.Length})");
        }
    }
}
