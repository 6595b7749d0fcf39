using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Gan3D.Tensors;

/// <summary>Which register-tiled micro-kernel the CPU GEMM uses.</summary>
public enum GemmIsa
{
    /// <summary>The widest one this CPU runs: Vector512 if accelerated, else Vector256, else scalar.</summary>
    Auto,

    /// <summary>6×32 tile, two 512-bit vectors a row.</summary>
    Vector512,

    /// <summary>6×16 tile, two 256-bit vectors a row.</summary>
    Vector256,

    /// <summary>6×8 tile in plain scalar code: runs anywhere, the reference for the SIMD kernels.</summary>
    Scalar,
}

/// <summary>
/// C tile (MR × NR) = Σ over kc of a packed A column (MR values) times a packed B row (NR values):
/// the register-resident inner loop of the BLIS-style GEMM. MR = 6 rows keeps 12 accumulators plus
/// 2 B vectors and a broadcast in registers (16 of AVX2's registers, 15 of AVX-512's 32); wider tiles
/// measured no faster on Zen 4, whose 512-bit FMA is double-pumped (shared/notes/pytorch-peer.md).
/// </summary>
internal static unsafe class MicroKernels
{
    public const int MR = 6;

    /// <summary>The tile width of an ISA: two vectors of floats, or 8 for scalar.</summary>
    public static int Nr(GemmIsa isa) => isa switch
    {
        GemmIsa.Vector512 => 32,
        GemmIsa.Vector256 => 16,
        _ => 8,
    };

    public static GemmIsa Resolve(GemmIsa isa) => isa != GemmIsa.Auto ? isa
        : Vector512.IsHardwareAccelerated ? GemmIsa.Vector512
        : Vector256.IsHardwareAccelerated ? GemmIsa.Vector256
        : GemmIsa.Scalar;

    /// <summary>
    /// tile (MR × NR, row-major, NR floats a row) = Σ_p a[p·MR + r] · b[p·NR + c] over p in [0, kc).
    /// </summary>
    public static void Run(GemmIsa isa, int kc, float* a, float* b, float* tile)
    {
        switch (isa)
        {
            case GemmIsa.Vector512: Kernel512(kc, a, b, tile); break;
            case GemmIsa.Vector256: Kernel256(kc, a, b, tile); break;
            default: KernelScalar(kc, a, b, tile); break;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel512(int kc, float* a, float* b, float* tile)
    {
        Vector512<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default;
        Vector512<float> c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
        for (int p = 0; p < kc; p++)
        {
            var b0 = Vector512.Load(b);
            var b1 = Vector512.Load(b + 16);
            var av = Vector512.Create(a[0]);
            c00 = Vector512.FusedMultiplyAdd(av, b0, c00);
            c01 = Vector512.FusedMultiplyAdd(av, b1, c01);
            av = Vector512.Create(a[1]);
            c10 = Vector512.FusedMultiplyAdd(av, b0, c10);
            c11 = Vector512.FusedMultiplyAdd(av, b1, c11);
            av = Vector512.Create(a[2]);
            c20 = Vector512.FusedMultiplyAdd(av, b0, c20);
            c21 = Vector512.FusedMultiplyAdd(av, b1, c21);
            av = Vector512.Create(a[3]);
            c30 = Vector512.FusedMultiplyAdd(av, b0, c30);
            c31 = Vector512.FusedMultiplyAdd(av, b1, c31);
            av = Vector512.Create(a[4]);
            c40 = Vector512.FusedMultiplyAdd(av, b0, c40);
            c41 = Vector512.FusedMultiplyAdd(av, b1, c41);
            av = Vector512.Create(a[5]);
            c50 = Vector512.FusedMultiplyAdd(av, b0, c50);
            c51 = Vector512.FusedMultiplyAdd(av, b1, c51);
            a += MR;
            b += 32;
        }
        c00.Store(tile); c01.Store(tile + 16);
        c10.Store(tile + 32); c11.Store(tile + 48);
        c20.Store(tile + 64); c21.Store(tile + 80);
        c30.Store(tile + 96); c31.Store(tile + 112);
        c40.Store(tile + 128); c41.Store(tile + 144);
        c50.Store(tile + 160); c51.Store(tile + 176);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel256(int kc, float* a, float* b, float* tile)
    {
        Vector256<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default;
        Vector256<float> c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
        for (int p = 0; p < kc; p++)
        {
            var b0 = Vector256.Load(b);
            var b1 = Vector256.Load(b + 8);
            var av = Vector256.Create(a[0]);
            c00 = Vector256.FusedMultiplyAdd(av, b0, c00);
            c01 = Vector256.FusedMultiplyAdd(av, b1, c01);
            av = Vector256.Create(a[1]);
            c10 = Vector256.FusedMultiplyAdd(av, b0, c10);
            c11 = Vector256.FusedMultiplyAdd(av, b1, c11);
            av = Vector256.Create(a[2]);
            c20 = Vector256.FusedMultiplyAdd(av, b0, c20);
            c21 = Vector256.FusedMultiplyAdd(av, b1, c21);
            av = Vector256.Create(a[3]);
            c30 = Vector256.FusedMultiplyAdd(av, b0, c30);
            c31 = Vector256.FusedMultiplyAdd(av, b1, c31);
            av = Vector256.Create(a[4]);
            c40 = Vector256.FusedMultiplyAdd(av, b0, c40);
            c41 = Vector256.FusedMultiplyAdd(av, b1, c41);
            av = Vector256.Create(a[5]);
            c50 = Vector256.FusedMultiplyAdd(av, b0, c50);
            c51 = Vector256.FusedMultiplyAdd(av, b1, c51);
            a += MR;
            b += 16;
        }
        c00.Store(tile); c01.Store(tile + 8);
        c10.Store(tile + 16); c11.Store(tile + 24);
        c20.Store(tile + 32); c21.Store(tile + 40);
        c30.Store(tile + 48); c31.Store(tile + 56);
        c40.Store(tile + 64); c41.Store(tile + 72);
        c50.Store(tile + 80); c51.Store(tile + 88);
    }

    private static void KernelScalar(int kc, float* a, float* b, float* tile)
    {
        const int nr = 8;
        for (int i = 0; i < MR * nr; i++)
        {
            tile[i] = 0f;
        }
        for (int p = 0; p < kc; p++)
        {
            for (int r = 0; r < MR; r++)
            {
                float av = a[r];
                for (int c = 0; c < nr; c++)
                {
                    tile[r * nr + c] = MathF.FusedMultiplyAdd(av, b[c], tile[r * nr + c]);
                }
            }
            a += MR;
            b += nr;
        }
    }
}
