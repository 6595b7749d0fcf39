using System.CommandLine;
using Gan3D.Data;
using Gan3D.Models;

namespace Gan3D.Cli.Commands;

/// <summary><c>gan3d reconstruct</c>: a 3D shape from each single image, with a trained 3D-VAE-GAN.</summary>
internal static class ReconstructCommand
{
    /// <summary>Side of each half of the side-by-side picture.</summary>
    private const int Tile = 192;

    public static Command Create()
    {
        var checkpoint = new Option<string>("--checkpoint", "-c") { Description = "A checkpoint written by 'gan3d train --model vae-gan'", Required = true };
        var images = new Argument<string[]>("images") { Description = "PNG or JPEG images of any size (resized and converted as the encoder needs)", Arity = ArgumentArity.OneOrMore };
        var output = new Option<string>("--out", "-o") { Description = "Output folder", Required = true };
        var format = new Option<string>("--format", "-f") { Description = "obj, ply, npy (probabilities), binvox or png (a render)", DefaultValueFactory = _ => "obj" };
        var threshold = new Option<float>("--threshold", "-t") { Description = "Occupancy threshold for meshes, binvox and renders", DefaultValueFactory = _ => 0.5f };
        var device = CliDevices.Option();
        var command = new Command("reconstruct",
            "Reconstruct a 3D shape from each image with a 3D-VAE-GAN: writes NAME.<format> and NAME-side-by-side.png (the input " +
            "beside a render of the result) per image. Every image is read and checked before anything is written.\n" +
            "Example: gan3d reconstruct --checkpoint runs/vae-gan/checkpoint.safetensors chair.png --out recon --format obj")
        {
            checkpoint, images, output, format, threshold, device,
        };
        command.SetAction(parse =>
        {
            var o = parse.InvocationConfiguration.Output;
            string fmt = ShapeOutput.CheckFormat(parse.GetValue(format)!);
            float t = CliFiles.CheckThreshold(parse.GetValue(threshold));
            var paths = parse.GetValue(images)!;
            var stems = paths.Select(p => Path.GetFileNameWithoutExtension(p)).ToArray();
            var duplicate = stems.GroupBy(s => s, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
            if (duplicate is not null)
            {
                throw new UsageException($"two images are named '{duplicate.Key}': their outputs would overwrite each other");
            }
            string dir = parse.GetValue(output)!;
            string ckPath = parse.GetValue(checkpoint)!;
            var shapePaths = stems.Select(s => Path.Combine(dir, $"{s}.{fmt}")).ToArray();
            var sidePaths = stems.Select(s => Path.Combine(dir, $"{s}-side-by-side.png")).ToArray();
            CliFiles.RefuseOverwritingInputs(shapePaths.Concat(sidePaths), paths.Append(ckPath));
            var backend = CliDevices.Create(parse.GetValue(device)!);
            using var model = ShapeReconstructor.Load(ckPath, backend);
            var a = model.E.Architecture;
            int length = a.Channels * a.ImageSize * a.ImageSize;
            // Read every image before writing anything: one bad file leaves no outputs behind.
            var batch = new float[paths.Length * length];
            for (int i = 0; i < paths.Length; i++)
            {
                model.ReadImage(paths[i]).CopyTo(batch.AsSpan(i * length, length));
            }
            var previews = paths.Select(p => ImageFile.Read(p, Tile, Tile, rgb: true)).ToArray();
            var probabilities = model.Reconstruct(batch, paths.Length);
            int r = model.Resolution, vox = r * r * r;
            Directory.CreateDirectory(dir);
            for (int i = 0; i < paths.Length; i++)
            {
                var shape = probabilities.AsSpan(i * vox, vox);
                string shapePath = shapePaths[i], sidePath = sidePaths[i];
                ShapeOutput.WriteOne(shapePath, shape, r, fmt, t);
                SideBySide(previews[i], VoxelGrid.FromProbabilities(shape, r, t)).SavePng(sidePath);
                int occupied = VoxelGrid.FromProbabilities(shape, r, t).CountOccupied();
                o.WriteLine($"{paths[i]} → {shapePath} ({r}³, {occupied} voxels occupied), {sidePath}");
            }
            return ExitCodes.Success;
        });
        return command;
    }

    /// <summary>The input image (as read, stretched to a square) beside a render of the reconstruction.</summary>
    internal static RgbImage SideBySide(float[] inputRgb, VoxelGrid shape)
    {
        var picture = new RgbImage(2 * Tile, Tile);
        picture.Blit(RgbImage.FromFloats(inputRgb, Tile, Tile, rgb: true), 0, 0);
        picture.Blit(VoxelRenderer.Render(shape, new RenderOptions { Size = Tile }), Tile, 0);
        return picture;
    }
}
