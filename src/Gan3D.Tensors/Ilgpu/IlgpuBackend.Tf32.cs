using Gan3D.Kernels;
using ILGPU;
using ILGPU.Runtime;

namespace Gan3D.Tensors;

/// <summary>The TF32 tensor-core convolutions (Conv3dKernels.Tf32.cs), opt-in through <see cref="Precision"/>.</summary>
public sealed partial class IlgpuBackend
{
    private ConvPrecision _precision;
    private KernelSetTf32? _tf32;

    /// <summary>
    /// The arithmetic of the convolutions that <see cref="ConvLaunchPlan"/> runs on 64 × 64 tiles (kernel
    /// versions 2 and 3): <see cref="ConvPrecision.Fp32"/> (default) or <see cref="ConvPrecision.Tf32"/>, which runs
    /// them on tensor cores (on the CPU accelerator, an exact emulation of the instruction). The naive
    /// version 1 and the small-M kernels stay float32. Setting Tf32 loads its kernels (once).
    /// </summary>
    /// <exception cref="NotSupportedException">Tf32 on an accelerator without 32-wide warps and 256-thread groups.</exception>
    public ConvPrecision Precision
    {
        get => _precision;
        set
        {
            if (value == ConvPrecision.Tf32 && _tf32 is null)
            {
                if (_k.V2 is null)
                {
                    throw new NotSupportedException(
                        $"{_deviceName} cannot run the TF32 convolutions: they need 32-wide warps and groups of {ImplicitGemmTileTf32.Threads} threads " +
                        $"(this accelerator: groups of {_accelerator.MaxNumThreadsPerGroup}, warps of {_accelerator.WarpSize})");
                }
                _tf32 = new KernelSetTf32(_accelerator);
            }
            _precision = value;
        }
    }

    /// <summary>The TF32 kernel for a 64 × 64-tile plan that <see cref="ConvLaunchPlan.WithPrecision"/> marked TF32, else null.</summary>
    private KernelSetTf32? Tf32For(ConvLaunchPlan plan) => plan.Precision == ConvPrecision.Tf32 ? _tf32 : null;

    /// <summary>
    /// The TF32 convolution kernels (launched with 64 × 64-tile plans, groups of <see cref="ImplicitGemmTileTf32.Threads"/>),
    /// typed as the float32 tile kernels; forward and backward-data take no reduction chunk (their plans never split K).
    /// </summary>
    private sealed class KernelSetTf32(Accelerator a)
    {
        public readonly Action<KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, Conv3dGeometry, int> Forward =
            NoSplit(a.LoadStreamKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, Conv3dGeometry>(Conv3dKernels.Conv3dForwardTf32Kernel));

        public readonly Action<KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, Conv3dGeometry, int> BackwardData =
            NoSplit(a.LoadStreamKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, Conv3dGeometry>(Conv3dKernels.Conv3dBackwardDataTf32Kernel));

        public readonly Action<KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, Conv3dGeometry, int> BackwardDataDense =
            NoSplit(a.LoadStreamKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, Conv3dGeometry>(Conv3dKernels.Conv3dBackwardDataDenseTf32Kernel));

        public readonly Action<KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, Conv3dGeometry, int> BackwardWeight =
            a.LoadStreamKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, Conv3dGeometry, int>(Conv3dKernels.Conv3dBackwardWeightTf32Kernel);

        private static Action<KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, Conv3dGeometry, int> NoSplit(
            Action<KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, Conv3dGeometry> kernel) =>
            (config, a, b, output, g, _) => kernel(config, a, b, output, g);
    }
}
