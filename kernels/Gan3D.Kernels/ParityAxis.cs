namespace Gan3D.Kernels;

/// <summary>
/// The stride-parity split of a strided convolution's backward-data (a transposed convolution's forward)
/// along one axis, written once for the ILGPU kernels and the launch plans: the input positions
/// i = r + s·j (j &lt; <see cref="Count"/>) of parity class r are reached only by the taps
/// k = <see cref="K0"/> + s·t (t &lt; <see cref="Taps"/>), from the output positions o = j + <see cref="Base"/> − t.
/// Each class is then a dense GEMM with no wasted taps.
/// </summary>
public struct ParityAxis
{
    /// <summary>The first tap of the class: (r + p) mod s.</summary>
    public int K0;

    /// <summary>How many taps reach the class (0 when the kernel is shorter than the stride's offset).</summary>
    public int Taps;

    /// <summary>(r + p − K0) / s: the output position tap K0 reads for j = 0.</summary>
    public int Base;

    /// <summary>How many input positions the class has along the axis.</summary>
    public int Count;

    /// <summary>r.</summary>
    public int Residue;

    /// <summary>The class of input positions ≡ <paramref name="r"/> (mod stride) on an axis of <paramref name="extent"/> inputs.</summary>
    public static ParityAxis Create(int r, int pad, int stride, int kernel, int extent)
    {
        int k0 = (r + pad) % stride;
        return new ParityAxis
        {
            K0 = k0,
            Taps = k0 < kernel ? (kernel - k0 + stride - 1) / stride : 0,
            Base = (r + pad - k0) / stride,
            Count = r < extent ? (extent - r + stride - 1) / stride : 0,
            Residue = r,
        };
    }
}
