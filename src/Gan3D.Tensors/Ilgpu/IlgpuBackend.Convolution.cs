using Gan3D.Kernels;
using ILGPU;

namespace Gan3D.Tensors;

/// <summary>
/// Convolution (version 1 naive, versions 2 and 3 implicit GEMM, TF32 on tensor cores: see <see cref="Conv3dKernels"/>), pooling,
/// matrix product and the optimiser step.
/// </summary>
public sealed partial class IlgpuBackend
{
    /// <summary>
    /// Whether versions 2 and 3 take the small-M kernels where <see cref="ConvLaunchPlan"/> picks them by shape
    /// (default); false launches the version's 64 × 64 tiles for every shape (the tests of those kernels).
    /// </summary>
    public bool ConvSelectByShape { get; set; } = true;

    /// <summary>Tests: versions 2 and 3 launch the border split (Conv3dKernels.Border.cs) for every shape, whatever the plan would pick.</summary>
    public bool ConvForceBorderSplit { get; set; }

    private ConvLaunchPlan Plan(ConvKernelPass pass, in Conv3dGeometry g) => ConvForceBorderSplit
        ? ConvLaunchPlan.BorderSplit(pass, g, _kernelVersion)
        : ConvLaunchPlan.Create(pass, g, _kernelVersion, ConvSelectByShape);

    public void MatMul(Tensor a, bool transposeA, Tensor b, bool transposeB, Tensor c, int m, int n, int k)
    {
        long count = (long)m * n;
        CheckSize(count);
        if (count == 0)
        {
            return;
        }
        _k.MatMul1((int)count, V(a), V(b), V(c), new MatMulParams
        {
            M = m,
            N = n,
            K = k,
            TransposeA = transposeA ? 1 : 0,
            TransposeB = transposeB ? 1 : 0,
        });
    }

    public void Conv3dForward(Tensor x, Tensor w, Tensor y, in Conv3dGeometry g)
    {
        CheckConvSizes(g);
        if (g.OutputSize == 0)
        {
            return;
        }
        if (_kernelVersion == 1)
        {
            _k.Conv3dForward1((int)g.OutputSize, V(x), V(w), V(y), g);
            return;
        }
        var plan = Plan(ConvKernelPass.Forward, g).WithPrecision(_precision);
        if (plan.Tiling == ConvTiling.SmallM)
        {
            LaunchSmallM(plan, _k.V2!.Conv3dForwardSmallM, V(x), V(w), V(y), g.OutputSize, g);
            return;
        }
        // Version 3 has kernels for the GAN's shapes (k4 forward, k4 s2 backward-data, backward-weight over rows of 8).
        var v = _k.V2!;
        var forward = Tf32For(plan)?.Forward ?? (plan.Border ? (_kernelVersion == 3 ? v.Conv3dForwardBorder3 : v.Conv3dForwardBorder)
            : _kernelVersion != 3 ? v.Conv3dForward : g.Kw == 4 ? v.Conv3dForwardK43 : v.Conv3dForward3);
        LaunchTiles(plan, forward, V(x), V(w), V(y), g.OutputSize, g);
    }

    public void Conv3dBackwardData(Tensor dy, Tensor w, Tensor dx, in Conv3dGeometry g)
    {
        CheckConvSizes(g);
        if (g.InputSize == 0)
        {
            return;
        }
        if (_kernelVersion == 1)
        {
            _k.Conv3dBackwardData1((int)g.InputSize, V(dy), V(w), V(dx), g);
            return;
        }
        var plan = Plan(ConvKernelPass.BackwardData, g).WithPrecision(_precision);
        if (plan.Tiling == ConvTiling.SmallM)
        {
            LaunchSmallM(plan, plan.ByBatch ? _k.V2!.Conv3dBackwardDataDenseSmallM : _k.V2!.Conv3dBackwardDataSmallM, V(dy), V(w), V(dx), g.InputSize, g);
            return;
        }
        var v = _k.V2!;
        var kernel = Tf32For(plan) is { } tf32 ? (plan.Dense ? tf32.BackwardDataDense : tf32.BackwardData)
            : plan.Dense ? (_kernelVersion == 3 ? v.Conv3dBackwardDataDense3 : v.Conv3dBackwardDataDense)
            : plan.Border ? (_kernelVersion == 3 ? v.Conv3dBackwardDataBorder3 : v.Conv3dBackwardDataBorder)
            : _kernelVersion != 3 ? v.Conv3dBackwardData
            : Conv3dKernels.IsK4S2(g) ? v.Conv3dBackwardDataK4S23 : v.Conv3dBackwardData3;
        LaunchTiles(plan, kernel, V(dy), V(w), V(dx), g.InputSize, g);
    }

    public void Conv3dBackwardWeight(Tensor x, Tensor dy, Tensor dw, in Conv3dGeometry g)
    {
        CheckConvSizes(g);
        if (g.WeightSize == 0)
        {
            return;
        }
        if (_kernelVersion == 1)
        {
            _k.Conv3dBackwardWeight1((int)g.WeightSize, V(x), V(dy), V(dw), g);
            return;
        }
        var plan = Plan(ConvKernelPass.BackwardWeight, g).WithPrecision(_precision);
        if (plan.Tiling == ConvTiling.SmallM)
        {
            LaunchSmallM(plan, _k.V2!.Conv3dBackwardWeightSmallM, V(x), V(dy), V(dw), g.WeightSize, g);
            return;
        }
        var v = _k.V2!;
        var backwardWeight = Tf32For(plan)?.BackwardWeight ?? (plan.Border ? (_kernelVersion == 3 ? v.Conv3dBackwardWeightBorder3 : v.Conv3dBackwardWeightBorder)
            : _kernelVersion != 3 ? v.Conv3dBackwardWeight
            : Conv3dKernels.HasRowsOf8(g) ? v.Conv3dBackwardWeightW83 : v.Conv3dBackwardWeight3);
        LaunchTiles(plan, backwardWeight, V(x), V(dy), V(dw), g.WeightSize, g);
    }

    /// <summary>
    /// A 64 × 64-tile launch: straight into <paramref name="output"/> with one chunk, else into chunk copies of
    /// it in scratch, summed in chunk order (float64, one rounding: deterministic, no atomics).
    /// </summary>
    private void LaunchTiles(ConvLaunchPlan plan, Action<KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, Conv3dGeometry, int> kernel,
        ArrayView<float> a, ArrayView<float> b, ArrayView<float> output, long outputSize, in Conv3dGeometry g)
    {
        if (plan.SplitK == 1)
        {
            kernel(Launch(plan), a, b, output, g, plan.KChunk);
            return;
        }
        long partialCount = plan.SplitK * outputSize;
        CheckSize(partialCount);
        var partials = FloatScratch(partialCount);
        kernel(Launch(plan), a, b, partials, g, plan.KChunk);
        _k.V2!.Conv3dBackwardWeightReduce((int)outputSize, partials, output.SubView(0, outputSize), plan.SplitK);
    }

    /// <summary>
    /// A small-M launch: straight into <paramref name="output"/> with one chunk, else into chunk copies of it
    /// in scratch, summed in chunk order (deterministic, as backward-weight's split-K).
    /// </summary>
    private void LaunchSmallM(ConvLaunchPlan plan, Action<KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, Conv3dGeometry, int, int> kernel,
        ArrayView<float> a, ArrayView<float> b, ArrayView<float> output, long outputSize, in Conv3dGeometry g)
    {
        if (plan.SplitK == 1)
        {
            kernel(Launch(plan), a, b, output, g, plan.KChunk, 1);
            return;
        }
        long partialCount = plan.SplitK * outputSize;
        CheckSize(partialCount);
        var partials = FloatScratch(partialCount);
        kernel(Launch(plan), a, b, partials, g, plan.KChunk, plan.SplitK);
        _k.V2!.Conv3dBackwardWeightReduce((int)outputSize, partials, output.SubView(0, outputSize), plan.SplitK);
    }

    /// <summary>The launch configuration of a plan (the one place the backend's grids come from).</summary>
    private static KernelConfig Launch(ConvLaunchPlan plan)
    {
        if (plan.GridX > int.MaxValue || plan.GridY > ushort.MaxValue || plan.GridZ > ushort.MaxValue)
        {
            throw new NotSupportedException($"a convolution launch of grid {plan.GridText} exceeds the grid's limits");
        }
        return new KernelConfig(new Index3D((int)plan.GridX, plan.GridY, plan.GridZ), new Index3D(plan.GroupSize, 1, 1));
    }

    private static void CheckConvSizes(in Conv3dGeometry g)
    {
        CheckSize(g.InputSize);
        CheckSize(g.OutputSize);
        CheckSize(g.WeightSize);
    }

    public void MaxPool3dForward(Tensor x, Tensor y, in Pool3dGeometry g)
    {
        CheckSize(g.InputSize);
        if (g.OutputSize > 0)
        {
            _k.MaxPool3dForward((int)g.OutputSize, V(x), V(y), g);
        }
    }

    public void MaxPool3dBackward(Tensor x, Tensor y, Tensor dy, Tensor dx, in Pool3dGeometry g)
    {
        CheckSize(g.InputSize);
        if (g.InputSize > 0)
        {
            _k.MaxPool3dBackward((int)g.InputSize, V(x), V(dy), V(dx), g);
        }
    }

    public void AdamStep(Tensor param, Tensor grad, Tensor m, Tensor v, in AdamStepParams p)
    {
        if (param.Numel > 0)
        {
            _k.AdamStep((int)param.Numel, V(param), V(grad), V(m), V(v), p);
        }
    }
}
