using ILGPU;
using ILGPU.Runtime.Cuda;

namespace Gan3D.Kernels;

/// <summary>Seed, counter offset and the affine map of a random fill.</summary>
public struct RandomParams
{
    /// <summary>The Philox key.</summary>
    public ulong Seed;

    /// <summary>Counter of element 0; element i uses Offset + i.</summary>
    public ulong Offset;

    /// <summary>Uniform: low and high − low. Normal: mean and standard deviation.</summary>
    public float Shift, Scale;
}

/// <summary>
/// Random fills, element i from Philox4x32-10 at counter offset + i, exactly as the CPU backend
/// draws them (<see cref="Philox"/>, <see cref="RandomMath"/>): uniform draws are bit-identical on
/// every backend, normal draws agree to float tolerance (log/cos differ by an ulp between devices).
/// Versions: 1 (this).
/// </summary>
public static class RandomKernels
{
    /// <summary>y[i] = low + (high − low) · unit(Philox(seed, offset + i)).</summary>
    /// <param name="index">One thread per element.</param>
    /// <param name="y">Output (n).</param>
    /// <param name="p">Seed, offset, low and high − low.</param>
    public static void FillUniformKernel(Index1D index, ArrayView<float> y, RandomParams p)
    {
        float u = Philox.ToUnit(Philox.Word0(p.Seed, p.Offset + (ulong)index.X));
        y[index] = RoundedAdd(p.Shift, RoundedMul(p.Scale, u));
    }

    /// <summary>y[i] = mean + std · BoxMuller(seed, offset + i).</summary>
    /// <param name="index">One thread per element.</param>
    /// <param name="y">Output (n).</param>
    /// <param name="p">Seed, offset, mean and std.</param>
    public static void FillNormalKernel(Index1D index, ArrayView<float> y, RandomParams p)
    {
        y[index] = p.Shift + p.Scale * RandomMath.BoxMuller(p.Seed, p.Offset + (ulong)index.X);
    }

    // PTX `mul.f32`/`add.f32` without a rounding mode may be contracted into one fma by the JIT,
    // which rounds once where the CPU rounds twice; `.rn` forbids the contraction (PTX ISA, "mul"),
    // so uniform draws stay bit-identical to the CPU backend's.

    private static float RoundedMul(float a, float b)
    {
        if (CudaAsm.IsSupported)
        {
            CudaAsm.Emit("mul.rn.f32 %0, %1, %2;", out float r, a, b);
            return r;
        }
        return a * b;
    }

    private static float RoundedAdd(float a, float b)
    {
        if (CudaAsm.IsSupported)
        {
            CudaAsm.Emit("add.rn.f32 %0, %1, %2;", out float r, a, b);
            return r;
        }
        return a + b;
    }
}
