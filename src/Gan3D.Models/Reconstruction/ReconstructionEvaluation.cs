using Gan3D.Data;
using Gan3D.Tensors;

namespace Gan3D.Models;

/// <summary>What <see cref="ReconstructionEvaluation.Run"/> measured.</summary>
/// <param name="MeanIou">Mean IoU of the reconstructions over every (shape, view).</param>
/// <param name="PerClass">Mean IoU per label (empty when the shapes are unlabelled).</param>
/// <param name="BaselineMeanIou">Mean IoU of the mean training shape at its best training-set threshold.</param>
/// <param name="BaselineThreshold">That threshold.</param>
/// <param name="BaselineMeanIouAtThreshold">Mean IoU of the mean training shape at the evaluation threshold.</param>
/// <param name="PerClassBaseline">The baseline's mean IoU per label (best threshold).</param>
/// <param name="Shapes">Shapes evaluated.</param>
/// <param name="Views">Views a shape.</param>
/// <param name="Threshold">Occupancy threshold of the reconstructions.</param>
public sealed record ReconstructionReport(
    double MeanIou,
    IReadOnlyDictionary<string, double> PerClass,
    double BaselineMeanIou,
    float BaselineThreshold,
    double BaselineMeanIouAtThreshold,
    IReadOnlyDictionary<string, double> PerClassBaseline,
    int Shapes,
    int Views,
    float Threshold);

/// <summary>
/// Single-image reconstruction on held-out shapes: each shape is rendered from
/// <c>views</c> random viewpoints of the training distribution (a fixed seed, so runs compare), each
/// view reconstructed, and the IoU with the true grid taken at the threshold. The baseline answers
/// every image with the mean training shape stored in the checkpoint.
/// </summary>
public static class ReconstructionEvaluation
{
    /// <summary>Evaluates <paramref name="model"/> on <paramref name="shapes"/> (which should not be training shapes).</summary>
    public static ReconstructionReport Run(ShapeReconstructor model, VoxelDataset shapes, int views = 1, float threshold = 0.5f, ulong seed = 12345,
        Action<int, int>? progress = null)
    {
        if (shapes.Resolution != model.Resolution)
        {
            throw new ArgumentException($"the shapes are {shapes.Resolution}³ but the model is {model.Resolution}³");
        }
        ArgumentOutOfRangeException.ThrowIfLessThan(views, 1);
        if (!(threshold > 0 && threshold < 1))
        {
            throw new ArgumentException($"threshold {threshold} must be between 0 and 1");
        }
        var mean = model.MeanShape ?? throw new InvalidDataException("the checkpoint holds no mean training shape for the baseline");
        var images = TrainingImages.Rendered(shapes, model.E.Architecture, model.Options.Views);
        var viewRng = new Rng(seed);
        int vox = shapes.VoxelsPerGrid, length = images.ImageLength;
        const int chunk = 16;
        var truth = new byte[vox];
        var sums = new Dictionary<string, (double Model, double Baseline, int N)>();
        double total = 0, baseline = 0, baselineAt = 0;
        int evaluated = 0;
        int totalPairs = shapes.Count * views;
        var pairs = Enumerable.Range(0, totalPairs).Select(p => p / views).ToArray();
        for (int start = 0; start < totalPairs; start += chunk)
        {
            int n = Math.Min(chunk, totalPairs - start);
            var batch = new float[n * length];
            images.Fill(pairs.AsSpan(start, n), viewRng, batch);
            var probabilities = model.Reconstruct(batch, n);
            for (int i = 0; i < n; i++)
            {
                int shape = pairs[start + i];
                shapes.CopyTo(shape, truth);
                double iou = Iou.Of(probabilities.AsSpan(i * vox, vox), threshold, truth);
                double b = Iou.Of(mean, model.MeanShapeThreshold, truth);
                total += iou;
                baseline += b;
                baselineAt += Iou.Of(mean, threshold, truth);
                string? label = shapes.GetLabel(shape);
                if (label is not null)
                {
                    var s = sums.GetValueOrDefault(label);
                    sums[label] = (s.Model + iou, s.Baseline + b, s.N + 1);
                }
                evaluated++;
            }
            progress?.Invoke(evaluated, totalPairs);
        }
        return new ReconstructionReport(total / evaluated,
            sums.OrderBy(kv => kv.Key, StringComparer.Ordinal).ToDictionary(kv => kv.Key, kv => kv.Value.Model / kv.Value.N),
            baseline / evaluated, model.MeanShapeThreshold, baselineAt / evaluated,
            sums.OrderBy(kv => kv.Key, StringComparer.Ordinal).ToDictionary(kv => kv.Key, kv => kv.Value.Baseline / kv.Value.N),
            shapes.Count, views, threshold);
    }
}
