using Gan3D.Tensors;
using ILGPU.Runtime.CPU;

namespace Gan3D.Bench;

/// <summary>The backend a kernel bench runs on, named as gan3d's --device names it.</summary>
internal static class BenchDevice
{
    /// <summary>
    /// "cpu": the managed backend with <paramref name="threads"/> threads and micro-kernel <paramref name="isa"/>;
    /// "ilgpu-cpu": ILGPU's CPU emulator shaped like a GPU (32-wide warps, groups of 256), so that every
    /// ILGPU version runs there, not only version 1 as on gan3d's default emulator; "cuda[:N]": a GPU.
    /// </summary>
    public static IBackend Create(string name, int threads, GemmIsa isa) => name switch
    {
        "cpu" => new CpuBackend(threads) { GemmIsa = isa },
        "ilgpu-cpu" => IlgpuBackend.CreateCpu(new CPUDevice(numThreadsPerWarp: 32, numWarpsPerMultiprocessor: 8, numMultiprocessors: 1)),
        _ => Devices.Create(name, threads),
    };

    /// <summary>The measured FMA peak of the CPU backend, printed; 0 (no share of peak) on an ILGPU device.</summary>
    public static double Peak(IBackend be, int threads)
    {
        Console.WriteLine($"device: {be.Name}; FLOPs = 2·MACs, transposed layers counted as their adjoint convolution");
        if (be.Kind != DeviceKind.Cpu)
        {
            return 0;
        }
        var (_, peak, peakIsa) = FmaPeak.Measure(threads);
        Console.WriteLine($"measured FMA peak: {peak:F1} GFLOP/s ({peakIsa}, {threads} threads)");
        return peak;
    }
}
