using Gan3D.Kernels;

namespace Gan3D.Tensors;

/// <summary>
/// A seeded random stream: (seed, offset) is its whole state, so a checkpoint can store it and a
/// resumed run continues the same sequence. Element i of each draw comes from Philox4x32-10 at
/// counter offset + i, so a draw is identical on every backend.
/// </summary>
public sealed class Rng
{
    private static Rng s_default = new(0);

    /// <summary>
    /// The stream layers draw their initial weights from when none is given (torch's global generator);
    /// reseed it with <see cref="ManualSeed"/>. Code that must be reproducible passes its own generator.
    /// </summary>
    public static Rng Default => Volatile.Read(ref s_default);

    /// <summary>Replaces <see cref="Default"/> with a fresh stream of <paramref name="seed"/>.</summary>
    public static void ManualSeed(ulong seed) => Volatile.Write(ref s_default, new Rng(seed));

    public Rng(ulong seed, ulong offset = 0)
    {
        Seed = seed;
        _offset = offset;
    }

    public ulong Seed { get; }

    private ulong _offset;

    /// <summary>Counters consumed so far. Draws reserve their counters atomically, so concurrent use never repeats numbers.</summary>
    public ulong Offset
    {
        get => Interlocked.Read(ref _offset);
        set => Interlocked.Exchange(ref _offset, value);
    }

    /// <summary>Reserves <paramref name="count"/> counters and returns the first.</summary>
    private ulong Reserve(long count) => Interlocked.Add(ref _offset, (ulong)count) - (ulong)count;

    /// <summary>Fills <paramref name="t"/> with U[low, high).</summary>
    public void FillUniform(Tensor t, float low = 0f, float high = 1f)
    {
        t.Backend.FillUniform(t, Seed, Reserve(t.Numel), low, high);
    }

    /// <summary>Fills <paramref name="t"/> with N(mean, std²).</summary>
    public void FillNormal(Tensor t, float mean = 0f, float std = 1f)
    {
        t.Backend.FillNormal(t, Seed, Reserve(t.Numel), mean, std);
    }

    public Tensor Uniform(Shape shape, IBackend backend, float low = 0f, float high = 1f)
    {
        var t = Tensor.Empty(shape, backend);
        FillUniform(t, low, high);
        return t;
    }

    public Tensor Normal(Shape shape, IBackend backend, float mean = 0f, float std = 1f)
    {
        var t = Tensor.Empty(shape, backend);
        FillNormal(t, mean, std);
        return t;
    }

    /// <summary>A uniform 32-bit value on the host (data order, augmentation choices).</summary>
    public uint NextUInt32() => Philox.Word0(Seed, Reserve(1));

    /// <summary>A uniform integer in [0, n), without modulo bias.</summary>
    public int NextInt(int n)
    {
        if (n <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(n), "the range must be positive");
        }
        ulong product = (ulong)NextUInt32() * (uint)n;
        uint low = (uint)product;
        if (low < (uint)n)
        {
            uint threshold = (uint)(-n) % (uint)n;
            while (low < threshold)
            {
                product = (ulong)NextUInt32() * (uint)n;
                low = (uint)product;
            }
        }
        return (int)(product >> 32);
    }

    /// <summary>A uniform double in [0, 1).</summary>
    public double NextDouble() => (NextUInt32() >> 5) * (1.0 / 134217728.0);

    /// <summary>Shuffles <paramref name="items"/> in place (Fisher–Yates).</summary>
    public void Shuffle<T>(Span<T> items)
    {
        for (int i = items.Length - 1; i > 0; i--)
        {
            int j = NextInt(i + 1);
            (items[i], items[j]) = (items[j], items[i]);
        }
    }
}
