using System.CommandLine;
using Gan3D.Tensors;

namespace Gan3D.Cli.Commands;

/// <summary><c>gan3d devices</c>: what this machine offers to the engine.</summary>
internal static class DevicesCommand
{
    public static Command Create()
    {
        var smoke = new Option<bool>("--smoke")
        {
            Description = "Also open cuda:0, print its architecture, PTX ISA and driver, and check a few kernels against the CPU backend",
        };
        var device = new Option<string>("--device")
        {
            Description = "--smoke: cuda (default), or ilgpu-cpu to rehearse the same checks on ILGPU's CPU accelerator",
            DefaultValueFactory = _ => "cuda",
        };
        var command = new Command("devices",
            "List the CPU (cores, SIMD width) and every CUDA device (name, compute capability, memory). " +
            "--device auto picks the first CUDA device listed here, else the CPU.\n" +
            "Examples: gan3d devices\n" +
            "          gan3d devices --smoke\n" +
            "          gan3d devices --smoke --device ilgpu-cpu");
        command.Options.Add(smoke);
        command.Options.Add(device);
        command.SetAction(parse =>
        {
            var o = parse.InvocationConfiguration.Output;
            o.WriteLine($"CPU: {Environment.ProcessorCount} logical cores, {CpuBackend.SimdDescription}");
            var probe = IlgpuBackend.ProbeCuda();
            if (probe.Devices.Count == 0)
            {
                o.WriteLine($"CUDA: no CUDA device found ({probe.Problem})");
            }
            foreach (var device in probe.Devices)
            {
                o.WriteLine($"CUDA: {device}");
            }
            if (!parse.GetValue(smoke))
            {
                return ExitCodes.Success;
            }
            o.WriteLine("Smoke test:");
            switch (parse.GetValue(device))
            {
                case "cuda":
                    return IlgpuBackend.SmokeTest(o) ? ExitCodes.Success : ExitCodes.Failure;
                case "ilgpu-cpu":
                    // Same self-check against the CPU backend, on the emulator: lets bench/gpu/dry-run.sh rehearse
                    // the GPU script on a machine without a GPU.
                    using (var emulated = IlgpuBackend.CreateCpu())
                    {
                        o.WriteLine($"{emulated.Name}: created");
                        return emulated.SelfCheck(o) ? ExitCodes.Success : ExitCodes.Failure;
                    }
                case var other:
                    throw new UsageException($"--device {other}: devices --smoke runs on cuda or ilgpu-cpu");
            }
        });
        return command;
    }
}
