using Gan3D.Data;
using Gan3D.Tensors;

namespace Gan3D.Models;

/// <summary>
/// Single-image 3D reconstruction with a trained 3D-VAE-GAN: image → E's mean code μ → G → occupancy
/// probabilities. Decoding μ rather than a sample of q(z|y) gives the most likely shape and makes the
/// answer deterministic. Also holds what the checkpoint knows about its training data: the mean
/// training shape (the baseline) and the viewpoints its images were rendered from.
/// </summary>
public sealed class ShapeReconstructor : IDisposable
{
    /// <summary>Images smaller than this many pixels a side are refused: they carry no shape to read.</summary>
    public const int MinImageSide = 8;

    private readonly TrainedGan _model;

    private ShapeReconstructor(TrainedGan model, ImageEncoder encoder, VaeGanTrainingOptions options)
    {
        _model = model;
        E = encoder;
        Options = options;
        var ck = model.Checkpoint;
        MeanShape = ck.TryGetTensor(VaeGanTrainer.MeanShapeKey)?.Data;
        MeanShapeThreshold = ck.Metadata.ContainsKey(VaeGanTrainer.MeanShapeThresholdKey) ? (float)ck.GetDouble(VaeGanTrainer.MeanShapeThresholdKey) : 0.5f;
    }

    /// <summary>The encoder.</summary>
    public ImageEncoder E { get; }

    /// <summary>The generator.</summary>
    public Generator3D G => _model.G;

    /// <summary>The training settings stored in the checkpoint.</summary>
    public VaeGanTrainingOptions Options { get; }

    /// <summary>The model's voxel resolution.</summary>
    public int Resolution => G.Architecture.Resolution;

    /// <summary>The mean training shape (R³), or null for a checkpoint written without it.</summary>
    public float[]? MeanShape { get; }

    /// <summary>The mean shape's threshold with the best mean IoU on the training shapes.</summary>
    public float MeanShapeThreshold { get; }

    /// <summary>Loads a 3D-VAE-GAN checkpoint; any other checkpoint is a clear error naming the file.</summary>
    public static ShapeReconstructor Load(string path, IBackend backend)
    {
        var model = TrainedGan.Load(path, backend);
        if (model.E is null)
        {
            string kind = model.Model;
            model.Dispose();
            throw new InvalidDataException($"{path}: a '{kind}' checkpoint has no image encoder, so it cannot reconstruct images (train one with 'gan3d train --model vae-gan')");
        }
        return new ShapeReconstructor(model, model.E, VaeGanTrainingOptions.FromJson(model.Checkpoint.Get("config"), path));
    }

    /// <summary>
    /// Reads a PNG/JPEG of any size as the encoder needs it (resized to S×S, grey or RGB, transparency
    /// over the renderer's background grey). The header is checked before decoding; images under
    /// <see cref="MinImageSide"/> pixels a side are refused.
    /// </summary>
    public float[] ReadImage(string path)
    {
        var (format, w, h) = ImageFile.ReadHeader(path);
        if (w < MinImageSide || h < MinImageSide)
        {
            throw new InvalidDataException($"{path}: the {format.ToUpperInvariant()} image is {w}×{h} pixels; reconstruction needs at least {MinImageSide}×{MinImageSide}");
        }
        int s = E.Architecture.ImageSize;
        return ImageFile.Read(path, s, s, E.Architecture.Rgb);
    }

    /// <summary>
    /// Occupancy probabilities (count, 1, R, R, R) for <paramref name="count"/> images in the encoder's
    /// layout (count × C × S × S floats), in eval mode, in chunks.
    /// </summary>
    public float[] Reconstruct(ReadOnlySpan<float> images, int count, int chunk = 16)
    {
        var a = E.Architecture;
        int length = a.Channels * a.ImageSize * a.ImageSize;
        if (images.Length != (long)count * length)
        {
            throw new ArgumentException($"{images.Length} values are not {count} images of {length}");
        }
        var codes = new float[(long)count * a.LatentDim];
        using (Autograd.NoGrad())
        {
            for (int start = 0; start < count; start += chunk)
            {
                int n = Math.Min(chunk, count - start);
                using var scope = MemoryScope.Begin();
                var x = Tensor.FromArray(images.Slice(start * length, n * length), new Shape(n, a.Channels, a.ImageSize, a.ImageSize), E.Backend);
                E.Forward(x).CopyTo(codes.AsSpan(start * a.LatentDim, n * a.LatentDim));
            }
        }
        return Sampling.Decode(G, codes, count, chunk);
    }

    /// <summary>Frees the networks.</summary>
    public void Dispose() => _model.Dispose();
}
