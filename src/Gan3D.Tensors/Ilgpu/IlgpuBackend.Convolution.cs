using Gan3D.Kernels;
using ILGPU;

namespace Gan3D.Tensors;

/// <summary>
/// Convolution (version 1 naive, version 2 implicit GEMM: see <see cref="Conv3dKernels"/>), pooling,
/// matrix product and the optimiser step.
/// </summary>
public sealed partial class IlgpuBackend
{
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
        // Version 3 has a kernel for the GAN's k4 layers (kw known per staged k).
        var forward = _kernelVersion != 3 ? _k.V2!.Conv3dForward : g.Kw == 4 ? _k.V2!.Conv3dForwardK43 : _k.V2!.Conv3dForward3;
        forward(GemmGrid(g.N * g.OutputVolume, g.Cout, 1), V(x), V(w), V(y), g);
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
        if (IsDenseBackwardData(g))
        {
            var dense = _kernelVersion == 3 ? _k.V2!.Conv3dBackwardDataDense3 : _k.V2!.Conv3dBackwardDataDense;
            dense(GemmGrid(g.N, g.Cin * g.KernelVolume, 1), V(dy), V(w), V(dx), g);
            return;
        }
        // The largest parity class has ⌈extent / stride⌉ positions per axis (residue 0).
        long columns = (long)g.N * CeilDiv(g.Di, g.Sd) * CeilDiv(g.Hi, g.Sh) * CeilDiv(g.Wi, g.Sw);
        var parity = _kernelVersion != 3 ? _k.V2!.Conv3dBackwardData
            : g.Kw == 4 && g.Sw == 2 ? _k.V2!.Conv3dBackwardDataK4S23 : _k.V2!.Conv3dBackwardData3;
        parity(GemmGrid(columns, g.Cin, g.Sd * g.Sh * g.Sw), V(dy), V(w), V(dx), g);
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
        int chunk = BackwardWeightChunk(g, out int chunks);
        var grid = GemmGrid(g.Cin * g.KernelVolume, g.Cout, chunks);
        var backwardWeight = _kernelVersion == 3 ? _k.V2!.Conv3dBackwardWeight3 : _k.V2!.Conv3dBackwardWeight;
        if (chunks == 1)
        {
            backwardWeight(grid, V(x), V(dy), V(dw), g, chunk);
            return;
        }
        long partialCount = chunks * g.WeightSize;
        CheckSize(partialCount);
        var partials = FloatScratch(partialCount);
        backwardWeight(grid, V(x), V(dy), partials, g, chunk);
        _k.V2!.Conv3dBackwardWeightReduce((int)g.WeightSize, partials, V(dw), chunks);
    }

    /// <summary>
    /// Groups of backward-weight wanted in flight: 4 per SM of a 132-SM H100/H200 (256, under 2 per SM,
    /// left most SMs with one group to hide latency with; a v3 group is a quarter of v2's threads).
    /// </summary>
    private const int BackwardWeightTargetGroups = 4 * 132;

    /// <summary>Shortest reduction chunk worth a group of its own (32 steps of the 8-deep tile loop).</summary>
    private const int BackwardWeightMinChunk = 256;

    /// <summary>Most chunks: bounds the partials buffer to 64 weight gradients.</summary>
    private const int BackwardWeightMaxChunks = 64;

    /// <summary>
    /// How version-2 backward-weight splits its reduction N·Do·Ho·Wo: the chunk length (a multiple of
    /// the tile depth) and the number of chunks. Depends only on the geometry, never on the device, so
    /// results are the same everywhere. One chunk when the weight alone gives enough groups.
    /// </summary>
    public static int BackwardWeightChunk(in Conv3dGeometry g, out int chunks)
    {
        long k = (long)g.N * g.OutputVolume;
        long tiles = CeilDiv(g.Cout, ImplicitGemmTile.TileM) * (long)CeilDiv(g.Cin * g.KernelVolume, ImplicitGemmTile.TileN);
        long wanted = Math.Clamp(CeilDiv(BackwardWeightTargetGroups, tiles), 1, BackwardWeightMaxChunks);
        long affordable = Math.Max(1, k / BackwardWeightMinChunk);
        long split = Math.Min(wanted, affordable);
        long chunk = CeilDiv(CeilDiv(k, split), ImplicitGemmTile.TileK) * ImplicitGemmTile.TileK;
        chunks = (int)Math.Max(1, CeilDiv(k, chunk));
        return (int)chunk;
    }

    /// <summary>Whether backward-data takes the dense path: a 1³ output from an unpadded input of the kernel's size.</summary>
    private static bool IsDenseBackwardData(in Conv3dGeometry g) =>
        g.Do == 1 && g.Ho == 1 && g.Wo == 1 && g.Pd == 0 && g.Ph == 0 && g.Pw == 0 &&
        g.Di == g.Kd && g.Hi == g.Kh && g.Wi == g.Kw;

    /// <summary>A launch of 64 × 64 tiles: x over the columns, y over the rows, z as given.</summary>
    private KernelConfig GemmGrid(long columns, long rows, int z)
    {
        long gx = CeilDiv(columns, ImplicitGemmTile.TileN), gy = CeilDiv(rows, ImplicitGemmTile.TileM);
        if (gy > ushort.MaxValue || z > ushort.MaxValue)
        {
            throw new NotSupportedException($"a convolution of {rows} GEMM rows and {z} slices exceeds the grid's y/z limits");
        }
        // Both versions tile C in 64 × 64; version 3 runs a tile with 64 threads, version 2 with 256.
        int threads = _kernelVersion == 3 ? ImplicitGemmTile3.Threads : ImplicitGemmTile.Threads;
        return new KernelConfig(new Index3D((int)gx, (int)gy, z), new Index3D(threads, 1, 1));
    }

    private static long CeilDiv(long a, long b) => (a + b - 1) / b;

    private static int CeilDiv(int a, int b) => (a + b - 1) / b;

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
