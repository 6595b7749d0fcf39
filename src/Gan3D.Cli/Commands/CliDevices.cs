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
