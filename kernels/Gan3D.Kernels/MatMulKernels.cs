using ILGPU;

namespace Gan3D.Kernels;

/// <summary>C (M×N) = op(A) · op(B) with op(A) M×K and op(B) K×N, row-major.</summary>
public struct MatMulParams
{
    public int M, N, K;

    /// <summary>1 when A is stored K×M and read transposed.</summary>
    public int TransposeA;

    /// <summary>1 when B is stored N×K and read transposed.</summary>
    public int TransposeB;
}

/// <summary>
/// Dense matrix product for the linear layers (small: batch × 200 latent, classifier heads).
/// Versions: 1 (this: one thread per element of C, the K sum in order, float32).
/// </summary>
public static class MatMulKernels
{
    /// <summary>c[i, j] = Σ_p op(A)[i, p] · op(B)[p, j].</summary>
    /// <param name="index">One thread per element of C: M·N threads.</param>
    /// <param name="a">A: (M, K), or (K, M) when transposed.</param>
    /// <param name="b">B: (K, N), or (N, K) when transposed.</param>
    /// <param name="c">C: (M, N), overwritten.</param>
    /// <param name="p">Sizes and transposes.</param>
    public static void MatMulKernel1(Index1D index, ArrayView<float> a, ArrayView<float> b, ArrayView<float> c, MatMulParams p)
    {
        int i = index / p.N;
        int j = index - i * p.N;
        // Element (i, q) of op(A) is at i·K + q, or q·M + i when transposed; likewise for B.
        int aBase = p.TransposeA != 0 ? i : i * p.K;
        int aStep = p.TransposeA != 0 ? p.M : 1;
        int bBase = p.TransposeB != 0 ? j * p.K : j;
        int bStep = p.TransposeB != 0 ? 1 : p.N;
        float acc = 0f;
        for (int q = 0; q < p.K; q++)
        {
            acc += a[aBase + q * aStep] * b[bBase + q * bStep];
        }
        c[index] = acc;
    }
}
