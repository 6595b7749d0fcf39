using ILGPU;
using ILGPU.Runtime;

namespace Gan3D.Tensors;

/// <summary>
/// Voxel batches uploaded as bits and expanded on the device, through page-locked staging on CUDA (an
/// asynchronous copy: the host does not wait); and the count of the host's waits for the device.
/// </summary>
public sealed partial class IlgpuBackend
{
    private MemoryBuffer1D<byte, Stride1D.Dense>? _bitsDevice;
    private PageLockedArray1D<byte>? _bitsStaging;
    private long _hostReads;
    private long _readsAtStagedCopy = -1;

    public long HostReads => Interlocked.Read(ref _hostReads);

    public unsafe void UploadBits(ReadOnlySpan<byte> bits, Tensor destination)
    {
        long n = destination.Numel, bytes = (n + 7) / 8;
        if (bits.Length != bytes)
        {
            throw new ArgumentException($"{bits.Length} bytes of bits cannot fill tensor {destination.Shape} ({bytes} bytes)");
        }
        CheckSize(n);
        if (n == 0)
        {
            return;
        }
        if (_bitsDevice is null || _bitsDevice.Length < bytes)
        {
            _accelerator.Synchronize(); // a queued expansion may still read the old buffer
            _bitsDevice?.Dispose();
            _bitsDevice = _accelerator.Allocate1D<byte>(bytes);
        }
        var target = _bitsDevice.View.SubView(0, bytes);
        if (Kind == DeviceKind.Cuda)
        {
            if (_bitsStaging is null || _bitsStaging.Length != bytes)
            {
                _accelerator.Synchronize();
                _bitsStaging?.Dispose();
                _bitsStaging = _accelerator.AllocatePageLocked1D<byte>(bytes);
            }
            else if (_readsAtStagedCopy == HostReads)
            {
                // The last copy out of the staging was queued with no wait since: it may not have run yet.
                // A training iteration reads its scalars back once, so this wait never happens there.
                Synchronize();
            }
            bits.CopyTo(_bitsStaging.Span);
            target.CopyFromPageLockedAsync(_accelerator.DefaultStream, _bitsStaging);
            _readsAtStagedCopy = HostReads;
        }
        else
        {
            // The CPU accelerator has no page-locked memory to speak of: a plain synchronous copy.
            fixed (byte* host = bits)
            {
                target.CopyFromCPU(_accelerator.DefaultStream, ref *host, bytes);
            }
        }
        _k.ExpandBits((int)n, target, V(destination));
    }

    private void DisposeTransfers()
    {
        _bitsDevice?.Dispose();
        _bitsStaging?.Dispose();
    }
}
