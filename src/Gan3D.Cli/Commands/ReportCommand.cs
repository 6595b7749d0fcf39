using System.CommandLine;
using Gan3D.Models;

namespace Gan3D.Cli.Commands;

/// <summary><c>gan3d report</c>: one offline HTML page for a run folder, with shapes to turn around.</summary>
internal static class ReportCommand
{
    public static Command Create()
    {
        var runDir = new Argument<string>("RUN_DIR") { Description = "A run folder written by 'gan3d train'" };
        var output = new Option<string?>("--out", "-o") { Description = "The HTML file to write (default RUN_DIR/report.html)" };
        var device = new Option<string>("--device") { Description = "auto, cpu, cuda or ilgpu-cpu: where samples are decoded when the checkpoint is newer than samples/final.npy, and a 3D-VAE-GAN's reconstructions", DefaultValueFactory = _ => "cpu" };
        var command = new Command("report",
            "Write one self-contained HTML page about a training run: its settings, loss and D-accuracy curves (with the " +
            "updates the 80% rule skipped), the latest samples as interactive 3D views (drag to turn, wheel to zoom, a " +
            "threshold slider, voxels or marching cubes), a 3D-VAE-GAN's input views beside their reconstructions, and the " +
            "results of 'gan3d eval --json > RUN_DIR/eval.json' (and eval-reconstruction.json) when the folder has them. " +
            "It opens from disk with no network and no server; 'train' writes RUN_DIR/report.html by itself at the end.\n" +
            "Example: gan3d report runs/gan-20261129-101500\n" +
            "Example: gan3d report runs/chairs --out chairs.html")
        {
            runDir, output, device,
        };
        command.SetAction(parse =>
        {
            var o = parse.InvocationConfiguration.Output;
            string dir = parse.GetValue(runDir)!;
            string? path = parse.GetValue(output);
            if (path is not null && !path.EndsWith(".html", StringComparison.OrdinalIgnoreCase) && !path.EndsWith(".htm", StringComparison.OrdinalIgnoreCase))
            {
                throw new UsageException($"--out {path}: give an .html file");
            }
            var backend = CliDevices.Create(parse.GetValue(device)!);
            string written = RunReport.Write(dir, path, backend);
            o.WriteLine($"report: {written} ({new FileInfo(written).Length / 1024.0 / 1024.0:F1} MB); open it in a browser");
            return ExitCodes.Success;
        });
        return command;
    }
}
