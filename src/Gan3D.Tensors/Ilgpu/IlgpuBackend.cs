using System.Runtime.InteropServices;
using Gan3D.Kernels;
using ILGPU;
using ILGPU.Runtime;
using ILGPU.Runtime.CPU;
using ILGPU.Runtime.Cuda;

namespace Gan3D.Tensors;

/// <summary>
/// Runs the kernels of Gan3D.Kernels on an ILGPU accelerator: CUDA in production, ILGPU's CPU
/// accelerator (an emulator, about 1 µs per thread) for checking kernels in tests.
/// Every kernel is loaded once, at construction. Work is queued on the accelerator's default stream,
/// in order; only <see cref="Download"/>, <see cref="Upload"/> and <see cref="Synchronize"/> wait for it.
/// Scalars (losses) stay on the device: backward kernels read dLoss[0] there.
/// Not thread-safe: drive one backend from one thread at a time.
/// </summary>
public sealed partial class IlgpuBackend : IBackend
{
    /// <summary>
    /// Largest tensor a kernel may index: int indices (32-bit address math), with room for a reduction
    /// slice index to step past the end without overflowing.
    /// </summary>
    public const long MaxElements = int.MaxValue - (1 << 20);

    private readonly Context _context;
    private readonly Accelerator _accelerator;
    private readonly IlgpuMemoryPool _pool;
    private readonly KernelSet _k;
    private MemoryBuffer1D<double, Stride1D.Dense>? _scratch;
    private MemoryBuffer1D<float, Stride1D.Dense>? _floatScratch;
    private readonly string _deviceName;
    private int _kernelVersion;
    private bool _disposed;

    /// <summary>
    /// ILGPU loads its CUDA driver binding once, on first use: the libcuda.so.1 resolver must be in
    /// place before anything of this class can reach ILGPU's CUDA code.
    /// </summary>
    static IlgpuBackend() => IlgpuNative.InstallCudaResolver();

    /// <summary>
    /// A backend on <paramref name="accelerator"/>; once constructed it owns the accelerator and the
    /// context and disposes both (if the constructor throws, they stay the caller's). Loads every kernel
    /// (compiling them for the device) before returning.
    /// </summary>
    public IlgpuBackend(Context context, Accelerator accelerator)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(accelerator);
        _context = context;
        _accelerator = accelerator;
        Kind = accelerator.AcceleratorType switch
        {
            AcceleratorType.Cuda => DeviceKind.Cuda,
            AcceleratorType.CPU => DeviceKind.IlgpuCpu,
            _ => throw new NotSupportedException($"ILGPU accelerator type {accelerator.AcceleratorType} is not supported (CUDA or CPU only)"),
        };
        _deviceName = accelerator is CudaAccelerator cuda
            ? $"cuda:{cuda.DeviceId} {cuda.Name} ({DescribeArchitecture(cuda.Architecture)}, {cuda.MemorySize / (double)(1L << 30):F1} GiB)"
            : "ilgpu-cpu (emulator)";
        _pool = new IlgpuMemoryPool(accelerator);
        _k = new KernelSet(accelerator);
        _kernelVersion = _k.V2 is null ? 1 : 2;
    }

    /// <summary>
    /// Whether <paramref name="accelerator"/> can run the version-2 kernels: groups of
    /// <see cref="ImplicitGemmTile.Threads"/> threads and 32-wide warps (every CUDA GPU; the CPU
    /// accelerator only when created with such a <see cref="CPUDevice"/>).
    /// </summary>
    public static bool SupportsVersion2(Accelerator accelerator) =>
        accelerator.MaxNumThreadsPerGroup >= ImplicitGemmTile.Threads && accelerator.WarpSize == 32;

    /// <summary>
    /// Which kernels run the ops that have several versions (convolution, batch-norm statistics,
    /// reductions): 1 = naive (the reference), 2 = tiled / fused / warp-shuffle, 3 = version 2 with the
    /// convolutions on 8 × 8 register tiles (<see cref="ImplicitGemmTile3"/>; not yet timed on a GPU).
    /// Defaults to 2 where the accelerator can run it, else 1.
    /// </summary>
    public int KernelVersion
    {
        get => _kernelVersion;
        set
        {
            if (value is not (1 or 2 or 3))
            {
                throw new ArgumentOutOfRangeException(nameof(value), value, "kernel version must be 1, 2 or 3");
            }
            if (value >= 2 && _k.V2 is null)
            {
                throw new NotSupportedException(
                    $"{Name} cannot run version-{value} kernels: they need groups of {ImplicitGemmTile.Threads} threads and 32-wide warps " +
                    $"(this accelerator: groups of {_accelerator.MaxNumThreadsPerGroup}, warps of {_accelerator.WarpSize})");
            }
            _kernelVersion = value;
        }
    }

    /// <summary>1, 2 and 3 where the accelerator can run version 2 (<see cref="SupportsVersion2"/>), else 1.</summary>
    public IReadOnlyList<int> KernelVersions => _k.V2 is null ? [1] : [1, 2, 3];

    /// <summary>
    /// A backend on ILGPU's CPU accelerator, for testing kernels without a GPU.
    /// </summary>
    /// <param name="device">
    /// The simulated device; by default 1 multiprocessor of 2 warps of 4 threads (version-1 kernels use
    /// neither groups nor warps, and few OS threads keep the emulator fast on small machines). Kernels
    /// that use 32-wide warps need <c>new CPUDevice(32, 4, n)</c>.
    /// </param>
    public static IlgpuBackend CreateCpu(CPUDevice? device = null)
    {
        device ??= new CPUDevice(numThreadsPerWarp: 4, numWarpsPerMultiprocessor: 2, numMultiprocessors: 1);
        // Default math mode: the emulator runs the kernels' .NET code, and tests compare it to float64.
        var context = Context.Create(b => b.CPU(device).EnableAlgorithms().Optimize(OptimizationLevel.O1));
        Accelerator? accelerator = null;
        try
        {
            accelerator = device.CreateCPUAccelerator(context, CPUAcceleratorMode.Parallel);
            return new IlgpuBackend(context, accelerator);
        }
        catch
        {
            accelerator?.Dispose();
            context.Dispose();
            throw;
        }
    }

    /// <summary>
    /// A backend on CUDA device <paramref name="deviceIndex"/>, or null when ILGPU finds no such
    /// device (no driver, no GPU, or a driver too old for ILGPU, which then silently drops the device).
    /// </summary>
    public static IlgpuBackend? TryCreateCuda(int deviceIndex = 0)
    {
        IlgpuNative.InstallCudaResolver();
        var context = CreateCudaContext();
        Accelerator? accelerator = null;
        try
        {
            var devices = context.GetCudaDevices();
            if (deviceIndex < 0 || deviceIndex >= devices.Count)
            {
                context.Dispose();
                return null;
            }
            accelerator = devices[deviceIndex].CreateCudaAccelerator(context);
            return new IlgpuBackend(context, accelerator);
        }
        catch
        {
            accelerator?.Dispose();
            context.Dispose();
            throw;
        }
    }

    /// <summary>The context production CUDA runs use: O2 and fast math (approximate exp/log/rsqrt, flush to zero).</summary>
    internal static Context CreateCudaContext() =>
        Context.Create(b => b.Cuda().EnableAlgorithms().Optimize(OptimizationLevel.O2).Math(MathMode.Fast));

    internal static string DescribeArchitecture(CudaArchitecture arch) => $"sm_{arch.Major}{arch.Minor}";

    /// <summary>The device, and ", TF32 convolutions" while <see cref="Precision"/> is TF32 (runs and profiles say which path ran).</summary>
    public string Name => _precision == ConvPrecision.Tf32 ? _deviceName + ", TF32 convolutions" : _deviceName;

    public DeviceKind Kind { get; }

    public MemoryPool Pool => _pool;

    /// <summary>The ILGPU accelerator (for benchmarks and diagnostics).</summary>
    public Accelerator Accelerator => _accelerator;

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }
        _disposed = true;
        _accelerator.Synchronize();
        _pool.Trim();
        _scratch?.Dispose();
        _floatScratch?.Dispose();
        DisposeTransfers();
        _accelerator.Dispose();
        _context.Dispose();
    }

    // ------------------------------------------------------------ views and launch sizes

    /// <summary>The kernel view of a tensor of this backend: its first Numel elements.</summary>
    private ArrayView<float> V(Tensor t)
    {
        var storage = t.Storage;
        if (!ReferenceEquals(storage.Backend, this) || storage.Block is not IlgpuMemoryPool.Block block)
        {
            throw new ArgumentException($"tensor {t.Shape} lives on {storage.Backend.Name}, not on {Name}");
        }
        CheckSize(t.Numel);
        return block.Buffer.View.SubView(0, Math.Max(t.Numel, 1));
    }

    private static void CheckSize(long n)
    {
        if (n > MaxElements)
        {
            throw new NotSupportedException($"a tensor of {n} elements is too large for the ILGPU kernels (at most {MaxElements}: they index with 32-bit ints)");
        }
    }

    /// <summary>A device scratch area of float64 partial sums; reused call after call (the stream is in order).</summary>
    private ArrayView<double> Scratch(long count)
    {
        if (_scratch is null || _scratch.Length < count)
        {
            long capacity = Math.Max(count, 2 * (_scratch?.Length ?? 512));
            if (_scratch is not null)
            {
                _accelerator.Synchronize(); // queued kernels may still read the old area
                _scratch.Dispose();
            }
            _scratch = _accelerator.Allocate1D<double>(capacity);
        }
        return _scratch.View.SubView(0, count);
    }

    /// <summary>A device scratch area of float32 partial results (split-K convolution); reused like <see cref="Scratch"/>.</summary>
    private ArrayView<float> FloatScratch(long count)
    {
        if (_floatScratch is null || _floatScratch.Length < count)
        {
            long capacity = Math.Max(count, 2 * (_floatScratch?.Length ?? 512));
            if (_floatScratch is not null)
            {
                _accelerator.Synchronize();
                _floatScratch.Dispose();
            }
            _floatScratch = _accelerator.Allocate1D<float>(capacity);
        }
        return _floatScratch.View.SubView(0, count);
    }

    // ------------------------------------------------------------ data movement

    public unsafe void Upload(ReadOnlySpan<float> source, Tensor destination)
    {
        if (source.Length != destination.Numel)
        {
            throw new ArgumentException($"{source.Length} values cannot fill tensor {destination.Shape}");
        }
        if (source.Length == 0)
        {
            return;
        }
        // Synchronous: waits for queued kernels, then copies (the host span may be reused at once).
        // Pinned: ILGPU takes the raw address of the ref it is given, so a garbage collection that
        // moved a managed array during the copy would make it read the array's old place.
        fixed (float* host = source)
        {
            V(destination).CopyFromCPU(_accelerator.DefaultStream, ref *host, source.Length);
        }
    }

    public unsafe void Download(Tensor source, Span<float> destination)
    {
        if (destination.Length != source.Numel)
        {
            throw new ArgumentException($"a span of {destination.Length} cannot receive tensor {source.Shape}");
        }
        if (destination.Length == 0)
        {
            return;
        }
        Interlocked.Increment(ref _hostReads);
        // Pinned for the same reason as in Upload: unpinned, the copy could land in a moved array's old place.
        fixed (float* host = destination)
        {
            V(source).CopyToCPU(_accelerator.DefaultStream, ref *host, destination.Length);
        }
    }

    public void Copy(Tensor source, Tensor destination)
    {
        if (source.Numel > 0)
        {
            _k.Copy((int)source.Numel, V(source), V(destination));
        }
    }

    public void CopyRows(Tensor source, long sourceOffset, long sourceStride,
        Tensor destination, long destinationOffset, long destinationStride, long rows, long rowLength)
    {
        long n = rows * rowLength;
        if (n <= 0)
        {
            return;
        }
        CheckSize(n);
        var (src, dst) = (V(source), V(destination));
        if (sourceOffset + (rows - 1) * sourceStride + rowLength > source.Numel ||
            destinationOffset + (rows - 1) * destinationStride + rowLength > destination.Numel ||
            sourceOffset < 0 || destinationOffset < 0 || sourceStride < 0 || destinationStride < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(rows),
                $"CopyRows: {rows} rows of {rowLength} from {source.Shape} (offset {sourceOffset}, stride {sourceStride}) " +
                $"to {destination.Shape} (offset {destinationOffset}, stride {destinationStride}) leave the tensors");
        }
        _k.CopyRows((int)n, src, dst, new CopyRowsParams
        {
            RowLength = (int)rowLength,
            SourceOffset = (int)sourceOffset,
            SourceStride = (int)sourceStride,
            DestinationOffset = (int)destinationOffset,
            DestinationStride = (int)destinationStride,
        });
    }

    public void Fill(Tensor destination, float value)
    {
        if (destination.Numel > 0)
        {
            _k.Fill((int)destination.Numel, V(destination), value);
        }
    }

    public void Synchronize()
    {
        Interlocked.Increment(ref _hostReads);
        _accelerator.Synchronize();
    }

    // ------------------------------------------------------------ random

    public void FillUniform(Tensor destination, ulong seed, ulong offset, float low, float high)
    {
        if (destination.Numel > 0)
        {
            _k.FillUniform((int)destination.Numel, V(destination),
                new RandomParams { Seed = seed, Offset = offset, Shift = low, Scale = high - low });
        }
    }

    public void FillNormal(Tensor destination, ulong seed, ulong offset, float mean, float std)
    {
        if (destination.Numel > 0)
        {
            _k.FillNormal((int)destination.Numel, V(destination),
                new RandomParams { Seed = seed, Offset = offset, Shift = mean, Scale = std });
        }
    }
}
