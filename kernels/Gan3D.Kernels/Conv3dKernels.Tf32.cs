using ILGPU;

namespace Gan3D.Kernels;

/// <summary>
/// The TF32 tensor-core convolution kernels (opt-in: IlgpuBackend's ConvPrecision.Tf32, gan3d
/// --precision tf32): version 2's implicit GEMMs and grids (the structs of Conv3dKernels.Gemm.cs, 64 × 64
/// tiles of C, 256-thread groups, backward-data by parity class, backward-weight split-K reduced by
/// <see cref="Conv3dBackwardWeightReduceKernel2"/>), run by <see cref="ImplicitGemmTileTf32"/>: A and B
/// rounded to TF32 (10-bit mantissa) and multiplied by mma.sync m16n8k8, accumulated in float32.
/// Each result is then within about 2^-10 · Σ|a·b| of the exact one rather than fp32's n·2^-24.
/// </summary>
public static partial class Conv3dKernels
{
    /// <summary>TF32 forward. Grid (⌈N·Do·Ho·Wo / 64⌉, ⌈Cout / 64⌉, 1), groups of 256.</summary>
    /// <param name="x">Input (N, Cin, Di, Hi, Wi).</param>
    /// <param name="w">Weight (Cout, Cin, Kd, Kh, Kw).</param>
    /// <param name="y">Output (N, Cout, Do, Ho, Wo), overwritten.</param>
    /// <param name="g">The geometry.</param>
    public static void Conv3dForwardTf32Kernel(ArrayView<float> x, ArrayView<float> w, ArrayView<float> y, Conv3dGeometry g)
    {
        var p = new ForwardGemm { X = x, W = w, Y = y, G = g };
        ImplicitGemmTileTf32.Run(p, Grid.IdxY * ImplicitGemmTileTf32.TileM, Grid.IdxX * ImplicitGemmTileTf32.TileN, 0, g.Cin * g.KernelVolume);
    }

    /// <summary>
    /// TF32 backward-data by parity class (see <see cref="Conv3dBackwardDataKernel2"/>).
    /// Grid (⌈N·⌈Di/Sd⌉·⌈Hi/Sh⌉·⌈Wi/Sw⌉ / 64⌉, ⌈Cin / 64⌉, Sd·Sh·Sw), groups of 256.
    /// </summary>
    /// <param name="dy">Output gradient (N, Cout, Do, Ho, Wo).</param>
    /// <param name="w">Weight (Cout, Cin, Kd, Kh, Kw).</param>
    /// <param name="dx">Input gradient (N, Cin, Di, Hi, Wi), overwritten.</param>
    /// <param name="g">The geometry.</param>
    public static void Conv3dBackwardDataTf32Kernel(ArrayView<float> dy, ArrayView<float> w, ArrayView<float> dx, Conv3dGeometry g)
    {
        var p = BackwardDataClass(dy, w, dx, g, Grid.IdxZ);
        int n0 = Grid.IdxX * ImplicitGemmTileTf32.TileN;
        if (n0 >= p.N)
        {
            return; // the whole group leaves before any barrier or mma
        }
        ImplicitGemmTileTf32.Run(p, Grid.IdxY * ImplicitGemmTileTf32.TileM, n0, 0, g.Cout * p.Ad.Taps * p.Ah.Taps * p.Aw.Taps);
    }

    /// <summary>
    /// TF32 backward-data of a 1³ unpadded output (see <see cref="Conv3dBackwardDataDenseKernel2"/>).
    /// Grid (⌈N / 64⌉, ⌈Cin·Kd·Kh·Kw / 64⌉, 1), groups of 256.
    /// </summary>
    /// <param name="dy">Output gradient (N, Cout, 1, 1, 1).</param>
    /// <param name="w">Weight (Cout, Cin, Kd, Kh, Kw).</param>
    /// <param name="dx">Input gradient (N, Cin, Kd, Kh, Kw), overwritten.</param>
    /// <param name="g">The geometry.</param>
    public static void Conv3dBackwardDataDenseTf32Kernel(ArrayView<float> dy, ArrayView<float> w, ArrayView<float> dx, Conv3dGeometry g)
    {
        var p = new DenseBackwardDataGemm { Dy = dy, W = w, Dx = dx, Rows = g.Cin * g.KernelVolume, Batch = g.N, Cout = g.Cout };
        ImplicitGemmTileTf32.Run(p, Grid.IdxY * ImplicitGemmTileTf32.TileM, Grid.IdxX * ImplicitGemmTileTf32.TileN, 0, g.Cout);
    }

    /// <summary>
    /// TF32 backward-weight, chunk z of the reduction (see <see cref="Conv3dBackwardWeightKernel2"/>; with
    /// one chunk pass dw as partials). Grid (⌈Cin·Kd·Kh·Kw / 64⌉, ⌈Cout / 64⌉, chunks), groups of 256.
    /// </summary>
    /// <param name="x">Input (N, Cin, Di, Hi, Wi).</param>
    /// <param name="dy">Output gradient (N, Cout, Do, Ho, Wo).</param>
    /// <param name="partials">Output (chunks, Cout, Cin, Kd, Kh, Kw), overwritten.</param>
    /// <param name="g">The geometry.</param>
    /// <param name="kChunk">Reduction indices per chunk, a multiple of <see cref="ImplicitGemmTileTf32.TileK"/>.</param>
    public static void Conv3dBackwardWeightTf32Kernel(ArrayView<float> x, ArrayView<float> dy, ArrayView<float> partials, Conv3dGeometry g, int kChunk)
    {
        int z = Grid.IdxZ;
        int columns = g.Cin * g.KernelVolume;
        var p = new BackwardWeightGemm { X = x, Dy = dy, Out = partials, G = g, Columns = columns, Offset = z * g.Cout * columns };
        int kBegin = z * kChunk;
        int kEnd = Math.Min(kBegin + kChunk, g.N * g.OutputVolume);
        ImplicitGemmTileTf32.Run(p, Grid.IdxY * ImplicitGemmTileTf32.TileM, Grid.IdxX * ImplicitGemmTileTf32.TileN, kBegin, kEnd);
    }
}
