using System.Runtime.Intrinsics;
using Gan3D.Kernels;

namespace Gan3D.Tensors;

/// <summary>
/// The managed CPU backend: SIMD loops (System.Numerics.Tensors and Vector256/512 micro-kernels),
/// parallel over this machine's cores. Reductions split work into fixed chunks that do not depend on the
/// thread count and combine them in order, so results are bit-for-bit reproducible.
/// </summary>
public sealed partial class CpuBackend : IBackend
{
    private static readonly Lazy<CpuBackend> s_default = new(() => new CpuBackend());

    public CpuBackend(int threads = 0)
    {
        Threads = threads > 0 ? threads : Environment.ProcessorCount;
        _parallel = new ParallelOptions { MaxDegreeOfParallelism = Threads };
    }

    /// <summary>A process-wide CPU backend using every core.</summary>
    public static CpuBackend Default => s_default.Value;

    public int Threads { get; }

    private readonly ParallelOptions _parallel;

    public string Name => $"cpu ({Threads} thread{(Threads == 1 ? "" : "s")}, {SimdDescription})";

    public DeviceKind Kind => DeviceKind.Cpu;

    public MemoryPool Pool { get; } = new CpuMemoryPool();

    /// <summary>The widest vector ISA the JIT uses here, e.g. "AVX-512 (512-bit)".</summary>
    public static string SimdDescription =>
        Vector512.IsHardwareAccelerated ? "AVX-512, 512-bit vectors" :
        Vector256.IsHardwareAccelerated ? "AVX2, 256-bit vectors" :
        Vector128.IsHardwareAccelerated ? "128-bit vectors" : "no SIMD";

    public void Dispose()
    {
        Pool.Trim();
    }

    /// <summary>The elements of a tensor of this backend.</summary>
    internal static Span<float> S(Tensor t) =>
        ((CpuMemoryPool.Block)t.Storage.Block).Data.AsSpan(0, checked((int)t.Numel));

    /// <summary>The whole array behind a tensor (for code that indexes with offsets).</summary>
    internal static float[] A(Tensor t) => ((CpuMemoryPool.Block)t.Storage.Block).Data;

    /// <summary>Runs body(i) for i in [0, count) on the backend's threads.</summary>
    internal void For(int count, Action<int> body)
    {
        if (count == 1 || Threads == 1)
        {
            for (int i = 0; i < count; i++)
            {
                body(i);
            }
            return;
        }
        Parallel.For(0, count, _parallel, body);
    }

    /// <summary>Runs body(start, length) over [0, n) in chunks of <paramref name="chunk"/> elements.</summary>
    internal void ForChunks(long n, int chunk, Action<int, int> body)
    {
        int chunks = (int)((n + chunk - 1) / chunk);
        For(chunks, c =>
        {
            int start = c * chunk;
            body(start, (int)Math.Min(chunk, n - start));
        });
    }

    // Elementwise work below this many elements runs on one thread: a parallel launch costs a few µs.
    private const int ParallelThreshold = 1 << 15;
    private const int ElementChunk = 1 << 14;

    /// <summary>Applies an elementwise body to [0, n), in parallel chunks when n is large.</summary>
    internal void Elementwise(long n, Action<int, int> body)
    {
        if (n < ParallelThreshold)
        {
            body(0, (int)n);
        }
        else
        {
            ForChunks(n, ElementChunk, body);
        }
    }

    public void Upload(ReadOnlySpan<float> source, Tensor destination) => source.CopyTo(S(destination));

    public void Download(Tensor source, Span<float> destination)
    {
        Interlocked.Increment(ref _hostReads);
        S(source).CopyTo(destination);
    }

    public void UploadBits(ReadOnlySpan<byte> bits, Tensor destination)
    {
        long n = destination.Numel;
        if (bits.Length != (n + 7) / 8)
        {
            throw new ArgumentException($"{bits.Length} bytes of bits cannot fill tensor {destination.Shape} ({(n + 7) / 8} bytes)");
        }
        var dst = S(destination);
        for (int i = 0; i < dst.Length; i++)
        {
            dst[i] = (bits[i >> 3] >> (i & 7)) & 1;
        }
    }

    private long _hostReads;

    public long HostReads => Interlocked.Read(ref _hostReads);

    public void Copy(Tensor source, Tensor destination)
    {
        var (src, dst) = (A(source), A(destination));
        Elementwise(source.Numel, (s, n) => src.AsSpan(s, n).CopyTo(dst.AsSpan(s, n)));
    }

    public void CopyRows(Tensor source, long sourceOffset, long sourceStride,
        Tensor destination, long destinationOffset, long destinationStride, long rows, long rowLength)
    {
        var (src, dst) = (A(source), A(destination));
        for (long r = 0; r < rows; r++)
        {
            src.AsSpan(checked((int)(sourceOffset + r * sourceStride)), (int)rowLength)
                .CopyTo(dst.AsSpan(checked((int)(destinationOffset + r * destinationStride)), (int)rowLength));
        }
    }

    public void Fill(Tensor destination, float value)
    {
        var d = A(destination);
        Elementwise(destination.Numel, (s, n) => d.AsSpan(s, n).Fill(value));
    }

    public void Synchronize() => Interlocked.Increment(ref _hostReads);

    public void FillUniform(Tensor destination, ulong seed, ulong offset, float low, float high)
    {
        var d = A(destination);
        float scale = high - low;
        Elementwise(destination.Numel, (s, n) =>
        {
            for (int i = s; i < s + n; i++)
            {
                d[i] = low + scale * Philox.ToUnit(Philox.Word0(seed, offset + (ulong)i));
            }
        });
    }

    public void FillNormal(Tensor destination, ulong seed, ulong offset, float mean, float std)
    {
        var d = A(destination);
        Elementwise(destination.Numel, (s, n) =>
        {
            for (int i = s; i < s + n; i++)
            {
                d[i] = mean + std * RandomMath.BoxMuller(seed, offset + (ulong)i);
            }
        });
    }
}

/// <summary>Pooled managed arrays; pinned-object-heap arrays so that they never move.</summary>
internal sealed class CpuMemoryPool : MemoryPool
{
    internal sealed class Block(long capacity) : MemoryBlock(capacity)
    {
        public readonly float[] Data = GC.AllocateUninitializedArray<float>(checked((int)capacity), pinned: true);
    }

    protected override MemoryBlock AllocateBlock(long capacity) => new Block(capacity);

    protected override void FreeBlock(MemoryBlock block)
    {
        // The garbage collector reclaims the array once the pool forgets it.
    }
}
