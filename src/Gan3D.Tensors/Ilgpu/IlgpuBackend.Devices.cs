using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using System.Runtime.InteropServices;
using ILGPU;
using ILGPU.Runtime.Cuda;

namespace Gan3D.Tensors;

/// <summary>One CUDA device as ILGPU sees it.</summary>
/// <param name="Index">Device ordinal (cuda:Index).</param>
/// <param name="Name">Marketing name, e.g. "NVIDIA H100 80GB HBM3".</param>
/// <param name="ComputeCapability">"9.0" for sm_90.</param>
/// <param name="MemoryBytes">Total device memory.</param>
/// <param name="Multiprocessors">Streaming multiprocessors.</param>
/// <param name="DriverVersion">CUDA driver API version, e.g. "12.8".</param>
/// <param name="PtxIsa">The PTX ISA ILGPU will emit for it, e.g. "8.8" (null when ILGPU knows none the driver accepts).</param>
public sealed record CudaDeviceInfo(int Index, string Name, string ComputeCapability, long MemoryBytes,
    int Multiprocessors, string DriverVersion, string? PtxIsa)
{
    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"cuda:{Index} {Name}: compute capability {ComputeCapability}, {MemoryBytes / (double)(1L << 30):F1} GiB, " +
        $"{Multiprocessors} SMs, driver {DriverVersion}, PTX ISA {PtxIsa ?? "none"}");
}

/// <summary>The CUDA devices found, or why there are none.</summary>
/// <param name="Devices">Devices ILGPU can use.</param>
/// <param name="Problem">Why no device is usable (null when there is one).</param>
public sealed record CudaProbe(IReadOnlyList<CudaDeviceInfo> Devices, string? Problem);

public sealed partial class IlgpuBackend
{
    private static int s_traceInstalled;

    /// <summary>
    /// Sends ILGPU's <see cref="Trace"/> output to <paramref name="writer"/> (for --verbose): the only
    /// place ILGPU reports why a PTX JIT compilation failed. Installs one listener per process.
    /// </summary>
    public static void EnableTraceOutput(TextWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        if (Interlocked.Exchange(ref s_traceInstalled, 1) == 0)
        {
            Trace.Listeners.Add(new TextWriterTraceListener(writer, "gan3d-ilgpu"));
            Trace.AutoFlush = true;
        }
    }

    /// <summary>The CUDA devices ILGPU can use: name, compute capability, memory.</summary>
    public static IReadOnlyList<CudaDeviceInfo> ListCudaDevices() => ProbeCuda().Devices;

    /// <summary>The CUDA devices, or a plain reason why there are none (driver missing, cuInit error, driver too old).</summary>
    public static CudaProbe ProbeCuda()
    {
        IlgpuNative.InstallCudaResolver();
        string? driverProblem = IlgpuNative.DescribeDriverProblem(out int rawDeviceCount, out string driverVersion);
        if (driverProblem is not null)
        {
            return new CudaProbe([], driverProblem);
        }
        using var context = Context.Create(b => b.Cuda());
        var devices = new List<CudaDeviceInfo>();
        var cudaDevices = context.GetCudaDevices();
        for (int i = 0; i < cudaDevices.Count; i++)
        {
            var d = cudaDevices[i];
            var arch = d.Architecture;
            devices.Add(new CudaDeviceInfo(i, d.Name,
                arch is { } a ? $"{a.Major}.{a.Minor}" : "unknown",
                d.MemorySize, d.NumMultiprocessors,
                $"{d.DriverVersion.Major}.{d.DriverVersion.Minor}", d.InstructionSet?.ToString()));
        }
        string? problem = devices.Count > 0 ? null
            : $"the driver (CUDA {driverVersion}) reports {rawDeviceCount} device(s) but ILGPU 1.5.3 accepts none " +
              "(a driver older than the PTX ISA it needs, or an unsupported architecture)";
        return new CudaProbe(devices, problem);
    }

    /// <summary>
    /// For the GPU machine (<c>gan3d devices --smoke</c>): creates the CUDA accelerator, prints
    /// architecture, PTX ISA and driver, and checks a few kernels against the CPU backend.
    /// Without a device it prints "no CUDA device found" and the reason. Returns true when every check passed.
    /// </summary>
    public static bool SmokeTest(TextWriter output)
    {
        ArgumentNullException.ThrowIfNull(output);
        var probe = ProbeCuda();
        if (probe.Devices.Count == 0)
        {
            output.WriteLine($"no CUDA device found: {probe.Problem}");
            return false;
        }
        var watch = Stopwatch.StartNew();
        IlgpuBackend? opened;
        try
        {
            opened = TryCreateCuda(0);
        }
        catch (Exception ex)
        {
            // A PTX JIT failure lands here; its details go only to System.Diagnostics.Trace.
            output.WriteLine($"FAIL opening cuda:0 and loading the kernels: {ex.GetType().Name}: {ex.Message} " +
                "(run with --verbose to see ILGPU's trace, where PTX JIT errors are reported)");
            return false;
        }
        using var backend = opened;
        if (backend is null)
        {
            output.WriteLine("no CUDA device found: ILGPU listed a device but could not open cuda:0");
            return false;
        }
        var cuda = (CudaAccelerator)backend.Accelerator;
        output.WriteLine($"{backend.Name}: created and {KernelCount} kernels loaded in {watch.ElapsedMilliseconds} ms");
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  architecture {DescribeArchitecture(cuda.Architecture)}, PTX ISA {cuda.InstructionSet}, driver {cuda.DriverVersion.Major}.{cuda.DriverVersion.Minor}, " +
            $"{cuda.NumMultiprocessors} SMs, warp {cuda.WarpSize}, {cuda.MaxNumThreadsPerGroup} threads/group, " +
            $"{cuda.MaxSharedMemoryPerGroup / 1024} KiB shared/group"));
        return backend.SelfCheck(output);
    }

    /// <summary>Number of kernels loaded per backend (every field of the kernel set).</summary>
    internal static int KernelCount =>
        typeof(KernelSet).GetFields(BindingFlags.Public | BindingFlags.Instance).Length;

    /// <summary>
    /// Runs a few kernels on this backend and on the CPU backend and prints the max difference of each:
    /// uniform draws (must be bit-identical), normal draws, a convolution, a sum and a batch norm.
    /// Returns true when all agree.
    /// </summary>
    public bool SelfCheck(TextWriter output)
    {
        ArgumentNullException.ThrowIfNull(output);
        var cpu = new CpuBackend(threads: 1);
        bool ok = true;

        void Report(string what, float[] mine, float[] reference, double tolerance)
        {
            double max = 0;
            for (int i = 0; i < mine.Length; i++)
            {
                double d = Math.Abs((double)mine[i] - reference[i]);
                max = double.IsNaN(d) ? double.PositiveInfinity : Math.Max(max, d);
            }
            bool pass = max <= tolerance;
            ok &= pass;
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  {(pass ? "ok  " : "FAIL")} {what}: max |diff| {max:E2} over {mine.Length} values (tolerance {tolerance:E0})"));
        }

        float[] Run(IBackend be, Func<IBackend, Tensor> make)
        {
            using var t = make(be);
            return t.ToArray();
        }

        var watch = Stopwatch.StartNew();
        Report("uniform draws (bit-identical)",
            Run(this, be => new Rng(7).Uniform(new Shape(100003), be, -1f, 2f)),
            Run(cpu, be => new Rng(7).Uniform(new Shape(100003), be, -1f, 2f)), 0);
        Report("normal draws",
            Run(this, be => new Rng(7).Normal(new Shape(100003), be, 0.5f, 2f)),
            Run(cpu, be => new Rng(7).Normal(new Shape(100003), be, 0.5f, 2f)), 1e-4);

        Tensor Conv(IBackend be)
        {
            var gen = new Rng(11);
            using var x = gen.Uniform(new Shape(2, 3, 9, 8, 7), be, -1f, 1f);
            using var w = gen.Uniform(new Shape(4, 3, 4, 4, 4), be, -1f, 1f);
            using (Autograd.NoGrad())
            {
                return Ops.Conv3d(x, w, null, 2, 1);
            }
        }
        Report("conv3d k4 s2 p1", Run(this, Conv), Run(cpu, Conv), 1e-4);

        Tensor SumOf(IBackend be)
        {
            using var x = new Rng(13).Uniform(new Shape(262147), be, -1f, 1f); // past the 1024-partial clamp
            using (Autograd.NoGrad())
            {
                return Ops.Sum(x);
            }
        }
        Report("sum of 262147", Run(this, SumOf), Run(cpu, SumOf), 1e-2);

        Tensor Norm(IBackend be)
        {
            var gen = new Rng(17);
            using var x = gen.Normal(new Shape(4, 5, 6, 7, 8), be, 1f, 3f);
            using var gamma = Tensor.Ones(new Shape(5), be);
            using var beta = Tensor.Zeros(new Shape(5), be);
            using var rm = Tensor.Zeros(new Shape(5), be);
            using var rv = Tensor.Ones(new Shape(5), be);
            using (Autograd.NoGrad())
            {
                return Ops.BatchNorm(x, gamma, beta, rm, rv, training: true);
            }
        }
        Report("batch norm", Run(this, Norm), Run(cpu, Norm), 1e-4);
        output.WriteLine($"  {(ok ? "all checks passed" : "SOME CHECKS FAILED")} in {watch.ElapsedMilliseconds} ms");
        cpu.Dispose();
        return ok;
    }
}

/// <summary>Finding the CUDA driver library for ILGPU, and diagnosing its absence.</summary>
internal static class IlgpuNative
{
    private static int s_resolverInstalled;

    /// <summary>
    /// ILGPU P/Invokes "cuda", which the runtime looks up as libcuda.so; many Linux boxes have only the
    /// versioned libcuda.so.1 (the symlink comes with the CUDA toolkit, not the driver). Maps the name
    /// to whichever exists. Harmless without a driver: the lookup then fails as it would have anyway.
    /// </summary>
    public static void InstallCudaResolver()
    {
        if (Interlocked.Exchange(ref s_resolverInstalled, 1) != 0)
        {
            return;
        }
        try
        {
            NativeLibrary.SetDllImportResolver(typeof(Context).Assembly, Resolve);
        }
        catch (InvalidOperationException)
        {
            // The host already installed a resolver for ILGPU; keep it.
        }
    }

    private static IntPtr Resolve(string name, Assembly assembly, DllImportSearchPath? searchPath)
    {
        if (name is "cuda" or "nvcuda" && TryLoadDriver(out var handle))
        {
            return handle;
        }
        return IntPtr.Zero; // the default lookup
    }

    private static bool TryLoadDriver(out IntPtr handle)
    {
        if (OperatingSystem.IsWindows())
        {
            return NativeLibrary.TryLoad("nvcuda.dll", out handle);
        }
        return NativeLibrary.TryLoad("libcuda.so", out handle) || NativeLibrary.TryLoad("libcuda.so.1", out handle);
    }

    /// <summary>
    /// Null when the driver loads and cuInit succeeds; otherwise a plain sentence. Also gives the
    /// driver's device count and CUDA version.
    /// </summary>
    public static unsafe string? DescribeDriverProblem(out int deviceCount, out string driverVersion)
    {
        deviceCount = 0;
        driverVersion = "unknown";
        if (!TryLoadDriver(out var lib))
        {
            return OperatingSystem.IsWindows()
                ? "the NVIDIA driver (nvcuda.dll) is not installed"
                : "the NVIDIA driver library (libcuda.so or libcuda.so.1) is not installed";
        }
        if (!NativeLibrary.TryGetExport(lib, "cuInit", out var init) ||
            !NativeLibrary.TryGetExport(lib, "cuDeviceGetCount", out var count) ||
            !NativeLibrary.TryGetExport(lib, "cuDriverGetVersion", out var version))
        {
            return "the CUDA driver library lacks cuInit/cuDeviceGetCount (a broken installation?)";
        }
        int v = 0;
        if (((delegate* unmanaged<int*, int>)version)(&v) == 0)
        {
            driverVersion = $"{v / 1000}.{v % 1000 / 10}";
        }
        int rc = ((delegate* unmanaged<uint, int>)init)(0);
        if (rc != 0)
        {
            return $"cuInit failed with CUDA error {rc} ({CudaErrorName(rc)}), driver CUDA {driverVersion}";
        }
        int n = 0;
        rc = ((delegate* unmanaged<int*, int>)count)(&n);
        deviceCount = n;
        if (rc != 0 || n == 0)
        {
            return $"the driver (CUDA {driverVersion}) reports no device (cuDeviceGetCount: error {rc}, count {n})";
        }
        return null;
    }

    private static string CudaErrorName(int rc) => rc switch
    {
        3 => "CUDA_ERROR_NOT_INITIALIZED",
        35 => "CUDA_ERROR_INSUFFICIENT_DRIVER (driver older than the runtime expects)",
        100 => "CUDA_ERROR_NO_DEVICE",
        101 => "CUDA_ERROR_INVALID_DEVICE",
        304 => "CUDA_ERROR_OPERATING_SYSTEM",
        999 => "CUDA_ERROR_UNKNOWN (often: driver and kernel module versions differ)",
        _ => "see cuda.h",
    };
}
