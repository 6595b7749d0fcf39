using ILGPU;

namespace Gan3D.Kernels;

/// <summary>
/// Version 3 of the convolution kernels: the same implicit GEMMs as version 2 (the structs below are
/// v2's, given a gather from a decoded <see cref="GemmTap"/>), run by <see cref="ImplicitGemmTile3"/>:
/// 64-thread groups with an 8 × 8 register tile each, and no integer division in the gather of B.
/// Grids as version 2 (64 × 64 tiles of C), groups of <see cref="ImplicitGemmTile3.Threads"/>.
/// </summary>
public static partial class Conv3dKernels
{
    /// <summary>Version-3 forward. Grid (⌈N·Do·Ho·Wo / 64⌉, ⌈Cout / 64⌉, chunks), groups of 64.</summary>
    /// <param name="x">Input (N, Cin, Di, Hi, Wi).</param>
    /// <param name="w">Weight (Cout, Cin, Kd, Kh, Kw).</param>
    /// <param name="y">Output (N, Cout, Do, Ho, Wo), overwritten.</param>
    /// <param name="g">The geometry.</param>
    /// <param name="kChunk">Reduction indices per chunk, a multiple of 8 (split-K as <see cref="Conv3dForwardKernel2"/>).</param>
    public static void Conv3dForwardKernel3(ArrayView<float> x, ArrayView<float> w, ArrayView<float> y, Conv3dGeometry g, int kChunk)
    {
        int z = Grid.IdxZ;
        var p = new ForwardGemm { X = x, W = w, Y = ChunkCopy(y, z, g.OutputSize), G = g };
        ReductionChunk(z, kChunk, g.Cin * g.KernelVolume, out int kBegin, out int kEnd);
        ImplicitGemmTile3.Run<ForwardGemm, RadixAny>(p, Grid.IdxY * ImplicitGemmTile3.TileM, Grid.IdxX * ImplicitGemmTile3.TileN, kBegin, kEnd);
    }

    /// <summary>Version-3 forward of a kernel 4 wide (every GAN layer): kw known in each k of a slice. Launch as <see cref="Conv3dForwardKernel3"/>.</summary>
    /// <param name="x">Input (N, Cin, Di, Hi, Wi).</param>
    /// <param name="w">Weight (Cout, Cin, Kd, Kh, 4).</param>
    /// <param name="y">Output (N, Cout, Do, Ho, Wo), overwritten.</param>
    /// <param name="g">The geometry (Kw = 4).</param>
    /// <param name="kChunk">Reduction indices per chunk, a multiple of 8.</param>
    public static void Conv3dForwardK4Kernel3(ArrayView<float> x, ArrayView<float> w, ArrayView<float> y, Conv3dGeometry g, int kChunk)
    {
        int z = Grid.IdxZ;
        var p = new ForwardGemm { X = x, W = w, Y = ChunkCopy(y, z, g.OutputSize), G = g };
        ReductionChunk(z, kChunk, g.Cin * g.KernelVolume, out int kBegin, out int kEnd);
        ImplicitGemmTile3.Run<ForwardGemm, Radix4>(p, Grid.IdxY * ImplicitGemmTile3.TileM, Grid.IdxX * ImplicitGemmTile3.TileN, kBegin, kEnd);
    }

    /// <summary>
    /// Version-3 backward-data by parity class (see <see cref="Conv3dBackwardDataKernel2"/>).
    /// Grid (⌈N·⌈Di/Sd⌉·⌈Hi/Sh⌉·⌈Wi/Sw⌉ / 64⌉, ⌈Cin / 64⌉, Sd·Sh·Sw·chunks), groups of 64.
    /// </summary>
    /// <param name="dy">Output gradient (N, Cout, Do, Ho, Wo).</param>
    /// <param name="w">Weight (Cout, Cin, Kd, Kh, Kw).</param>
    /// <param name="dx">Input gradient (N, Cin, Di, Hi, Wi), overwritten.</param>
    /// <param name="g">The geometry.</param>
    /// <param name="kChunk">Reduction indices per chunk, a multiple of 8 (grid z: class + classes · chunk).</param>
    public static void Conv3dBackwardDataKernel3(ArrayView<float> dy, ArrayView<float> w, ArrayView<float> dx, Conv3dGeometry g, int kChunk)
    {
        int classes = g.Sd * g.Sh * g.Sw, chunk = Grid.IdxZ / classes;
        var p = BackwardDataClass(dy, w, ChunkCopy(dx, chunk, g.InputSize), g, Grid.IdxZ - chunk * classes);
        int n0 = Grid.IdxX * ImplicitGemmTile3.TileN;
        if (n0 >= p.N)
        {
            return; // the whole group leaves before any barrier
        }
        ReductionChunk(chunk, kChunk, g.Cout * p.Ad.Taps * p.Ah.Taps * p.Aw.Taps, out int kBegin, out int kEnd);
        ImplicitGemmTile3.Run<BackwardDataGemm, RadixAny>(p, Grid.IdxY * ImplicitGemmTile3.TileM, n0, kBegin, kEnd);
    }

    /// <summary>The backward-data GEMM of parity class r (r = (rd·Sh + rh)·Sw + rw), for versions 2 and 3 (version 2 ignores the weight strides).</summary>
    private static BackwardDataGemm BackwardDataClass(ArrayView<float> dy, ArrayView<float> w, ArrayView<float> dx, Conv3dGeometry g, int r)
    {
        int rw = r % g.Sw;
        r /= g.Sw;
        int rh = r % g.Sh;
        int rd = r / g.Sh;
        return new BackwardDataGemm
        {
            Dy = dy,
            W = w,
            Dx = dx,
            G = g,
            Ad = ParityAxis.Create(rd, g.Pd, g.Sd, g.Kd, g.Di),
            Ah = ParityAxis.Create(rh, g.Ph, g.Sh, g.Kh, g.Hi),
            Aw = ParityAxis.Create(rw, g.Pw, g.Sw, g.Kw, g.Wi),
            WCo = g.Cin * g.KernelVolume,
            WTd = g.Sd * g.Kh * g.Kw,
            WTh = g.Sh * g.Kw,
            WTw = g.Sw,
        };
    }

    /// <summary>Version-3 backward-data with a 1³ unpadded output. Grid (⌈N / 64⌉, ⌈Cin·Kd·Kh·Kw / 64⌉, chunks), groups of 64.</summary>
    /// <param name="dy">Output gradient (N, Cout, 1, 1, 1).</param>
    /// <param name="w">Weight (Cout, Cin, Kd, Kh, Kw).</param>
    /// <param name="dx">Input gradient (N, Cin, Kd, Kh, Kw), overwritten.</param>
    /// <param name="g">The geometry.</param>
    /// <param name="kChunk">Reduction indices per chunk, a multiple of 8.</param>
    public static void Conv3dBackwardDataDenseKernel3(ArrayView<float> dy, ArrayView<float> w, ArrayView<float> dx, Conv3dGeometry g, int kChunk)
    {
        int z = Grid.IdxZ;
        var p = new DenseBackwardDataGemm { Dy = dy, W = w, Dx = ChunkCopy(dx, z, g.InputSize), Rows = g.Cin * g.KernelVolume, Batch = g.N, Cout = g.Cout };
        ReductionChunk(z, kChunk, g.Cout, out int kBegin, out int kEnd);
        ImplicitGemmTile3.Run<DenseBackwardDataGemm, Radix1>(p, Grid.IdxY * ImplicitGemmTile3.TileM, Grid.IdxX * ImplicitGemmTile3.TileN, kBegin, kEnd);
    }

    /// <summary>
    /// Version-3 backward-weight, chunk z of the reduction (see <see cref="Conv3dBackwardWeightKernel2"/>;
    /// reduce with <see cref="Conv3dBackwardWeightReduceKernel2"/>). Grid (⌈Cin·Kd·Kh·Kw / 64⌉, ⌈Cout / 64⌉, chunks), groups of 64.
    /// </summary>
    /// <param name="x">Input (N, Cin, Di, Hi, Wi).</param>
    /// <param name="dy">Output gradient (N, Cout, Do, Ho, Wo).</param>
    /// <param name="partials">Output (chunks, Cout, Cin, Kd, Kh, Kw), overwritten.</param>
    /// <param name="g">The geometry.</param>
    /// <param name="kChunk">Reduction indices per chunk, a multiple of <see cref="ImplicitGemmTile3.TileK"/>.</param>
    public static void Conv3dBackwardWeightKernel3(ArrayView<float> x, ArrayView<float> dy, ArrayView<float> partials, Conv3dGeometry g, int kChunk)
    {
        int z = Grid.IdxZ;
        int columns = g.Cin * g.KernelVolume;
        var p = new BackwardWeightGemm { X = x, Dy = dy, Out = partials, G = g, Columns = columns, Offset = z * g.Cout * columns };
        int kBegin = z * kChunk;
        int kEnd = Math.Min(kBegin + kChunk, g.N * g.OutputVolume);
        ImplicitGemmTile3.Run<BackwardWeightGemm, RadixAny>(p, Grid.IdxY * ImplicitGemmTile3.TileM, Grid.IdxX * ImplicitGemmTile3.TileN, kBegin, kEnd);
    }

    /// <summary>Forward: k = (ci, kd, kh, kw).</summary>
    private partial struct ForwardGemm : ITapGemm
    {
        public readonly int R1 => G.Kd;

        public readonly int R2 => G.Kh;

        public readonly int R3 => G.Kw;

        public readonly GemmColumn Row(int m) => new() { Base = m * (G.Cin * G.KernelVolume) };

        public readonly float A(GemmColumn row, int k, GemmTap t) => W[row.Base + k];

        public readonly float B(GemmTap t, GemmColumn c)
        {
            int id = c.D + t.D1, ih = c.H + t.D2, iw = c.W + t.D3;
            // One predicate (no short circuit), so the gather compiles to a predicated load.
            bool inside = ((uint)id < (uint)G.Di) & ((uint)ih < (uint)G.Hi) & ((uint)iw < (uint)G.Wi);
            return inside ? X[c.Base + t.D0 * G.InputVolume + (id * G.Hi + ih) * G.Wi + iw] : 0f;
        }
    }

    /// <summary>Backward-data: k = (co, td, th, tw).</summary>
    private partial struct BackwardDataGemm : ITapGemm
    {
        public readonly int R1 => Ad.Taps;

        public readonly int R2 => Ah.Taps;

        public readonly int R3 => Aw.Taps;

        public readonly GemmColumn Row(int m) => new() { Base = m * G.KernelVolume + (Ad.K0 * G.Kh + Ah.K0) * G.Kw + Aw.K0 };

        public readonly float A(GemmColumn row, int k, GemmTap t) =>
            W[row.Base + t.D0 * WCo + t.D1 * WTd + t.D2 * WTh + t.D3 * WTw];

        public readonly float B(GemmTap t, GemmColumn c)
        {
            int od = c.D - t.D1, oh = c.H - t.D2, ow = c.W - t.D3;
            bool inside = ((uint)od < (uint)G.Do) & ((uint)oh < (uint)G.Ho) & ((uint)ow < (uint)G.Wo);
            return inside ? Dy[c.Base + t.D0 * G.OutputVolume + (od * G.Ho + oh) * G.Wo + ow] : 0f;
        }
    }

    /// <summary>Backward-data with a 1³ output: k = co.</summary>
    private partial struct DenseBackwardDataGemm : ITapGemm
    {
        public readonly int R1 => 1;

        public readonly int R2 => 1;

        public readonly int R3 => 1;

        public readonly GemmColumn Row(int m) => new() { Base = m };

        public readonly float A(GemmColumn row, int k, GemmTap t) => W[k * Rows + row.Base];

        public readonly float B(GemmTap t, GemmColumn c) => Dy[c.Base + t.D0];
    }

    /// <summary>Backward-weight: k = (n, od, oh, ow).</summary>
    private partial struct BackwardWeightGemm : ITapGemm
    {
        public readonly int R1 => G.Do;

        public readonly int R2 => G.Ho;

        public readonly int R3 => G.Wo;

        public readonly GemmColumn Row(int m) => new() { Base = m * G.OutputVolume };

        // k = (n, o) with o the linear output position, so dY[n, m, o] = Dy[m·ov + k + n·(Cout − 1)·ov].
        public readonly float A(GemmColumn row, int k, GemmTap t) => Dy[row.Base + k + t.D0 * ((G.Cout - 1) * G.OutputVolume)];

        public readonly float B(GemmTap t, GemmColumn c)
        {
            int id = t.D1 * G.Sd + c.D, ih = t.D2 * G.Sh + c.H, iw = t.D3 * G.Sw + c.W;
            bool inside = ((uint)id < (uint)G.Di) & ((uint)ih < (uint)G.Hi) & ((uint)iw < (uint)G.Wi);
            return inside ? X[t.D0 * G.Cin * G.InputVolume + c.Base + (id * G.Hi + ih) * G.Wi + iw] : 0f;
        }
    }
}
