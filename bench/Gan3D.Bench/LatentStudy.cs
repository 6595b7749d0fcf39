using System.Diagnostics;
using Gan3D.Data;
using Gan3D.Models;
using Gan3D.Tensors;

namespace Gan3D.Bench;

/// <summary>
/// The latent-model arm of the recipe study (issue 17, docs/quality.md), before it is a model of the
/// engine (it is now <see cref="LatentModelTrainer"/>, which this trains): an
/// autoencoder (D's network with the latent size as outputs as the encoder x → z, the 3D-GAN's G as the
/// decoder, binary cross entropy on the voxels), then new codes drawn from the training shapes' codes and decoded. The
/// samples are written as .npy.gz files for <c>gan3d eval --shapes</c>, one file per draw, so they are
/// judged exactly as a checkpoint's samples are. Samplers:
/// <list type="bullet">
/// <item><c>recon</c>: codes of random training shapes (reconstructions: the ceiling of this decoder, and copies by design);</item>
/// <item><c>mix-M-LO</c>: <see cref="NeighbourMixPrior"/>, a random training code moved towards one of its M nearest by t ~ U(LO, 1 − LO);</item>
/// <item><c>gmm-K</c>: a K-component Gaussian mixture with diagonal covariances fitted to the codes by EM.</item>
/// </list>
/// </summary>
public static class LatentStudy
{
    public sealed record Settings(string Data, double Width, int Iterations, int Samples, int Draws, int Threads, ulong Seed, float LearningRate, string OutPrefix);

    public static void Run(Settings s, TextWriter log)
    {
        var backend = new CpuBackend(s.Threads);
        var data = VoxelDatasetLoader.Load(s.Data, 32, new VoxelLoadOptions { ProceduralCountPerFamily = 50 });
        var options = new LatentModelOptions(new GanTrainingOptions
        {
            Architecture = new GanArchitecture(32, s.Width),
            LearningRateG = s.LearningRate,
            LearningRateD = s.LearningRate,
            Beta1 = 0.9f,
            Seed = s.Seed,
        });
        using var trainer = new LatentModelTrainer(options, data, backend);
        log.WriteLine($"latent study: {data.Count} shapes from {s.Data}, autoencoder {options.Architecture}, {trainer.D.ParameterCount + trainer.G.ParameterCount:N0} parameters, {s.Iterations} iterations");
        var clock = Stopwatch.StartNew();
        double loss = 0;
        for (int it = 1; it <= s.Iterations; it++)
        {
            loss += trainer.Train()["loss_recon"];
            if (it % 100 == 0)
            {
                log.WriteLine($"  it {it}: reconstruction BCE {loss / 100:F4} ({it / clock.Elapsed.TotalSeconds:F2} it/s)");
                loss = 0;
            }
        }
        log.WriteLine($"  trained in {clock.Elapsed.TotalSeconds:F0} s");
        var decoder = trainer.G;
        var codes = trainer.Prior.Codes.ToArray();
        int n = data.Count, zd = options.Architecture.LatentDim;
        log.WriteLine($"  training shapes reconstructed with mean IoU {ReconstructionIou(codes, decoder, data):F3}");
        var rows = Enumerable.Range(0, n).Select(i => codes.AsSpan(i * zd, zd).ToArray()).ToArray();
        var samplers = new List<(string Name, Func<Rng, float[]> Draw)>
        {
            ("recon", r => Enumerable.Range(0, s.Samples).SelectMany(_ => rows[r.NextInt(n)]).ToArray()),
        };
        foreach (var (m, margin) in new[] { (10, 0f), (10, 0.25f), (20, 0.25f) })
        {
            var prior = new NeighbourMixPrior(codes, n, zd, m, margin);
            samplers.Add(($"mix-{m}-{margin:0.##}", r => prior.Sample(s.Samples, r)));
        }
        foreach (int k in new[] { 32 })
        {
            var gmm = DiagonalMixture.Fit(rows, k, 200, new Random(1));
            samplers.Add(($"gmm-{k}", r => gmm.Sample(s.Samples, new Random((int)r.NextUInt32()))));
        }
        foreach (var (name, draw) in samplers)
        {
            for (int d = 0; d < s.Draws; d++)
            {
                Sampling.Shapes(decoder, draw(new Rng(1000 + (ulong)d)), s.Samples).SaveNpy($"{s.OutPrefix}-{name}-s{d}.npy.gz");
            }
            log.WriteLine($"  {name}: {s.Draws} × {s.Samples} samples → {s.OutPrefix}-{name}-s*.npy.gz");
        }
    }

    /// <summary>Mean IoU at 0.5 of the decoded codes against their training shapes.</summary>
    private static double ReconstructionIou(float[] codes, Generator3D decoder, VoxelDataset data)
    {
        int vox = data.VoxelsPerGrid;
        var p = Sampling.Decode(decoder, codes, data.Count);
        var truth = new byte[vox];
        double sum = 0;
        for (int i = 0; i < data.Count; i++)
        {
            data.CopyTo(i, truth);
            sum += Iou.Of(p.AsSpan(i * vox, vox), 0.5f, truth);
        }
        return sum / data.Count;
    }

    private static double SquaredDistance(float[] a, float[] b)
    {
        double s = 0;
        for (int i = 0; i < a.Length; i++)
        {
            double t = a[i] - b[i];
            s += t * t;
        }
        return s;
    }

    /// <summary>A Gaussian mixture with diagonal covariances (k-means++ start, EM, variances floored at 1e-3 of the codes').</summary>
    private sealed class DiagonalMixture
    {
        private readonly double[] _weights;
        private readonly double[][] _means, _variances;

        private DiagonalMixture(double[] weights, double[][] means, double[][] variances)
        {
            _weights = weights;
            _means = means;
            _variances = variances;
        }

        public static DiagonalMixture Fit(float[][] x, int k, int iterations, Random rand)
        {
            int n = x.Length, d = x[0].Length;
            k = Math.Min(k, n);
            var floor = new double[d];
            for (int j = 0; j < d; j++)
            {
                double mean = x.Average(r => (double)r[j]);
                floor[j] = 1e-3 * x.Average(r => (r[j] - mean) * (r[j] - mean));
            }
            var centres = new List<int> { rand.Next(n) };
            while (centres.Count < k)
            {
                var nearest = x.Select(r => centres.Min(c => SquaredDistance(r, x[c]))).ToArray();
                double u = rand.NextDouble() * nearest.Sum();
                int pick = 0;
                while (pick < n - 1 && (u -= nearest[pick]) > 0)
                {
                    pick++;
                }
                centres.Add(pick);
            }
            var w = Enumerable.Repeat(1.0 / k, k).ToArray();
            var mu = centres.Select(c => x[c].Select(v => (double)v).ToArray()).ToArray();
            var va = Enumerable.Range(0, k).Select(_ => floor.Select(f => f * 1000).ToArray()).ToArray();
            var resp = new double[n, k];
            for (int iter = 0; iter < iterations; iter++)
            {
                for (int i = 0; i < n; i++)
                {
                    double max = double.MinValue;
                    for (int c = 0; c < k; c++)
                    {
                        double l = Math.Log(w[c]);
                        for (int j = 0; j < d; j++)
                        {
                            double t = x[i][j] - mu[c][j];
                            l -= 0.5 * ((t * t / va[c][j]) + Math.Log(va[c][j]));
                        }
                        resp[i, c] = l;
                        max = Math.Max(max, l);
                    }
                    double sum = 0;
                    for (int c = 0; c < k; c++)
                    {
                        resp[i, c] = Math.Exp(resp[i, c] - max);
                        sum += resp[i, c];
                    }
                    for (int c = 0; c < k; c++)
                    {
                        resp[i, c] /= sum;
                    }
                }
                for (int c = 0; c < k; c++)
                {
                    double nc = 1e-9;
                    for (int i = 0; i < n; i++)
                    {
                        nc += resp[i, c];
                    }
                    w[c] = nc / n;
                    for (int j = 0; j < d; j++)
                    {
                        double m = 0, v = 0;
                        for (int i = 0; i < n; i++)
                        {
                            m += resp[i, c] * x[i][j];
                        }
                        m /= nc;
                        for (int i = 0; i < n; i++)
                        {
                            v += resp[i, c] * (x[i][j] - m) * (x[i][j] - m);
                        }
                        mu[c][j] = m;
                        va[c][j] = Math.Max(v / nc, floor[j]);
                    }
                }
            }
            return new DiagonalMixture(w, mu, va);
        }

        public float[] Sample(int count, Random rand)
        {
            int d = _means[0].Length;
            var z = new float[count * d];
            for (int s = 0; s < count; s++)
            {
                double u = rand.NextDouble();
                int c = 0;
                while (c < _weights.Length - 1 && (u -= _weights[c]) > 0)
                {
                    c++;
                }
                for (int j = 0; j < d; j++)
                {
                    double g = Math.Sqrt(-2 * Math.Log(1 - rand.NextDouble())) * Math.Cos(2 * Math.PI * rand.NextDouble());
                    z[(s * d) + j] = (float)(_means[c][j] + (Math.Sqrt(_variances[c][j]) * g));
                }
            }
            return z;
        }
    }
}
