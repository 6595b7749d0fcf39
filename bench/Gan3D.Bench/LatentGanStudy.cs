using System.Diagnostics;
using Gan3D.Data;
using Gan3D.Models;
using Gan3D.Nn;
using Gan3D.Tensors;

namespace Gan3D.Bench;

/// <summary>
/// The l-GAN arm of the recipe study (issue 17; Achlioptas et al. 2018): a small GAN trained on a latent
/// model's stored training codes, whose samples are decoded by the model's decoder, against the model's own
/// prior (neighbour mixing). G and D are multilayer perceptrons with leaky ReLUs; the codes are
/// standardised per dimension; the loss is either the non-saturating cross entropy with an R1 penalty on D's
/// gradient at the real codes, or WGAN-GP with several critic steps a G step (l-WGAN, the paper's better
/// latent GAN). D's input gradient is written forward as a graph in its weights, as <see cref="Discriminator3D"/>
/// does, so both penalties train without a second-order autograd.
/// Writes <c>{out}-s{d}.npy.gz</c> per draw for <c>gan3d eval --shapes</c>.
/// </summary>
public static class LatentGanStudy
{
    public sealed record Settings(string Checkpoint, int Iterations, int Hidden, int NoiseDim, int Batch, float LearningRate, float Penalty, int Critic,
        int Samples, int Draws, int Threads, ulong Seed, string OutPrefix);

    public static void Run(Settings s, TextWriter log)
    {
        var backend = new CpuBackend(s.Threads);
        using var model = TrainedGan.Load(s.Checkpoint, backend);
        var prior = model.Prior ?? throw new ArgumentException($"{s.Checkpoint}: not a latent model");
        int n = prior.Count, zd = prior.LatentDim;
        var codes = prior.Codes.ToArray();
        var (mean, std) = Standardise(codes, n, zd);
        var rng = new Rng(s.Seed);
        using var g = new CodeMlp([s.NoiseDim, s.Hidden, s.Hidden, zd], backend, rng);
        using var d = new CodeMlp([zd, s.Hidden, s.Hidden, 1], backend, rng);
        using var optG = new Adam(g.NamedParameters(), s.LearningRate, 0.5f, 0.9f);
        using var optD = new Adam(d.NamedParameters(), s.LearningRate, 0.5f, 0.9f);
        log.WriteLine($"l-GAN on {n} codes of {zd} from {s.Checkpoint}: G {g.ParameterCount:N0}, D {d.ParameterCount:N0} parameters, {s.Iterations} iterations of {s.Batch}, lr {s.LearningRate}, {(s.Critic > 0 ? $"WGAN-GP λ {s.Penalty}, {s.Critic} critic steps" : $"R1 γ {s.Penalty}")}");
        var clock = Stopwatch.StartNew();
        var order = new DataOrder(n, s.Seed);
        var batch = new float[s.Batch * zd];
        var picks = new int[s.Batch];
        double lossD = 0, lossG = 0, pen = 0;
        bool wgan = s.Critic > 0;
        var mixed = new float[s.Batch * zd];
        for (int it = 1; it <= s.Iterations; it++)
        {
            for (int step = 0; step < Math.Max(1, s.Critic); step++)
            {
                order.Next(picks);
                for (int b = 0; b < s.Batch; b++)
                {
                    codes.AsSpan(picks[b] * zd, zd).CopyTo(batch.AsSpan(b * zd, zd));
                }
                using var scope = MemoryScope.Begin();
                var real = Tensor.FromArray(batch, new Shape(s.Batch, zd), backend);
                Tensor fake;
                using (Autograd.NoGrad())
                {
                    fake = g.Forward(rng.Normal(new Shape(s.Batch, s.NoiseDim), backend));
                }
                Tensor loss, penalty;
                if (wgan)
                {
                    // WGAN-GP: the critic's gradient norm pushed to 1 at points between real and generated codes.
                    var fa = fake.ToArray();
                    for (int b = 0; b < s.Batch; b++)
                    {
                        float e = (float)rng.NextDouble();
                        for (int k = b * zd; k < (b + 1) * zd; k++)
                        {
                            mixed[k] = fa[k] + (e * (batch[k] - fa[k]));
                        }
                    }
                    var (_, grad) = d.ForwardWithInputGradient(Tensor.FromArray(mixed, new Shape(s.Batch, zd), backend));
                    penalty = Ops.MulScalar(AdversarialTrainer.UnitNormPenalty(grad), s.Penalty);
                    loss = Ops.Sub(Ops.Mean(d.Forward(fake)), Ops.Mean(d.Forward(real)));
                }
                else
                {
                    var (logitsReal, gradReal) = d.ForwardWithInputGradient(real);
                    loss = Ops.Add(Ops.BceWithLogits(logitsReal, 1f), Ops.BceWithLogits(d.Forward(fake), 0f));
                    penalty = Ops.MulScalar(Ops.Mean(Ops.Square(gradReal)), s.Penalty * zd / 2f);
                }
                optD.ZeroGrad();
                Ops.Add(loss, penalty).Backward();
                optD.Step();
                if (step == 0)
                {
                    lossD += loss.Item();
                    pen += penalty.Item();
                }
            }
            using (MemoryScope.Begin())
            {
                var logits = d.Forward(g.Forward(rng.Normal(new Shape(s.Batch, s.NoiseDim), backend)));
                var genLoss = wgan ? Ops.MulScalar(Ops.Mean(logits), -1f) : Ops.BceWithLogits(logits, 1f);
                optG.ZeroGrad();
                genLoss.Backward();
                optG.Step();
                lossG += genLoss.Item();
            }
            if (it % 1000 == 0)
            {
                log.WriteLine($"  it {it}: D {lossD / 1000:F3} G {lossG / 1000:F3} penalty {pen / 1000:F4} ({it / clock.Elapsed.TotalSeconds:F0} it/s)");
                lossD = lossG = pen = 0;
            }
        }
        g.Eval();
        for (int draw = 0; draw < s.Draws; draw++)
        {
            var drawRng = new Rng(1000 + (ulong)draw);
            float[] z;
            using (MemoryScope.Begin())
            using (Autograd.NoGrad())
            {
                z = g.Forward(drawRng.Normal(new Shape(s.Samples, s.NoiseDim), backend)).ToArray();
            }
            if (draw == 0)
            {
                log.WriteLine($"  nearest training code (standardised): samples {NearestDistance(z, s.Samples, codes, n, zd, excludeSelf: false):F3}, the first 500 training codes {NearestDistance(codes, Math.Min(n, 500), codes, n, zd, excludeSelf: true):F3} (mean Euclidean)");
            }
            for (int i = 0; i < z.Length; i++)
            {
                z[i] = (z[i] * std[i % zd]) + mean[i % zd];
            }
            Sampling.Shapes(model.G, z, s.Samples).SaveNpy($"{s.OutPrefix}-s{draw}.npy.gz");
        }
        log.WriteLine($"  {s.Draws} × {s.Samples} samples → {s.OutPrefix}-s*.npy.gz ({clock.Elapsed.TotalSeconds:F0} s)");
    }

    /// <summary>Codes standardised in place per dimension; returns the mean and standard deviation to undo it.</summary>
    private static (float[] Mean, float[] Std) Standardise(float[] codes, int n, int zd)
    {
        var mean = new float[zd];
        var std = new float[zd];
        for (int j = 0; j < zd; j++)
        {
            double m = 0, v = 0;
            for (int i = 0; i < n; i++)
            {
                m += codes[(i * zd) + j];
            }
            m /= n;
            for (int i = 0; i < n; i++)
            {
                double t = codes[(i * zd) + j] - m;
                v += t * t;
            }
            mean[j] = (float)m;
            std[j] = (float)Math.Sqrt((v / n) + 1e-12);
            for (int i = 0; i < n; i++)
            {
                codes[(i * zd) + j] = (float)((codes[(i * zd) + j] - m) / std[j]);
            }
        }
        return (mean, std);
    }

    /// <summary>Mean distance from each of the first <paramref name="count"/> rows of <paramref name="a"/> to its nearest stored code (row i of <paramref name="a"/> skips stored code i when <paramref name="excludeSelf"/>: a is the stored codes).</summary>
    private static double NearestDistance(float[] a, int count, float[] codes, int n, int zd, bool excludeSelf)
    {
        double total = 0;
        for (int i = 0; i < count; i++)
        {
            double best = double.MaxValue;
            for (int j = 0; j < n; j++)
            {
                if (excludeSelf && j == i)
                {
                    continue;
                }
                double dd = 0;
                for (int k = 0; k < zd; k++)
                {
                    double t = a[(i * zd) + k] - codes[(j * zd) + k];
                    dd += t * t;
                }
                best = Math.Min(best, dd);
            }
            total += Math.Sqrt(best);
        }
        return total / count;
    }
}
