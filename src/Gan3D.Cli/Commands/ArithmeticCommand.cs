using System.CommandLine;
using Gan3D.Models;

namespace Gan3D.Cli.Commands;

/// <summary><c>gan3d arithmetic</c>: the paper's shape arithmetic on stored latent codes.</summary>
internal static class ArithmeticCommand
{
    public static Command Create()
    {
        var checkpoint = new Option<string>("--checkpoint", "-c") { Description = "A checkpoint written by 'gan3d train'", Required = true };
        var from = new Option<string>("--from") { Description = "Codes to start from: .npy of shape (Z) or (N, Z), rows averaged (e.g. rows of z.npy from 'gan3d sample')", Required = true };
        var minus = new Option<string>("--minus") { Description = "Codes to subtract, as --from", Required = true };
        var plus = new Option<string>("--plus") { Description = "Codes to add, as --from", Required = true };
        var output = new Option<string>("--out", "-o") { Description = "Output folder", Required = true };
        var format = new Option<string>("--format", "-f") { Description = "png, npy, binvox, obj or ply for the result", DefaultValueFactory = _ => "png" };
        var threshold = new Option<float>("--threshold", "-t") { Description = "Occupancy threshold", DefaultValueFactory = _ => 0.5f };
        var dropParts = ShapeOutput.DropPartsOption();
        var device = CliDevices.Option();
        var command = new Command("arithmetic",
            "Shape arithmetic in latent space: decode from − minus + plus and show it beside the three inputs " +
            "(arithmetic-montage.png).\nExample: gan3d arithmetic -c run/checkpoint.safetensors --from armchair.npy --minus chair.npy --plus table.npy --out arith")
        {
            checkpoint, from, minus, plus, output, format, threshold, dropParts, device,
        };
        command.SetAction(parse =>
        {
            var o = parse.InvocationConfiguration.Output;
            string fmt = ShapeOutput.CheckFormat(parse.GetValue(format)!);
            float t = CliFiles.CheckThreshold(parse.GetValue(threshold));
            int drop = ShapeOutput.CheckDropParts(parse.GetValue(dropParts));
            string dir = parse.GetValue(output)!, ckPath = parse.GetValue(checkpoint)!;
            string fromPath = parse.GetValue(from)!, minusPath = parse.GetValue(minus)!, plusPath = parse.GetValue(plus)!;
            CliFiles.RefuseOverwritingInputs(ShapeOutput.Paths(dir, "arithmetic", 4, fmt), ckPath, fromPath, minusPath, plusPath);
            var backend = CliDevices.Create(parse.GetValue(device)!);
            using var g = TrainedGan.Load(ckPath, backend);
            int zd = g.Architecture.CodeSize, r = g.Architecture.Resolution;
            var a = LatentFile.Read(fromPath, zd);
            var b = LatentFile.Read(minusPath, zd);
            var c = LatentFile.Read(plusPath, zd);
            var result = LatentSpace.Arithmetic(a, b, c);
            var z = a.Concat(b).Concat(c).Concat(result).ToArray();
            var p = g.Decode(z, 4);
            ShapeOutput.DropParts(o, p, 4, r, t, drop);
            ShapeOutput.Write(dir, "arithmetic", p, 4, r, fmt, t, ["FROM", "MINUS", "PLUS", "RESULT"]);
            o.WriteLine($"from − minus + plus → {Path.Combine(dir, "arithmetic-montage.png")}");
            return ExitCodes.Success;
        });
        return command;
    }
}
