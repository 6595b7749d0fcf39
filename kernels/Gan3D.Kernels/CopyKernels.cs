using ILGPU;

namespace Gan3D.Kernels;

/// <summary>Where <see cref="CopyKernels.CopyRowsKernel"/> reads and writes: row r, element k.</summary>
public struct CopyRowsParams
{
    /// <summary>Elements per row.</summary>
    public int RowLength;

    /// <summary>First source element and the distance between source rows.</summary>
    public int SourceOffset, SourceStride;

    /// <summary>First destination element and the distance between destination rows.</summary>
    public int DestinationOffset, DestinationStride;
}

/// <summary>
/// Data movement on the device.
/// Versions: 1 (one thread per element; all of them, there is nothing to tile).
/// </summary>
public static class CopyKernels
{
    /// <summary>y[i] = bit i mod 8 of bits[i / 8] as 0f or 1f: voxel batches go up packed 8 a byte and are expanded here.</summary>
    /// <param name="index">One thread per element of y.</param>
    /// <param name="bits">Packed bits, least significant bit first (VoxelDataset's layout).</param>
    /// <param name="y">Output (n), overwritten.</param>
    public static void ExpandBitsKernel(Index1D index, ArrayView<byte> bits, ArrayView<float> y) =>
        y[index] = (bits[index >> 3] >> (index & 7)) & 1;

    /// <summary>y[i] = value.</summary>
    /// <param name="index">One thread per element of y.</param>
    /// <param name="y">Output (n).</param>
    /// <param name="value">The constant.</param>
    public static void FillKernel(Index1D index, ArrayView<float> y, float value)
    {
        y[index] = value;
    }

    /// <summary>destination[i] = source[i].</summary>
    /// <param name="index">One thread per element.</param>
    /// <param name="source">Input (n).</param>
    /// <param name="destination">Output (n); may not overlap the source.</param>
    public static void CopyKernel(Index1D index, ArrayView<float> source, ArrayView<float> destination)
    {
        destination[index] = source[index];
    }

    /// <summary>
    /// destination[dOff + r·dStride + k] = source[sOff + r·sStride + k] (concatenation and its backward).
    /// </summary>
    /// <param name="index">One thread per copied element: rows × RowLength, row-major.</param>
    /// <param name="source">Input, at least sOff + (rows − 1)·sStride + RowLength elements.</param>
    /// <param name="destination">Output, at least dOff + (rows − 1)·dStride + RowLength elements.</param>
    /// <param name="p">Row length, offsets and strides.</param>
    public static void CopyRowsKernel(Index1D index, ArrayView<float> source, ArrayView<float> destination, CopyRowsParams p)
    {
        int r = index / p.RowLength;
        int k = index - r * p.RowLength;
        destination[p.DestinationOffset + r * p.DestinationStride + k] = source[p.SourceOffset + r * p.SourceStride + k];
    }
}
