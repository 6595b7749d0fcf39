// The README's library example: train a small 3D-GAN from C# and write a montage of samples.
using Gan3D.Data;
using Gan3D.Models;
using Gan3D.Tensors;

var backend = Devices.Create("auto");                                   // CUDA when present, else the CPU
var shapes = ShapeFamilies.CreateDataset(countPerFamily: 20, resolution: 32);
var options = new GanTrainingOptions
{
    Architecture = new GanArchitecture(Resolution: 32, Width: 0.25),   // G and D at a quarter of the paper's widths
    BatchSize = 16, LearningRateG = 0.0025f, LearningRateD = 1e-4f, Latent = LatentDistribution.Normal,
};
using var trainer = new GanTrainer(options, shapes, backend);            // builds G, D and their Adam optimisers
int steps = args.Length > 0 ? int.Parse(args[0]) : 50;
for (int i = 0; i < steps; i++)
{
    var step = trainer.TrainStep();
    Console.WriteLine($"step {step.Step}: loss D {step.LossD:F3}, loss G {step.LossG:F3}, D accuracy {step.DAccuracy:P0}");
}
float[] probabilities = trainer.Sample(8, new Rng(seed: 1));            // 8 × 32³ occupancy probabilities
var grids = Enumerable.Range(0, 8).Select(i => VoxelGrid.FromProbabilities(probabilities.AsSpan(i * 32 * 32 * 32, 32 * 32 * 32), 32)).ToList();
Montage.Create(grids).SavePng("samples.png");
trainer.Save("gan.safetensors");                                         // loadable by 'gan3d sample --checkpoint'
