using Gan3D.Data;
using Gan3D.Tensors;

namespace Gan3D.Models;

/// <summary>
/// The image half of the (image, shape) training pairs of a 3D-VAE-GAN: either a view of each shape
/// rendered afresh every time it is drawn, from a random viewpoint (so the encoder sees many views of
/// one shape), or one fixed image per shape supplied by the user.
/// <para>Layout as <see cref="ViewRenderer"/>: each image (C, S, S), values in [0, 1].</para>
/// </summary>
public sealed class TrainingImages
{
    private readonly VoxelDataset _shapes;
    private readonly IReadOnlyList<float[]>? _fixed;
    private readonly ViewSampling _views;

    private TrainingImages(VoxelDataset shapes, EncoderArchitecture encoder, ViewSampling views, IReadOnlyList<float[]>? fixedImages)
    {
        _shapes = shapes;
        Encoder = encoder;
        _views = views;
        _fixed = fixedImages;
    }

    /// <summary>The encoder input these images are made for.</summary>
    public EncoderArchitecture Encoder { get; }

    /// <summary>Floats per image: C·S·S.</summary>
    public int ImageLength => Encoder.Channels * Encoder.ImageSize * Encoder.ImageSize;

    /// <summary>Whether images are rendered (true) or supplied (false).</summary>
    public bool IsRendered => _fixed is null;

    /// <summary>Views of <paramref name="shapes"/> rendered at random viewpoints.</summary>
    public static TrainingImages Rendered(VoxelDataset shapes, EncoderArchitecture encoder, ViewSampling views) =>
        new(shapes, encoder, views, null);

    /// <summary>One supplied image per shape (each <see cref="ImageLength"/> floats in the encoder's layout).</summary>
    public static TrainingImages Supplied(VoxelDataset shapes, EncoderArchitecture encoder, IReadOnlyList<float[]> images)
    {
        if (images.Count != shapes.Count)
        {
            throw new ArgumentException($"{images.Count} images for {shapes.Count} shapes: pairs need one image per shape");
        }
        int length = encoder.Channels * encoder.ImageSize * encoder.ImageSize;
        if (images.Any(i => i.Length != length))
        {
            throw new ArgumentException($"supplied images must each hold {length} floats ({encoder})");
        }
        return new TrainingImages(shapes, encoder, new ViewSampling(), images);
    }

    /// <summary>The render settings of one training view.</summary>
    public ViewOptions ViewAt(float azimuth, float elevation) => new()
    {
        Azimuth = azimuth,
        Elevation = elevation,
        Width = Encoder.ImageSize,
        Height = Encoder.ImageSize,
        Rgb = Encoder.Rgb,
    };

    /// <summary>
    /// Fills <paramref name="destination"/> with the images of shapes <paramref name="indices"/>, in order.
    /// Rendered views draw their viewpoints from <paramref name="views"/> (two numbers a shape, drawn in
    /// order before rendering in parallel, so the result does not depend on thread timing).
    /// </summary>
    public void Fill(ReadOnlySpan<int> indices, Rng views, Span<float> destination)
    {
        int length = ImageLength;
        if (destination.Length < indices.Length * length)
        {
            throw new ArgumentException($"destination holds {destination.Length} floats, {indices.Length} images need {indices.Length * length}");
        }
        if (_fixed is not null)
        {
            for (int i = 0; i < indices.Length; i++)
            {
                _fixed[indices[i]].CopyTo(destination.Slice(i * length, length));
            }
            return;
        }
        var jobs = new (int Shape, ViewOptions View)[indices.Length];
        for (int i = 0; i < jobs.Length; i++)
        {
            var (az, el) = _views.At(views.NextDouble(), views.NextDouble());
            jobs[i] = (indices[i], ViewAt(az, el));
        }
        var result = new float[jobs.Length * length];
        Parallel.For(0, jobs.Length, () => new byte[_shapes.VoxelsPerGrid], (i, _, occupancy) =>
        {
            _shapes.CopyTo(jobs[i].Shape, occupancy);
            ViewRenderer.Render(occupancy, _shapes.Resolution, jobs[i].View, result.AsSpan(i * length, length));
            return occupancy;
        }, _ => { });
        result.CopyTo(destination);
    }
}
