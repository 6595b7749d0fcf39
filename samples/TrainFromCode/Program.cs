// The README's library example: what 'gan3d train --preset quick', 'train --resume' and 'eval --baselines' do, from C#.
// Arguments: [ITERATIONS (default 50)] [OUTPUT FOLDER (default .)].
using Gan3D.Data;
using Gan3D.Models;
using Gan3D.Tensors;

int steps = args.Length > 0 ? int.Parse(args[0]) : 50;
string outDir = Directory.CreateDirectory(args.Length > 1 ? args[1] : ".").FullName;
var backend = Devices.Create("auto");                                   // CUDA when present, else the CPU
var preset = TrainingPreset.Quick;                                      // 32³ at a quarter of the paper's widths, z ~ N(0, 1), G's moving average
var shapes = ShapeFamilies.CreateDataset(countPerFamily: 20, resolution: preset.Resolution);
var options = preset.GanOptions(new TrainingOverrides { BatchSize = 16, Seed = 1 });     // the preset with two settings replaced
string checkpoint = Path.Combine(outDir, "gan.safetensors");
using (var trainer = AdversarialTrainer.Create(options, shapes, backend)) // a GanTrainer: G, D and their Adam optimisers
{
    Train(trainer, steps / 2);
    trainer.Save(checkpoint);                                            // loadable by 'gan3d sample --checkpoint'
}
using var resumed = TrainingCheckpoint.Open(checkpoint).Resume(shapes, backend);   // any model type; continues exactly
Train(resumed, steps - steps / 2);

// Generation quality against new shapes of the same families, beside the mean training shape repeated.
var reference = ShapeSet.From(ShapeFamilies.CreateDataset(countPerFamily: 4, resolution: preset.Resolution, seed: 1), ShapeDistance.Iou);
var samples = Sampling.Shapes(resumed.SamplingGenerator, options.Latent, 48, new Rng(seed: 2));
var meanShape = GenerationBaselines.Create(shapes, 48, seed: 0).First(b => b.Key == "mean_shape");
foreach (var (name, set) in new[] { ("samples", samples), (meanShape.Name, meanShape.Shapes) })
{
    var report = GenerationMetrics.Evaluate(ShapeSet.From(set, ShapeDistance.Iou), reference, ShapeDistance.Iou);
    Console.WriteLine($"{name}: 1-NNA {report.OneNna:P1} (50% is ideal), COV {report.Coverage:P1}, MMD {report.Mmd:F3}");
}
Montage.Create(samples, Enumerable.Range(0, 8).ToList()).SavePng(Path.Combine(outDir, "samples.png"));

static void Train(AdversarialTrainer trainer, int steps)
{
    for (int i = 0; i < steps; i++)
    {
        var step = trainer.Train();
        Console.WriteLine($"step {step.Step}: loss D {step["loss_d"]:F3}, loss G {step["loss_g"]:F3}, D accuracy {step["d_accuracy"]:P0}");
    }
}
