using Gan3D.Kernels;

namespace Gan3D.Tensors;

public static partial class Ops
{
    /// <summary>
    /// One step of the power iteration that estimates the largest singular value σ of
    /// <paramref name="weight"/> viewed as a matrix W (M, K), M its first extent (a convolution's output
    /// channels) and K the rest, as torch.nn.utils.spectral_norm does in training mode:
    /// v ← normalise(Wᵀu), then u ← normalise(W·v), written into <paramref name="u"/> (M) and
    /// <paramref name="v"/> (K). Not differentiable (u and v are constants to autograd). Everything stays
    /// on the device: the norms are one-element tensors, so a GPU run reads nothing back.
    /// </summary>
    public static void SpectralNormPowerIteration(Tensor weight, Tensor u, Tensor v)
    {
        var (m, k) = SpectralNormShape("SpectralNormPowerIteration", weight, u, v);
        var be = weight.Backend;
        using var wtu = v.EmptyLike();
        be.MatMul(u, false, weight, false, wtu, 1, k, m); // (1, K) = uᵀ (1, M) · W (M, K)
        NormalizeInto(wtu, v);
        using var wv = u.EmptyLike();
        be.MatMul(weight, false, v, false, wv, m, 1, k); // (M, 1) = W (M, K) · v (K, 1)
        NormalizeInto(wv, u);
    }

    /// <summary>
    /// W / σ with σ = uᵀ W v for the current estimates <paramref name="u"/> (M) and <paramref name="v"/>
    /// (K) of W's leading singular vectors (after <see cref="SpectralNormPowerIteration"/>, u = Wv/‖Wv‖
    /// and σ = ‖Wv‖ &gt; 0). Differentiable in the weight only, with u and v held constant, as PyTorch
    /// does: dW = (dY − ⟨dY, W/σ⟩·u vᵀ) / σ. u and v are copied, so updating them before backward is safe.
    /// </summary>
    public static Tensor SpectralNormalize(Tensor weight, Tensor u, Tensor v)
    {
        var (m, k) = SpectralNormShape("SpectralNormalize", weight, u, v);
        var be = weight.Backend;
        var uc = u.EmptyLike();
        var vc = v.EmptyLike();
        be.Copy(u, uc);
        be.Copy(v, vc);
        using var wv = u.EmptyLike();
        be.MatMul(weight, false, vc, false, wv, m, 1, k); // W v
        using var sigma = Tensor.Empty(new Shape(), be);
        be.MatMul(uc, false, wv, false, sigma, 1, 1, m); // σ = uᵀ (W v)
        // 1/σ as rsqrt(σ²): the backends have no reciprocal, and σ is positive by construction.
        var invSigma = Tensor.Empty(new Shape(), be);
        be.Unary(UnaryOp.Square, sigma, invSigma, 0f);
        be.Unary(UnaryOp.Rsqrt, invSigma, invSigma, 0f);
        var y = weight.EmptyLike();
        MultiplyByScalar(weight, invSigma, y);
        return Autograd.Record(y, new SpectralNormFunction(uc, vc, invSigma, m, k), weight);
    }

    private static (int M, int K) SpectralNormShape(string op, Tensor weight, Tensor u, Tensor v)
    {
        if (weight.Rank < 2 || weight.Numel == 0)
        {
            throw new ArgumentException($"{op}: expected a non-empty weight of rank 2 or more, got {weight.Shape}");
        }
        Check.SameBackend(op, weight, u);
        Check.SameBackend(op, weight, v);
        int m = weight.Shape[0];
        int k = checked((int)weight.Shape.SizeFrom(1));
        if (u.Numel != m || v.Numel != k)
        {
            throw new ArgumentException($"{op}: weight {weight.Shape} is a ({m}, {k}) matrix, so u must hold {m} values and v {k}; got {u.Shape} and {v.Shape}");
        }
        return (m, k);
    }

    /// <summary>y = x / max(‖x‖, 1e-12), PyTorch's normalize, as x · rsqrt(‖x‖² + 1e-24) on the device.</summary>
    private static void NormalizeInto(Tensor x, Tensor y)
    {
        var be = x.Backend;
        using var squares = x.EmptyLike();
        be.Unary(UnaryOp.Square, x, squares, 0f);
        using var inverseNorm = Tensor.Empty(new Shape(), be);
        be.Sum(squares, inverseNorm, 1f);
        be.Unary(UnaryOp.AddScalar, inverseNorm, inverseNorm, 1e-24f);
        be.Unary(UnaryOp.Rsqrt, inverseNorm, inverseNorm, 0f);
        MultiplyByScalar(x, inverseNorm, y);
    }

    /// <summary>y = x · s[0] for a one-element tensor s on the device.</summary>
    private static void MultiplyByScalar(Tensor x, Tensor s, Tensor y)
    {
        using var broadcast = x.EmptyLike();
        x.Backend.BroadcastScalar(s, broadcast, 1f);
        x.Backend.Binary(BinaryOp.Mul, x, broadcast, y);
    }

    private sealed class SpectralNormFunction(Tensor u, Tensor v, Tensor invSigma, int m, int k) : Function
    {
        public override string Name => "SpectralNorm";

        protected internal override bool BackwardReadsOutput => false;

        protected internal override void Backward(Tensor gradOutput)
        {
            var w = Inputs[0];
            var be = w.Backend;
            // dW = dY/σ − (⟨dY, W⟩/σ²)·u vᵀ, the first term from W/σ, the second from σ = uᵀWv.
            using var product = w.EmptyLike();
            be.Binary(BinaryOp.Mul, gradOutput, w, product);
            using var dot = Tensor.Empty(new Shape(), be);
            be.Sum(product, dot, 1f);
            using var invSigmaSquared = Tensor.Empty(new Shape(), be);
            be.Binary(BinaryOp.Mul, invSigma, invSigma, invSigmaSquared);
            using var coefficient = Tensor.Empty(new Shape(), be);
            be.Binary(BinaryOp.Mul, dot, invSigmaSquared, coefficient);
            using var scaledU = u.EmptyLike();
            MultiplyByScalar(u, coefficient, scaledU);
            using var rankOne = w.EmptyLike();
            be.MatMul(scaledU, false, v, false, rankOne, m, k, 1); // (M, 1) · (1, K)
            using var direct = w.EmptyLike();
            MultiplyByScalar(gradOutput, invSigma, direct);
            var dw = w.EmptyLike();
            be.Binary(BinaryOp.Sub, direct, rankOne, dw);
            Accumulate(0, dw);
        }
    }
}
