using Gan3D.Tensors;

namespace Gan3D.Models;

/// <summary>
/// The order shapes are drawn in: each epoch is a fresh permutation from (seed, epoch), batches take
/// consecutive slices and the incomplete tail of an epoch is dropped. (Epoch, position) is the whole
/// state, so a resumed run draws the same batches as an uninterrupted one.
/// </summary>
public sealed class DataOrder
{
    private readonly int[] _permutation;
    private readonly ulong _seed;

    public DataOrder(int count, ulong seed, long epoch = 0, int position = 0)
    {
        if (count <= 0)
        {
            throw new ArgumentException("the data set is empty");
        }
        _permutation = new int[count];
        _seed = seed;
        Epoch = epoch;
        Position = position;
        Shuffle();
    }

    public long Epoch { get; private set; }

    public int Position { get; private set; }

    /// <summary>Fills <paramref name="indices"/> with the next batch of shape indices.</summary>
    public void Next(Span<int> indices)
    {
        if (indices.Length > _permutation.Length)
        {
            throw new ArgumentException($"a batch of {indices.Length} is larger than the {_permutation.Length} shapes of the data set");
        }
        if (Position + indices.Length > _permutation.Length)
        {
            Epoch++;
            Position = 0;
            Shuffle();
        }
        _permutation.AsSpan(Position, indices.Length).CopyTo(indices);
        Position += indices.Length;
    }

    private void Shuffle()
    {
        for (int i = 0; i < _permutation.Length; i++)
        {
            _permutation[i] = i;
        }
        // A separate counter range per epoch: 2^32 draws apart, far more than a shuffle uses.
        new Rng(_seed, (ulong)Epoch << 32).Shuffle(_permutation.AsSpan());
    }
}
