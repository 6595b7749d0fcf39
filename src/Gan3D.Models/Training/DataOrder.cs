using Gan3D.Tensors;

namespace Gan3D.Models;

/// <summary>
/// The order shapes are drawn in: each epoch is a fresh permutation from (seed, epoch), batches take
/// consecutive slices and the incomplete tail of an epoch is dropped. (Epoch, position) is the whole
/// state, so a resumed run draws the same batches as an uninterrupted one.
/// Given each shape's class and a group size g, an epoch is made of runs of g shapes of one class: each class's shapes in
/// the epoch's permutation are cut into runs of g (the last short run of a class waits for another epoch), and the runs
/// are shuffled; a batch that is a multiple of g then holds whole runs.
/// </summary>
public sealed class DataOrder
{
    private readonly int[] _permutation;
    private readonly ulong _seed;
    private readonly IReadOnlyList<int>? _classOf;
    private readonly int _group;

    /// <param name="count">Shapes in the data set.</param>
    /// <param name="seed">Seed of every epoch's permutation.</param>
    /// <param name="epoch">Epoch to continue from.</param>
    /// <param name="position">Position inside that epoch.</param>
    /// <param name="classOf">Each shape's class, for runs of one class (null: a plain permutation).</param>
    /// <param name="group">The runs' length g with <paramref name="classOf"/>.</param>
    public DataOrder(int count, ulong seed, long epoch = 0, int position = 0, IReadOnlyList<int>? classOf = null, int group = 1)
    {
        if (count <= 0)
        {
            throw new ArgumentException("the data set is empty");
        }
        if (classOf is not null && (classOf.Count != count || group < 1))
        {
            throw new ArgumentException($"runs of one class need a class for each of the {count} shapes and a run length of 1 or more");
        }
        _classOf = classOf;
        _group = group;
        _permutation = new int[classOf is null ? count : classOf.GroupBy(c => c).Sum(c => c.Count() / group * group)];
        if (_permutation.Length == 0)
        {
            throw new ArgumentException($"no class has {group} shapes to make a run of one class");
        }
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
        // A separate counter range per epoch: 2^32 draws apart, far more than a shuffle uses.
        var rng = new Rng(_seed, (ulong)Epoch << 32);
        var all = _classOf is null ? _permutation : new int[_classOf.Count];
        for (int i = 0; i < all.Length; i++)
        {
            all[i] = i;
        }
        rng.Shuffle(all.AsSpan());
        if (_classOf is null)
        {
            return;
        }
        // Runs of g shapes of one class, in the order the permutation met them, then the runs shuffled.
        var runs = all.GroupBy(i => _classOf[i]).SelectMany(c => c.Chunk(_group).Where(run => run.Length == _group)).ToArray();
        rng.Shuffle(runs.AsSpan());
        int at = 0;
        foreach (var run in runs)
        {
            run.CopyTo(_permutation, at);
            at += _group;
        }
    }
}
