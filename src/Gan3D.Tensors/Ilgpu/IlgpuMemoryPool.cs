using ILGPU;
using ILGPU.Runtime;

namespace Gan3D.Tensors;

/// <summary>
/// Pooled ILGPU buffers: one device allocation per block, kept for reuse by <see cref="MemoryPool"/>
/// (a CUDA free synchronises the device, so a training loop must not allocate in steady state).
/// </summary>
internal sealed class IlgpuMemoryPool(Accelerator accelerator) : MemoryPool
{
    internal sealed class Block(MemoryBuffer1D<float, Stride1D.Dense> buffer) : MemoryBlock(buffer.Length)
    {
        public MemoryBuffer1D<float, Stride1D.Dense> Buffer { get; } = buffer;
    }

    protected override MemoryBlock AllocateBlock(long capacity) => new Block(accelerator.Allocate1D<float>(capacity));

    protected override void FreeBlock(MemoryBlock block) => ((Block)block).Buffer.Dispose();
}
