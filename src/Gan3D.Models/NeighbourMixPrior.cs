using System.Numerics.Tensors;
using Gan3D.Tensors;

namespace Gan3D.Models;

/// <summary>
/// The latent model's prior: new codes drawn near the training shapes' codes. A draw picks a stored
/// code a uniformly, one of its <see cref="Neighbours"/> nearest stored codes b (squared Euclidean
/// distance, ties to the lower index), and t uniform in [<see cref="Margin"/>, 1 − <see cref="Margin"/>),
/// and returns (1 − t)·a + t·b: a point between two similar training shapes, never a stored code itself
/// when the margin is above 0 (the margin keeps draws away from copies of the training shapes).
/// </summary>
public sealed class NeighbourMixPrior
{
    private readonly float[] _codes;
    private readonly int[] _nearest;

    /// <param name="codes">The stored codes, <paramref name="count"/> rows of <paramref name="latentDim"/> values.</param>
    /// <param name="count">How many codes (at least 2).</param>
    /// <param name="latentDim">Values a code.</param>
    /// <param name="neighbours">Nearest codes a draw may move towards (1 to count − 1).</param>
    /// <param name="margin">t is drawn from [margin, 1 − margin): 0 to 0.5.</param>
    public NeighbourMixPrior(float[] codes, int count, int latentDim, int neighbours, float margin)
    {
        ArgumentNullException.ThrowIfNull(codes);
        if (count < 2 || latentDim < 1 || codes.Length != (long)count * latentDim)
        {
            throw new ArgumentException($"{codes.Length} values are not {count} ≥ 2 codes of size {latentDim}");
        }
        if (neighbours < 1 || neighbours >= count)
        {
            throw new ArgumentException($"neighbours {neighbours} must be between 1 and {count - 1} (the other stored codes)");
        }
        if (!(margin >= 0 && margin <= 0.5f))
        {
            throw new ArgumentException($"margin {margin} must be in [0, 0.5]");
        }
        _codes = codes;
        Count = count;
        LatentDim = latentDim;
        Neighbours = neighbours;
        Margin = margin;
        _nearest = new int[count * neighbours];
        // Distances in float64, vectorised: a brute force over 6000 codes of 200 is 7.2 billion terms.
        var wide = new double[codes.Length];
        TensorPrimitives.ConvertChecked<float, double>(codes, wide);
        Parallel.For(0, count, () => new double[latentDim], (i, _, difference) =>
        {
            FindNearest(wide, i, difference);
            return difference;
        }, _ => { });
    }

    /// <summary>Stored codes.</summary>
    public int Count { get; }

    /// <summary>Values a code.</summary>
    public int LatentDim { get; }

    /// <summary>Nearest stored codes a draw may move towards.</summary>
    public int Neighbours { get; }

    /// <summary>t is drawn from [Margin, 1 − Margin).</summary>
    public float Margin { get; }

    /// <summary>The stored codes (Count × LatentDim).</summary>
    public ReadOnlySpan<float> Codes => _codes;

    /// <summary>The indices of code <paramref name="i"/>'s nearest stored codes, nearest first.</summary>
    public ReadOnlySpan<int> NearestOf(int i) => _nearest.AsSpan(i * Neighbours, Neighbours);

    /// <summary><paramref name="count"/> new codes (count × LatentDim), three draws of <paramref name="rng"/> each.</summary>
    public float[] Sample(int count, Rng rng)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        int z = LatentDim;
        var result = new float[(long)count * z];
        for (int s = 0; s < count; s++)
        {
            int a = rng.NextInt(Count);
            int b = NearestOf(a)[rng.NextInt(Neighbours)];
            float t = (float)(Margin + ((1 - (2 * Margin)) * rng.NextDouble()));
            var ca = _codes.AsSpan(a * z, z);
            var cb = _codes.AsSpan(b * z, z);
            var row = result.AsSpan(s * z, z);
            for (int k = 0; k < z; k++)
            {
                row[k] = ca[k] + (t * (cb[k] - ca[k]));
            }
        }
        return result;
    }

    private void FindNearest(double[] codes, int i, double[] difference)
    {
        int z = LatentDim, m = Neighbours;
        var best = new (double Distance, int Index)[m];
        best.AsSpan().Fill((double.PositiveInfinity, int.MaxValue));
        var ci = codes.AsSpan(i * z, z);
        for (int j = 0; j < Count; j++)
        {
            if (j == i)
            {
                continue;
            }
            TensorPrimitives.Subtract(ci, codes.AsSpan(j * z, z), difference);
            double d = TensorPrimitives.SumOfSquares<double>(difference);
            // Insertion into the sorted list of the m best so far (ties keep the lower index first).
            int at = m;
            while (at > 0 && d < best[at - 1].Distance)
            {
                at--;
            }
            if (at < m)
            {
                Array.Copy(best, at, best, at + 1, m - at - 1);
                best[at] = (d, j);
            }
        }
        for (int k = 0; k < m; k++)
        {
            _nearest[(i * m) + k] = best[k].Index;
        }
    }
}
