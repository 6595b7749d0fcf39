using Gan3D.Tensors;

namespace Gan3D.Cli.Commands;

/// <summary>--device for every command: a bad or absent device is bad usage (exit code 2).</summary>
internal static class CliDevices
{
    /// <summary>What --device accepts, for every command's help.</summary>
    public const string Description =
        "auto (CUDA when present, else cpu), cpu, cuda or cuda:N, or ilgpu-cpu (the CUDA kernels on ILGPU's CPU emulator: slow, for checking kernels)";

    /// <summary>The --device option (default auto).</summary>
    public static System.CommandLine.Option<string> Option() =>
        new("--device") { Description = Description, DefaultValueFactory = _ => "auto" };

    /// <summary>The --precision option of train and profile (default fp32).</summary>
    public static System.CommandLine.Option<string> PrecisionOption() =>
        new("--precision")
        {
            Description = "Convolution arithmetic: fp32 (default) or tf32 (--device cuda: tensor cores; operands rounded to a 10-bit " +
                "mantissa, sums in fp32: errors up to about 1e-3 of the sum of |products|; the cpu device computes fp32 only)",
            DefaultValueFactory = _ => "fp32",
        };

    /// <summary>
    /// Sets --precision on <paramref name="backend"/>. TF32 on the CPU backend is refused rather than ignored:
    /// a run asked for TF32 would otherwise report fp32 figures as TF32 ones.
    /// </summary>
    public static void ApplyPrecision(IBackend backend, string value)
    {
        var precision = value.ToLowerInvariant() switch
        {
            "fp32" => ConvPrecision.Fp32,
            "tf32" => ConvPrecision.Tf32,
            _ => throw new UsageException($"--precision {value}: use fp32 or tf32"),
        };
        if (precision == ConvPrecision.Fp32)
        {
            return;
        }
        if (backend is not IlgpuBackend ilgpu)
        {
            throw new UsageException($"--precision tf32: {backend.Name} computes in fp32 only; tf32 needs --device cuda (tensor cores)");
        }
        if (ilgpu.KernelVersion == 1 && ilgpu.KernelVersions.Contains(2))
        {
            throw new UsageException("--precision tf32 runs the implicit-GEMM convolutions (kernel versions 2 and 3), not --kernel-version 1");
        }
        try
        {
            ilgpu.Precision = precision;
        }
        catch (NotSupportedException ex)
        {
            throw new UsageException($"--precision tf32: {ex.Message}");
        }
    }

    public static IBackend Create(string name, int threads = 0)
    {
        if (threads < 0 || threads > 1024)
        {
            throw new UsageException($"--threads {threads} must be 0 (all cores) or between 1 and 1024");
        }
        try
        {
            return Devices.Create(name, threads);
        }
        catch (Exception ex) when (ex is ArgumentException or NotSupportedException)
        {
            throw new UsageException("--device " + ex.Message.Replace($"device '{name}': ", $"{name}: ", StringComparison.Ordinal));
        }
    }
}
