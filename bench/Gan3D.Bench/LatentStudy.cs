using System.Diagnostics;
using Gan3D.Data;
using Gan3D.Models;
using Gan3D.Nn;
using Gan3D.Tensors;

namespace Gan3D.Bench;

/// <summary>
/// The latent-model arm of the recipe study (issue 17, docs/quality.md), before it is a model of the
/// engine: an autoencoder (a D-shaped encoder x → z, the 3D-GAN's G as the decoder, binary cross
/// entropy on the voxels), then new codes drawn from the training shapes' codes and decoded. The
/// samples are written as .npy.gz files for <c>gan3d eval --shapes</c>, one file per draw, so they are
/// judged exactly as a checkpoint's samples are. Samplers:
/// <list type="bullet">
/// <item><c>recon</c>: codes of random training shapes (reconstructions: the ceiling of this decoder, and copies by design);</item>
/// <item><c>mix-M-LO</c>: a random training code moved towards one of its M nearest codes by t ~ U(LO, 1 − LO);</item>
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
        var arch = new GanArchitecture(32, s.Width, 200);
        var rng = new Rng(s.Seed);
        using var encoder = new ShapeEncoder(arch, backend, rng);
        using var decoder = new Generator3D(arch, backend, rng);
        log.WriteLine($"latent study: {data.Count} shapes from {s.Data}, autoencoder {arch}, {encoder.ParameterCount + decoder.ParameterCount:N0} parameters, {s.Iterations} iterations");
        Train(encoder, decoder, data, s, log);
        var codes = Encode(encoder, decoder, data, log);
        int n = data.Count;
        var samplers = new List<(string Name, Func<Random, float[]> Draw)>
        {
            ("recon", r => Enumerable.Range(0, s.Samples).SelectMany(_ => codes[r.Next(n)]).ToArray()),
        };
        foreach (var (m, lo) in new[] { (10, 0.0), (10, 0.25), (20, 0.25) })
        {
            var near = NearestCodes(codes, m);
            samplers.Add(($"mix-{m}-{lo:0.##}", r => Enumerable.Range(0, s.Samples).SelectMany(_ =>
            {
                int i = r.Next(n), j = near[i][r.Next(m)];
                return LatentSpace.Lerp(codes[i], codes[j], lo + (1 - 2 * lo) * r.NextDouble());
            }).ToArray()));
        }
        foreach (int k in new[] { 32 })
        {
            var gmm = DiagonalMixture.Fit(codes, k, 200, new Random(1));
            samplers.Add(($"gmm-{k}", r => gmm.Sample(s.Samples, r)));
        }
        foreach (var (name, draw) in samplers)
        {
            for (int d = 0; d < s.Draws; d++)
            {
                var z = draw(new Random(1000 + d));
                int vox = data.VoxelsPerGrid;
                var p = Sampling.Decode(decoder, z, s.Samples);
                var shapes = VoxelDataset.FromGrids(Enumerable.Range(0, s.Samples)
                    .Select(i => VoxelGrid.FromProbabilities(p.AsSpan(i * vox, vox), 32, 0.5f)).ToList());
                shapes.SaveNpy($"{s.OutPrefix}-{name}-s{d}.npy.gz");
            }
            log.WriteLine($"  {name}: {s.Draws} × {s.Samples} samples → {s.OutPrefix}-{name}-s*.npy.gz");
        }
    }

    private static void Train(ShapeEncoder encoder, Generator3D decoder, VoxelDataset data, Settings s, TextWriter log)
    {
        var backend = encoder.Backend;
        using var opt = new Adam(encoder.NamedParameters("E.").Concat(decoder.NamedParameters("G.")), s.LearningRate);
        const int b = 32;
        var order = new DataOrder(data.Count, s.Seed ^ 0xD1B54A32D192ED03UL);
        var indices = new int[b];
        var host = new float[b * data.VoxelsPerGrid];
        using var real = Tensor.Empty(new Shape(b, 1, 32, 32, 32), backend).Persist();
        var clock = Stopwatch.StartNew();
        double loss = 0;
        for (int it = 1; it <= s.Iterations; it++)
        {
            order.Next(indices);
            data.FillBatch(indices, host);
            real.CopyFrom(host);
            using (MemoryScope.Begin())
            {
                var l = Ops.BceWithLogits(decoder.ForwardLogits(encoder.Forward(real)), real);
                opt.ZeroGrad();
                l.Backward();
                opt.Step();
                loss += l.ToArray()[0];
            }
            backend.Pool.EndIteration();
            if (it % 100 == 0)
            {
                log.WriteLine($"  it {it}: reconstruction BCE {loss / 100:F4} ({it / clock.Elapsed.TotalSeconds:F2} it/s)");
                loss = 0;
            }
        }
        log.WriteLine($"  trained in {clock.Elapsed.TotalSeconds:F0} s");
    }

    /// <summary>Every training shape's code (eval mode), and the mean IoU of its reconstruction at 0.5.</summary>
    private static float[][] Encode(ShapeEncoder encoder, Generator3D decoder, VoxelDataset data, TextWriter log)
    {
        encoder.Eval();
        int n = data.Count, vox = data.VoxelsPerGrid, zd = decoder.Architecture.LatentDim;
        var codes = new float[n][];
        double iou = 0;
        using var noGrad = Autograd.NoGrad();
        for (int start = 0; start < n; start += 16)
        {
            int k = Math.Min(16, n - start);
            using var scope = MemoryScope.Begin();
            var x = new float[k * vox];
            data.FillBatch(Enumerable.Range(start, k).ToArray(), x);
            var z = encoder.Forward(Tensor.FromArray(x, new Shape(k, 1, 32, 32, 32), encoder.Backend)).ToArray();
            var p = Sampling.Decode(decoder, z, k);
            for (int i = 0; i < k; i++)
            {
                codes[start + i] = z.AsSpan(i * zd, zd).ToArray();
                int both = 0, either = 0;
                for (int v = i * vox; v < (i + 1) * vox; v++)
                {
                    bool a = x[v] > 0.5f, c = p[v] > 0.5f;
                    both += a && c ? 1 : 0;
                    either += a || c ? 1 : 0;
                }
                iou += either == 0 ? 1 : (double)both / either;
            }
        }
        log.WriteLine($"  training shapes reconstructed with mean IoU {iou / n:F3}");
        return codes;
    }

    private static int[][] NearestCodes(float[][] codes, int m) => codes.Select((c, i) =>
        Enumerable.Range(0, codes.Length).Where(j => j != i).OrderBy(j => SquaredDistance(c, codes[j])).Take(m).ToArray()).ToArray();

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

    /// <summary>D's architecture with a latent code instead of a logit: x (N, 1, R, R, R) → z (N, Z).</summary>
    private sealed class ShapeEncoder : Module
    {
        private readonly List<(Conv3d Conv, BatchNorm3d? Norm)> _stages = new();
        private readonly Conv3d _final;

        public ShapeEncoder(GanArchitecture a, IBackend backend, Rng rng)
            : base(backend)
        {
            int inC = 1;
            var channels = a.DiscriminatorChannels;
            for (int i = 0; i < channels.Length; i++)
            {
                var conv = RegisterModule($"stages.{i}.conv", new Conv3d(inC, channels[i], 4, 2, 1, bias: i == 0, backend: backend, rng: rng));
                var norm = i == 0 ? null : RegisterModule($"stages.{i}.norm", new BatchNorm3d(channels[i], backend: backend));
                _stages.Add((conv, norm));
                inC = channels[i];
            }
            _final = RegisterModule($"stages.{channels.Length}.conv", new Conv3d(inC, a.LatentDim, 4, 1, 0, bias: true, backend: backend, rng: rng));
            GanInit.Apply(this, rng);
        }

        public override Tensor Forward(Tensor input)
        {
            var x = input;
            foreach (var (conv, norm) in _stages)
            {
                x = conv.Forward(x);
                x = norm is null ? Ops.LeakyReluInPlace(x, Discriminator3D.LeakySlope) : norm.ForwardLeakyRelu(x, Discriminator3D.LeakySlope);
            }
            var y = _final.Forward(x);
            return Ops.Reshape(y, y.Shape[0], y.Shape[1]);
        }
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
