using System.CommandLine;

namespace Gan3D.Cli.Commands;

/// <summary><c>gan3d devices</c>: what this machine offers to the engine.</summary>
internal static class DevicesCommand
{
    public static Command Create()
    {
        var command = new Command("devices", "List the CPU (cores, SIMD width) and every CUDA device (name, compute capability, memory)");
        command.SetAction(parse =>
        {
            var o = parse.InvocationConfiguration.Output;
            o.WriteLine($"CPU: {Environment.ProcessorCount} logical cores");
            return ExitCodes.Success;
        });
        return command;
    }
}
