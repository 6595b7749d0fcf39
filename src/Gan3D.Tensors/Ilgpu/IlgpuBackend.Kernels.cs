using Gan3D.Kernels;
using ILGPU;
using ILGPU.Runtime;

namespace Gan3D.Tensors;

public sealed partial class IlgpuBackend
{
    /// <summary>
    /// Every kernel of Gan3D.Kernels, loaded (compiled for the accelerator) once. A launch is a
    /// delegate call on the default stream; the first argument is the number of threads.
    /// A faster version of a kernel gets a field beside its version 1 (e.g. Conv3dForward2), so both
    /// stay available to the tests and the bench.
    /// </summary>
    private sealed class KernelSet
    {
        // copy
        public readonly Action<Index1D, ArrayView<float>, float> Fill;
        public readonly Action<Index1D, ArrayView<float>, ArrayView<float>> Copy;
        public readonly Action<Index1D, ArrayView<float>, ArrayView<float>, CopyRowsParams> CopyRows;
        public readonly Action<Index1D, ArrayView<byte>, ArrayView<float>> ExpandBits;

        // random
        public readonly Action<Index1D, ArrayView<float>, RandomParams> FillUniform;
        public readonly Action<Index1D, ArrayView<float>, RandomParams> FillNormal;

        // elementwise
        public readonly Action<Index1D, ArrayView<float>, ArrayView<float>, UnaryParams> Unary;
        public readonly Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, UnaryParams> UnaryBackward;
        public readonly Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, int> Binary;
        public readonly Action<Index1D, ArrayView<float>, ArrayView<float>, float> Axpy;
        public readonly Action<Index1D, ArrayView<float>, ArrayView<float>, ChannelParams> AddChannelBias;

        // reductions
        public readonly Action<Index1D, ArrayView<float>, ArrayView<double>, ReduceParams> PartialSum;
        public readonly Action<Index1D, ArrayView<float>, ArrayView<double>, ChannelReduceParams> ChannelPartialSum;
        public readonly Action<Index1D, ArrayView<double>, ArrayView<float>, FinalizeParams> FinalizeSum;
        public readonly Action<Index1D, ArrayView<float>, ArrayView<float>, float> BroadcastScalar;

        // batch norm
        public readonly Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<double>, BatchNormParams> BatchNormPartialSquares;
        public readonly Action<Index1D, ArrayView<double>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, BatchNormParams> BatchNormStatistics;
        public readonly Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, BatchNormParams> BatchNormNormalize;
        public readonly Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, BatchNormParams> BatchNormInference;
        public readonly Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<double>, BatchNormParams> BatchNormPartialBackward;
        public readonly Action<Index1D, ArrayView<double>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<double>, BatchNormParams> BatchNormBackwardReduce;
        public readonly Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<double>, ArrayView<float>, BatchNormParams> BatchNormBackwardData;

        // linear algebra, convolution, pooling
        public readonly Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, MatMulParams> MatMul1;
        public readonly Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, Conv3dGeometry> Conv3dForward1;
        public readonly Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, Conv3dGeometry> Conv3dBackwardData1;
        public readonly Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, Conv3dGeometry> Conv3dBackwardWeight1;
        public readonly Action<Index1D, ArrayView<float>, ArrayView<float>, Pool3dGeometry> MaxPool3dForward;
        public readonly Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, Pool3dGeometry> MaxPool3dBackward;

        // losses and optimiser
        public readonly Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<double>, LossParams> BcePartial;
        public readonly Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, LossParams> BceBackward;
        public readonly Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<double>, LossParams> KlPartial;
        public readonly Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, LossParams> KlBackward;
        public readonly Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, AdamStepParams> AdamStep;

        /// <summary>The version-2 kernels, or null on an accelerator whose groups cannot hold them.</summary>
        public readonly KernelSet2? V2;

        public KernelSet(Accelerator a)
        {
            V2 = SupportsVersion2(a) ? new KernelSet2(a) : null;

            Fill = a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, float>(CopyKernels.FillKernel);
            Copy = a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>>(CopyKernels.CopyKernel);
            CopyRows = a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, CopyRowsParams>(CopyKernels.CopyRowsKernel);
            ExpandBits = a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<byte>, ArrayView<float>>(CopyKernels.ExpandBitsKernel);

            FillUniform = a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, RandomParams>(RandomKernels.FillUniformKernel);
            FillNormal = a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, RandomParams>(RandomKernels.FillNormalKernel);

            Unary = a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, UnaryParams>(ElementwiseKernels.UnaryKernel);
            UnaryBackward = a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, UnaryParams>(ElementwiseKernels.UnaryBackwardKernel);
            Binary = a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, int>(ElementwiseKernels.BinaryKernel);
            Axpy = a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, float>(ElementwiseKernels.AxpyKernel);
            AddChannelBias = a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ChannelParams>(ElementwiseKernels.AddChannelBiasKernel);

            PartialSum = a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<double>, ReduceParams>(ReductionKernels.PartialSumKernel);
            ChannelPartialSum = a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<double>, ChannelReduceParams>(ReductionKernels.ChannelPartialSumKernel);
            FinalizeSum = a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<double>, ArrayView<float>, FinalizeParams>(ReductionKernels.FinalizeSumKernel);
            BroadcastScalar = a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, float>(ReductionKernels.BroadcastScalarKernel);

            BatchNormPartialSquares = a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<double>, BatchNormParams>(BatchNormKernels.BatchNormPartialSquaresKernel);
            BatchNormStatistics = a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<double>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, BatchNormParams>(BatchNormKernels.BatchNormStatisticsKernel);
            BatchNormNormalize = a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, BatchNormParams>(BatchNormKernels.BatchNormNormalizeKernel);
            BatchNormInference = a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, BatchNormParams>(BatchNormKernels.BatchNormInferenceKernel);
            BatchNormPartialBackward = a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<double>, BatchNormParams>(BatchNormKernels.BatchNormPartialBackwardKernel);
            BatchNormBackwardReduce = a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<double>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<double>, BatchNormParams>(BatchNormKernels.BatchNormBackwardReduceKernel);
            BatchNormBackwardData = a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<double>, ArrayView<float>, BatchNormParams>(BatchNormKernels.BatchNormBackwardDataKernel);

            MatMul1 = a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, MatMulParams>(MatMulKernels.MatMulKernel1);
            Conv3dForward1 = a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, Conv3dGeometry>(Conv3dKernels.Conv3dForwardKernel1);
            Conv3dBackwardData1 = a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, Conv3dGeometry>(Conv3dKernels.Conv3dBackwardDataKernel1);
            Conv3dBackwardWeight1 = a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, Conv3dGeometry>(Conv3dKernels.Conv3dBackwardWeightKernel1);
            MaxPool3dForward = a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, Pool3dGeometry>(PoolKernels.MaxPool3dForwardKernel);
            MaxPool3dBackward = a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, Pool3dGeometry>(PoolKernels.MaxPool3dBackwardKernel);

            BcePartial = a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<double>, LossParams>(LossKernels.BcePartialKernel);
            BceBackward = a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, LossParams>(LossKernels.BceBackwardKernel);
            KlPartial = a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<double>, LossParams>(LossKernels.KlPartialKernel);
            KlBackward = a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, LossParams>(LossKernels.KlBackwardKernel);
            AdamStep = a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, AdamStepParams>(AdamKernels.AdamStepKernel);
        }
    }

    /// <summary>
    /// The version-2 kernels: explicitly grouped (shared-memory tiles, warp shuffles), launched with a
    /// <see cref="KernelConfig"/> of <see cref="ImplicitGemmTile.Threads"/>-thread groups.
    /// </summary>
    private sealed class KernelSet2
    {
        public readonly Action<KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, Conv3dGeometry, int> Conv3dForward;
        public readonly Action<KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, Conv3dGeometry, int> Conv3dBackwardData;
        public readonly Action<KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, Conv3dGeometry, int> Conv3dBackwardDataDense;
        public readonly Action<KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, Conv3dGeometry, int> Conv3dBackwardWeight;
        public readonly Action<Index1D, ArrayView<float>, ArrayView<float>, int> Conv3dBackwardWeightReduce;

        // Version 3's convolutions (64-thread groups, 8 × 8 register tiles); everything else is shared with version 2.
        public readonly Action<KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, Conv3dGeometry, int> Conv3dForward3;
        public readonly Action<KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, Conv3dGeometry, int> Conv3dForwardK43;
        public readonly Action<KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, Conv3dGeometry, int> Conv3dBackwardDataK4S23;
        public readonly Action<KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, Conv3dGeometry, int> Conv3dBackwardData3;
        public readonly Action<KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, Conv3dGeometry, int> Conv3dBackwardDataDense3;
        public readonly Action<KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, Conv3dGeometry, int> Conv3dBackwardWeight3;
        public readonly Action<KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, Conv3dGeometry, int> Conv3dBackwardWeightW83;
        // The border split (versions 2 and 3), chosen by ConvLaunchPlan where taps on the padding border waste.
        public readonly Action<KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, Conv3dGeometry, int> Conv3dForwardBorder;
        public readonly Action<KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, Conv3dGeometry, int> Conv3dForwardBorder3;
        public readonly Action<KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, Conv3dGeometry, int> Conv3dBackwardDataBorder;
        public readonly Action<KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, Conv3dGeometry, int> Conv3dBackwardDataBorder3;
        public readonly Action<KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, Conv3dGeometry, int> Conv3dBackwardWeightBorder;
        public readonly Action<KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, Conv3dGeometry, int> Conv3dBackwardWeightBorder3;
        // The small-M kernels, chosen by ConvLaunchPlan for versions 2 and 3 where 64-row tiles waste (kChunk, chunks last).
        public readonly Action<KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, Conv3dGeometry, int, int> Conv3dForwardSmallM;
        public readonly Action<KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, Conv3dGeometry, int, int> Conv3dBackwardDataSmallM;
        public readonly Action<KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, Conv3dGeometry, int, int> Conv3dBackwardDataDenseSmallM;
        public readonly Action<KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, Conv3dGeometry, int, int> Conv3dBackwardWeightSmallM;
        public readonly Action<KernelConfig, ArrayView<float>, ArrayView<double>, ReduceParams> PartialSum;
        public readonly Action<KernelConfig, ArrayView<float>, ArrayView<double>, ChannelReduceParams> ChannelPartialSum;
        public readonly Action<KernelConfig, ArrayView<float>, ArrayView<double>, BatchNormParams> BatchNormPartialStatistics;
        public readonly Action<Index1D, ArrayView<double>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, BatchNormParams> BatchNormStatistics;
        public readonly Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, BatchNormParams> BatchNormActivation;
        public readonly Action<KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<double>, BatchNormParams> BatchNormPartialBackward;
        public readonly Action<KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<double>, BatchNormParams> BatchNormActivationPartialBackward;
        public readonly Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<double>, ArrayView<float>, BatchNormParams> BatchNormActivationBackwardData;

        public KernelSet2(Accelerator a)
        {
            Conv3dForward = a.LoadStreamKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, Conv3dGeometry, int>(Conv3dKernels.Conv3dForwardKernel2);
            Conv3dBackwardData = a.LoadStreamKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, Conv3dGeometry, int>(Conv3dKernels.Conv3dBackwardDataKernel2);
            Conv3dBackwardDataDense = a.LoadStreamKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, Conv3dGeometry, int>(Conv3dKernels.Conv3dBackwardDataDenseKernel2);
            Conv3dBackwardWeight = a.LoadStreamKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, Conv3dGeometry, int>(Conv3dKernels.Conv3dBackwardWeightKernel2);
            Conv3dBackwardWeightReduce = a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, int>(Conv3dKernels.Conv3dBackwardWeightReduceKernel2);
            Conv3dForward3 = a.LoadStreamKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, Conv3dGeometry, int>(Conv3dKernels.Conv3dForwardKernel3);
            Conv3dForwardK43 = a.LoadStreamKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, Conv3dGeometry, int>(Conv3dKernels.Conv3dForwardK4Kernel3);
            Conv3dBackwardDataK4S23 = a.LoadStreamKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, Conv3dGeometry, int>(Conv3dKernels.Conv3dBackwardDataK4S2Kernel3);
            Conv3dBackwardData3 = a.LoadStreamKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, Conv3dGeometry, int>(Conv3dKernels.Conv3dBackwardDataKernel3);
            Conv3dBackwardDataDense3 = a.LoadStreamKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, Conv3dGeometry, int>(Conv3dKernels.Conv3dBackwardDataDenseKernel3);
            Conv3dBackwardWeight3 = a.LoadStreamKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, Conv3dGeometry, int>(Conv3dKernels.Conv3dBackwardWeightKernel3);
            Conv3dBackwardWeightW83 = a.LoadStreamKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, Conv3dGeometry, int>(Conv3dKernels.Conv3dBackwardWeightW8Kernel3);
            Conv3dForwardBorder = a.LoadStreamKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, Conv3dGeometry, int>(Conv3dKernels.Conv3dForwardBorderKernel2);
            Conv3dForwardBorder3 = a.LoadStreamKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, Conv3dGeometry, int>(Conv3dKernels.Conv3dForwardBorderKernel3);
            Conv3dBackwardDataBorder = a.LoadStreamKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, Conv3dGeometry, int>(Conv3dKernels.Conv3dBackwardDataBorderKernel2);
            Conv3dBackwardDataBorder3 = a.LoadStreamKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, Conv3dGeometry, int>(Conv3dKernels.Conv3dBackwardDataBorderKernel3);
            Conv3dBackwardWeightBorder = a.LoadStreamKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, Conv3dGeometry, int>(Conv3dKernels.Conv3dBackwardWeightBorderKernel2);
            Conv3dBackwardWeightBorder3 = a.LoadStreamKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, Conv3dGeometry, int>(Conv3dKernels.Conv3dBackwardWeightBorderKernel3);
            Conv3dForwardSmallM = a.LoadStreamKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, Conv3dGeometry, int, int>(Conv3dKernels.Conv3dForwardSmallMKernel);
            Conv3dBackwardDataSmallM = a.LoadStreamKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, Conv3dGeometry, int, int>(Conv3dKernels.Conv3dBackwardDataSmallMKernel);
            Conv3dBackwardDataDenseSmallM = a.LoadStreamKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, Conv3dGeometry, int, int>(Conv3dKernels.Conv3dBackwardDataDenseSmallMKernel);
            Conv3dBackwardWeightSmallM = a.LoadStreamKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, Conv3dGeometry, int, int>(Conv3dKernels.Conv3dBackwardWeightSmallMKernel);
            PartialSum = a.LoadStreamKernel<ArrayView<float>, ArrayView<double>, ReduceParams>(ReductionKernels.PartialSumKernel2);
            ChannelPartialSum = a.LoadStreamKernel<ArrayView<float>, ArrayView<double>, ChannelReduceParams>(ReductionKernels.ChannelPartialSumKernel2);
            BatchNormPartialStatistics = a.LoadStreamKernel<ArrayView<float>, ArrayView<double>, BatchNormParams>(BatchNormKernels.BatchNormPartialStatisticsKernel2);
            BatchNormStatistics = a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<double>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, BatchNormParams>(BatchNormKernels.BatchNormStatisticsKernel2);
            BatchNormActivation = a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, BatchNormParams>(BatchNormKernels.BatchNormActivationKernel2);
            BatchNormPartialBackward = a.LoadStreamKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<double>, BatchNormParams>(BatchNormKernels.BatchNormPartialBackwardKernel2);
            BatchNormActivationPartialBackward = a.LoadStreamKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<double>, BatchNormParams>(BatchNormKernels.BatchNormActivationPartialBackwardKernel2);
            BatchNormActivationBackwardData = a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<double>, ArrayView<float>, BatchNormParams>(BatchNormKernels.BatchNormActivationBackwardDataKernel2);
        }
    }
}
