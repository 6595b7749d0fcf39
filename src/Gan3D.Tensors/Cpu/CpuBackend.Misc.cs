using System.Numerics.Tensors;
using Gan3D.Kernels;

namespace Gan3D.Tensors;

public sealed partial class CpuBackend
{
    public void MatMul(Tensor a, bool transposeA, Tensor b, bool transposeB, Tensor c, int m, int n, int k)
    {
        var (aa, ba, ca) = (A(a), A(b), A(c));
        // Row i of C is Σ_p op(A)[i, p] · op(B)[p, :]; a transposed B is made contiguous once.
        float[] bRows = ba;
        if (transposeB)
        {
            bRows = new float[(long)k * n];
            for (int p = 0; p < k; p++)
            {
                for (int j = 0; j < n; j++)
                {
                    bRows[p * n + j] = ba[j * k + p];
                }
            }
        }
        For(m, i =>
        {
            var row = new Span<float>(ca, i * n, n);
            row.Clear();
            for (int p = 0; p < k; p++)
            {
                float av = transposeA ? aa[p * m + i] : aa[i * k + p];
                if (av != 0f)
                {
                    TensorPrimitives.MultiplyAdd(new ReadOnlySpan<float>(bRows, p * n, n), av, row, row);
                }
            }
        });
    }

    public void MaxPool3dForward(Tensor x, Tensor y, in Pool3dGeometry g)
    {
        var (xa, ya) = (A(x), A(y));
        var xr = new ArrayReader(xa);
        var geo = g;
        For(g.N * g.C, nc =>
        {
            int xb = nc * geo.Di * geo.Hi * geo.Wi, yb = nc * geo.Do * geo.Ho * geo.Wo;
            for (int od = 0; od < geo.Do; od++)
            for (int oh = 0; oh < geo.Ho; oh++)
            for (int ow = 0; ow < geo.Wo; ow++)
            {
                ya[yb + (od * geo.Ho + oh) * geo.Wo + ow] = xa[xb + PoolKernels.WindowArgMax(xr, xb, geo, od, oh, ow)];
            }
        });
    }

    public void MaxPool3dBackward(Tensor x, Tensor y, Tensor dy, Tensor dx, in Pool3dGeometry g)
    {
        var (xa, ga, da) = (A(x), A(dy), A(dx));
        var xr = new ArrayReader(xa);
        var geo = g;
        For(g.N * g.C, nc =>
        {
            int xb = nc * geo.Di * geo.Hi * geo.Wi, yb = nc * geo.Do * geo.Ho * geo.Wo;
            da.AsSpan(xb, geo.Di * geo.Hi * geo.Wi).Clear();
            for (int od = 0; od < geo.Do; od++)
            for (int oh = 0; oh < geo.Ho; oh++)
            for (int ow = 0; ow < geo.Wo; ow++)
            {
                da[xb + PoolKernels.WindowArgMax(xr, xb, geo, od, oh, ow)] += ga[yb + (od * geo.Ho + oh) * geo.Wo + ow];
            }
        });
    }

    public void BceWithLogits(Tensor logits, Tensor? target, float constantTarget, float positiveWeight, Tensor loss)
    {
        var xa = A(logits);
        var ta = target is null ? null : A(target);
        long n = logits.Numel;
        int chunks = (int)((n + ElementChunk - 1) / ElementChunk);
        var partial = new double[chunks];
        ForChunks(n, ElementChunk, (s, len) =>
        {
            double acc = 0;
            for (int i = s; i < s + len; i++)
            {
                float x = xa[i], t = ta is null ? constantTarget : ta[i];
                float log1p = MathF.Log(1f + MathF.Exp(-Math.Abs(x)));
                acc += Math.Max(x, 0f) - x * t + log1p + (positiveWeight - 1f) * t * (Math.Max(-x, 0f) + log1p);
            }
            partial[s / ElementChunk] = acc;
        });
        S(loss)[0] = (float)(partial.Sum() / n);
    }

    public void BceWithLogitsBackward(Tensor logits, Tensor? target, float constantTarget, float positiveWeight, Tensor dLoss, Tensor dx)
    {
        var (xa, da) = (A(logits), A(dx));
        var ta = target is null ? null : A(target);
        float scale = S(dLoss)[0] / logits.Numel;
        Elementwise(logits.Numel, (s, len) =>
        {
            for (int i = s; i < s + len; i++)
            {
                float t = ta is null ? constantTarget : ta[i];
                float sigmoid = 1f / (1f + MathF.Exp(-xa[i]));
                da[i] = scale * (sigmoid - t + (positiveWeight - 1f) * t * (sigmoid - 1f));
            }
        });
    }

    public void KlStandardNormal(Tensor mu, Tensor logvar, Tensor loss, int batch)
    {
        Span<float> ma = S(mu), la = S(logvar);
        double acc = 0;
        for (int i = 0; i < ma.Length; i++)
        {
            acc += 1.0 + la[i] - (double)ma[i] * ma[i] - Math.Exp(la[i]);
        }
        S(loss)[0] = (float)(-0.5 * acc / batch);
    }

    public void KlStandardNormalBackward(Tensor mu, Tensor logvar, Tensor dLoss, Tensor dmu, Tensor dlogvar, int batch)
    {
        Span<float> ma = S(mu), la = S(logvar), dm = S(dmu), dl = S(dlogvar);
        float scale = S(dLoss)[0] / batch;
        for (int i = 0; i < ma.Length; i++)
        {
            dm[i] = scale * ma[i];
            dl[i] = scale * 0.5f * (MathF.Exp(la[i]) - 1f);
        }
    }

    public void AdamStep(Tensor param, Tensor grad, Tensor m, Tensor v, in AdamStepParams p)
    {
        var (pa, ga, ma, va) = (A(param), A(grad), A(m), A(v));
        var q = p;
        Elementwise(param.Numel, (s, len) =>
        {
            for (int i = s; i < s + len; i++)
            {
                float g = ga[i] + q.WeightDecay * pa[i];
                float mi = q.Beta1 * ma[i] + (1f - q.Beta1) * g;
                float vi = q.Beta2 * va[i] + (1f - q.Beta2) * g * g;
                ma[i] = mi;
                va[i] = vi;
                pa[i] -= q.StepSize * mi / (MathF.Sqrt(vi) * q.InvSqrtBiasCorrection2 + q.Eps);
            }
        });
    }
}
