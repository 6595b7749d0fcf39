namespace Gan3D.Tensors;

/// <summary>The arithmetic of the ILGPU backend's implicit-GEMM convolutions (<see cref="IlgpuBackend.Precision"/>).</summary>
public enum ConvPrecision
{
    /// <summary>float32 multiplies and sums on the FMA units (the default; what the CPU backend computes).</summary>
    Fp32,

    /// <summary>
    /// Operands rounded to TF32 (10-bit mantissa), multiplied on tensor cores (mma.sync m16n8k8), summed in
    /// float32: each product carries a relative error up to about 2^-10, so a result is within about
    /// 2^-10·Σ|a·b| of the exact one. Opt-in, as PyTorch's allow_tf32.
    /// </summary>
    Tf32,
}
