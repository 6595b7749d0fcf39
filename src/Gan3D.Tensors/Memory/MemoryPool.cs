namespace Gan3D.Tensors;

/// <summary>A piece of device memory owned by a <see cref="MemoryPool"/>: Capacity float32 elements.</summary>
public abstract class MemoryBlock
{
    protected MemoryBlock(long capacity) => Capacity = capacity;

    public long Capacity { get; }
}

/// <summary>
/// Caching allocator for one backend, keyed by size class. Freed blocks are kept for reuse, so a
/// training loop whose shapes repeat stops asking the device for memory after its first iteration
/// (GPU frees synchronise, and the garbage collector must never own GPU memory).
/// Size classes are eight per octave, so at most 12.5% of a block is slack.
/// A cached block that no iteration asked for in a while is dead (the batch size changed, a sampling or
/// profiling phase ended): <see cref="EndIteration"/> gives such blocks back, so the pool holds what the
/// loop uses and not the high-water mark of every phase the process went through.
/// </summary>
public abstract class MemoryPool
{
    // Per size class, free blocks with the iteration they were last returned in; the most recent at the
    // end (reused first), so the idle ones gather at the front.
    private readonly Dictionary<long, List<(MemoryBlock Block, long Iteration)>> _free = new();
    private readonly Lock _lock = new();
    private long _iteration;

    /// <summary>Bytes handed out and not yet returned.</summary>
    public long InUseBytes { get; private set; }

    /// <summary>Highest <see cref="InUseBytes"/> since creation or <see cref="ResetPeak"/>.</summary>
    public long PeakInUseBytes { get; private set; }

    /// <summary>Bytes obtained from the device: in use plus cached.</summary>
    public long ReservedBytes { get; private set; }

    /// <summary>Highest <see cref="ReservedBytes"/> since creation or <see cref="ResetPeak"/>.</summary>
    public long PeakReservedBytes { get; private set; }

    /// <summary>Number of blocks obtained from the device (a steady-state loop keeps this constant).</summary>
    public long DeviceAllocations { get; private set; }

    protected abstract MemoryBlock AllocateBlock(long capacity);

    protected abstract void FreeBlock(MemoryBlock block);

    /// <summary>The smallest size class that holds <paramref name="length"/> elements.</summary>
    public static long SizeClass(long length)
    {
        const long minimum = 64; // one cache line of floats is 16; 64 keeps tiny tensors from fragmenting
        if (length <= minimum)
        {
            return minimum;
        }
        int octave = 63 - System.Numerics.BitOperations.LeadingZeroCount((ulong)(length - 1));
        long step = Math.Max(1L << Math.Max(octave - 3, 0), 1);
        return (length + step - 1) / step * step;
    }

    public MemoryBlock Rent(long length)
    {
        long capacity = SizeClass(length);
        lock (_lock)
        {
            MemoryBlock block;
            if (_free.TryGetValue(capacity, out var stack) && stack.Count > 0)
            {
                block = stack[^1].Block;
                stack.RemoveAt(stack.Count - 1);
            }
            else
            {
                block = AllocateBlock(capacity);
                DeviceAllocations++;
                ReservedBytes += capacity * sizeof(float);
                PeakReservedBytes = Math.Max(PeakReservedBytes, ReservedBytes);
            }
            InUseBytes += capacity * sizeof(float);
            PeakInUseBytes = Math.Max(PeakInUseBytes, InUseBytes);
            return block;
        }
    }

    public void Return(MemoryBlock block)
    {
        lock (_lock)
        {
            InUseBytes -= block.Capacity * sizeof(float);
            if (!_free.TryGetValue(block.Capacity, out var stack))
            {
                _free[block.Capacity] = stack = new List<(MemoryBlock, long)>();
            }
            stack.Add((block, _iteration));
        }
    }

    /// <summary>Gives every cached block back to the device.</summary>
    public void Trim()
    {
        lock (_lock)
        {
            ReleaseIdle(long.MaxValue);
        }
    }

    /// <summary>
    /// Marks the end of a training iteration and gives back every cached block that has not been in use
    /// during the last <paramref name="keep"/> iterations. A loop whose shapes repeat uses each of its
    /// blocks every iteration, so it never loses one; blocks of an earlier phase go after <paramref name="keep"/>.
    /// </summary>
    public void EndIteration(int keep = 4)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(keep, 1);
        lock (_lock)
        {
            _iteration++;
            ReleaseIdle(_iteration - keep);
        }
    }

    /// <summary>Frees the cached blocks last returned before iteration <paramref name="before"/> (the lock held).</summary>
    private void ReleaseIdle(long before)
    {
        foreach (var stack in _free.Values)
        {
            int idle = 0;
            while (idle < stack.Count && stack[idle].Iteration < before)
            {
                ReservedBytes -= stack[idle].Block.Capacity * sizeof(float);
                FreeBlock(stack[idle].Block);
                idle++;
            }
            stack.RemoveRange(0, idle);
        }
    }

    public void ResetPeak()
    {
        lock (_lock)
        {
            PeakInUseBytes = InUseBytes;
            PeakReservedBytes = ReservedBytes;
        }
    }
}

/// <summary>
/// The memory behind one or more tensors (a reshape shares it). Reference counted: the block goes
/// back to the pool when the last tensor using it is disposed.
/// </summary>
public sealed class TensorStorage
{
    private int _refs = 1;

    internal TensorStorage(IBackend backend, MemoryBlock block, long length)
    {
        Backend = backend;
        Block = block;
        Length = length;
    }

    public IBackend Backend { get; }

    public MemoryBlock Block { get; private set; }

    /// <summary>Elements in use (the block may hold more).</summary>
    public long Length { get; }

    public bool IsReleased => _refs <= 0;

    internal void AddRef() => Interlocked.Increment(ref _refs);

    internal void Release()
    {
        if (Interlocked.Decrement(ref _refs) == 0)
        {
            Backend.Pool.Return(Block);
        }
    }
}
