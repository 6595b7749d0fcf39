using System.Numerics.Tensors;

namespace Gan3D.Tensors;

public sealed partial class CpuBackend
{
    public void BatchNormForwardTraining(Tensor x, Tensor gamma, Tensor beta, Tensor y,
        Tensor saveMean, Tensor saveInvStd, Tensor runningMean, Tensor runningVar, float momentum, float eps)
    {
        var (n, c, sp) = ChannelLayout(x);
        var (xa, ya, ga, ba) = (A(x), A(y), A(gamma), A(beta));
        var (ma, ia, rm, rv) = (A(saveMean), A(saveInvStd), A(runningMean), A(runningVar));
        long count = (long)n * sp;
        For(c, ch =>
        {
            // Two passes in double: the mean, then the squared deviations (no cancellation).
            double sum = 0;
            for (int i = 0; i < n; i++)
            {
                sum += TensorPrimitives.Sum(new ReadOnlySpan<float>(xa, (i * c + ch) * sp, sp));
            }
            double mean = sum / count;
            double ss = 0;
            for (int i = 0; i < n; i++)
            {
                var row = new ReadOnlySpan<float>(xa, (i * c + ch) * sp, sp);
                float m = (float)mean;
                float rowSs = 0;
                for (int j = 0; j < row.Length; j++)
                {
                    float d = row[j] - m;
                    rowSs += d * d;
                }
                ss += rowSs;
            }
            double variance = ss / count;
            float invStd = (float)(1.0 / Math.Sqrt(variance + eps));
            ma[ch] = (float)mean;
            ia[ch] = invStd;
            rm[ch] = (1f - momentum) * rm[ch] + momentum * (float)mean;
            rv[ch] = (1f - momentum) * rv[ch] + momentum * (float)(variance * count / (count - 1));
            float scale = ga[ch] * invStd;
            float shift = ba[ch] - (float)mean * scale;
            for (int i = 0; i < n; i++)
            {
                int off = (i * c + ch) * sp;
                Affine(new ReadOnlySpan<float>(xa, off, sp), scale, shift, new Span<float>(ya, off, sp));
            }
        });
    }

    public void BatchNormForwardInference(Tensor x, Tensor gamma, Tensor beta,
        Tensor runningMean, Tensor runningVar, Tensor y, float eps)
    {
        var (n, c, sp) = ChannelLayout(x);
        var (xa, ya, ga, ba, rm, rv) = (A(x), A(y), A(gamma), A(beta), A(runningMean), A(runningVar));
        For(n * c, nc =>
        {
            int ch = nc % c;
            float scale = ga[ch] / MathF.Sqrt(rv[ch] + eps);
            float shift = ba[ch] - rm[ch] * scale;
            Affine(new ReadOnlySpan<float>(xa, nc * sp, sp), scale, shift, new Span<float>(ya, nc * sp, sp));
        });
    }

    public void BatchNormBackward(Tensor x, Tensor dy, Tensor gamma, Tensor mean, Tensor invStd,
        Tensor dx, Tensor dgamma, Tensor dbeta, bool batchStatistics)
    {
        var (n, c, sp) = ChannelLayout(x);
        var (xa, ga, gm, ma, ia) = (A(x), A(dy), A(gamma), A(mean), A(invStd));
        var (dxa, dga, dba) = (A(dx), A(dgamma), A(dbeta));
        long count = (long)n * sp;
        For(c, ch =>
        {
            float m = ma[ch], inv = ia[ch];
            double sumDy = 0, sumDyXhat = 0;
            for (int i = 0; i < n; i++)
            {
                int off = (i * c + ch) * sp;
                float s1 = 0, s2 = 0;
                for (int j = 0; j < sp; j++)
                {
                    float g = ga[off + j];
                    s1 += g;
                    s2 += g * (xa[off + j] - m);
                }
                sumDy += s1;
                sumDyXhat += s2;
            }
            sumDyXhat *= inv;
            dba[ch] = (float)sumDy;
            dga[ch] = (float)sumDyXhat;
            float k = gm[ch] * inv;
            if (!batchStatistics)
            {
                for (int i = 0; i < n; i++)
                {
                    int off = (i * c + ch) * sp;
                    TensorPrimitives.Multiply(new ReadOnlySpan<float>(ga, off, sp), k, new Span<float>(dxa, off, sp));
                }
                return;
            }
            // dx = γ·invStd · (dy − mean(dy) − x̂·mean(dy·x̂)), x̂ = (x − μ)·invStd.
            float meanDy = (float)(sumDy / count);
            float meanDyXhat = (float)(sumDyXhat / count);
            for (int i = 0; i < n; i++)
            {
                int off = (i * c + ch) * sp;
                for (int j = 0; j < sp; j++)
                {
                    float xhat = (xa[off + j] - m) * inv;
                    dxa[off + j] = k * (ga[off + j] - meanDy - xhat * meanDyXhat);
                }
            }
        });
    }

    /// <summary>y = x·scale + shift in one pass.</summary>
    internal static void Affine(ReadOnlySpan<float> x, float scale, float shift, Span<float> y)
    {
        int i = 0;
        if (System.Numerics.Vector.IsHardwareAccelerated)
        {
            var vs = new System.Numerics.Vector<float>(scale);
            var vb = new System.Numerics.Vector<float>(shift);
            int w = System.Numerics.Vector<float>.Count;
            for (; i <= x.Length - w; i += w)
            {
                System.Numerics.Vector.FusedMultiplyAdd(new System.Numerics.Vector<float>(x[i..]), vs, vb).CopyTo(y[i..]);
            }
        }
        for (; i < x.Length; i++)
        {
            y[i] = MathF.FusedMultiplyAdd(x[i], scale, shift);
        }
    }
}
