using ILGPU;
using ILGPU.Runtime.Cuda;

namespace Gan3D.Kernels;

/// <summary>
/// One warp-wide tensor-core product, PTX <c>mma.sync.aligned.m16n8k8.row.col.f32.tf32.tf32.f32</c>:
/// D (16 × 8) = A (16 × 8) · B (8 × 8) + C, every operand spread over the 32 lanes of a warp as the PTX
/// ISA lays out its fragments ("Matrix Fragments for mma.m16n8k8", .tf32). With g = lane / 4 and
/// t = lane mod 4, a lane holds
/// <list type="bullet">
/// <item>A: a0 = A[g, t], a1 = A[g + 8, t], a2 = A[g, t + 4], a3 = A[g + 8, t + 4];</item>
/// <item>B: b0 = B[t, g], b1 = B[t + 4, g];</item>
/// <item>C and D: c0 = C[g, 2t], c1 = C[g, 2t + 1], c2 = C[g + 8, 2t], c3 = C[g + 8, 2t + 1].</item>
/// </list>
/// On CUDA the instruction itself runs (HMMA in the SASS). Elsewhere (ILGPU's CPU accelerator, where the
/// tests run) <see cref="Emulate"/> computes the same D from the same registers: each lane gathers the
/// row of A and the two columns of B it needs from the lanes that hold them with warp shuffles, so an
/// emulated kernel exercises exactly the data movement the GPU does. Call it with the whole warp
/// (never in divergent code), as the hardware instruction requires.
/// </summary>
public static class MmaTf32
{
    /// <summary>
    /// <paramref name="x"/> rounded to TF32 (8-bit exponent, 10-bit mantissa) to nearest, ties away from
    /// zero, as PTX <c>cvt.rna.tf32.f32</c>: adding half a TF32 unit (bit 12) to the magnitude and
    /// clearing the 13 low bits (a carry out of the mantissa raises the exponent, as rounding up must).
    /// Infinities and NaNs pass unchanged (the add could carry a NaN's payload into the sign).
    /// The result is a float32 whose low 13 bits are zero: exactly what a TF32 register holds.
    /// </summary>
    public static float Round(float x)
    {
        uint bits = Interop.FloatAsInt(x);
        if ((bits & 0x7F800000u) == 0x7F800000u)
        {
            return x;
        }
        return Interop.IntAsFloat((bits + 0x1000u) & 0xFFFFE000u);
    }

    /// <summary>
    /// (d0..d3) = A·B + (d0..d3) for this lane's fragments (see the class comment). The inputs should
    /// already be TF32 (<see cref="Round"/>): the emulation rounds them as cvt.rna would, while the
    /// hardware's treatment of the 13 low bits is not specified, so only rounded inputs agree exactly.
    /// </summary>
    public static void Mma(ref float d0, ref float d1, ref float d2, ref float d3,
        float a0, float a1, float a2, float a3, float b0, float b1)
    {
        if (CudaAsm.IsSupported)
        {
            // The .tf32 operands are .b32 registers in PTX, hence the bit casts; D is written to fresh
            // registers and copied back, C is read (in/out operands would round-trip through local memory).
            Input<uint> ra0 = Interop.FloatAsInt(a0), ra1 = Interop.FloatAsInt(a1), ra2 = Interop.FloatAsInt(a2), ra3 = Interop.FloatAsInt(a3);
            Input<uint> rb0 = Interop.FloatAsInt(b0), rb1 = Interop.FloatAsInt(b1);
            Input<float> c0 = d0, c1 = d1, c2 = d2, c3 = d3;
            Output<float> o0 = default, o1 = default, o2 = default, o3 = default;
            CudaAsm.EmitRef(
                "mma.sync.aligned.m16n8k8.row.col.f32.tf32.tf32.f32 {%0, %1, %2, %3}, {%4, %5, %6, %7}, {%8, %9}, {%10, %11, %12, %13};",
                ref o0, ref o1, ref o2, ref o3, ref ra0, ref ra1, ref ra2, ref ra3, ref rb0, ref rb1, ref c0, ref c1, ref c2, ref c3);
            d0 = o0.Value;
            d1 = o1.Value;
            d2 = o2.Value;
            d3 = o3.Value;
        }
        else
        {
            Emulate(ref d0, ref d1, ref d2, ref d3, a0, a1, a2, a3, b0, b1);
        }
    }

    /// <summary>
    /// The instruction in software, from the fragment layout alone. A lane (g, t) owns D rows g and g + 8,
    /// columns 2t and 2t + 1: it needs rows g and g + 8 of A, held by lanes 4g + j (A[·, j] in a0/a1,
    /// A[·, j + 4] in a2/a3), and columns 2t and 2t + 1 of B, held by lanes 8t + j and 8t + 4 + j (B[j, ·] in
    /// b0, B[j + 4, ·] in b1), j = 0..3. Each step j fetches a source lane's whole fragment in one shuffle
    /// (the emulator pays a warp barrier per shuffle, whatever its size). Inputs are rounded to TF32 first; a
    /// TF32 product has at most 22 significant bits, so it is exact in float32, and the sums run in float32
    /// after C, k in the order 0, 4, 1, 5, 2, 6, 3, 7 (the hardware's order is not specified).
    /// </summary>
    public static void Emulate(ref float d0, ref float d1, ref float d2, ref float d3,
        float a0, float a1, float a2, float a3, float b0, float b1)
    {
        var a = new FragmentA { A0 = Round(a0), A1 = Round(a1), A2 = Round(a2), A3 = Round(a3) };
        var b = new FragmentB { B0 = Round(b0), B1 = Round(b1) };
        int lane = Warp.LaneIdx;
        int rowLanes = (lane >> 2) << 2;
        int column0Lanes = (lane & 3) << 3, column1Lanes = column0Lanes + 4;
        float s0 = d0, s1 = d1, s2 = d2, s3 = d3;
        for (int j = 0; j < 4; j++)
        {
            // Every lane shuffles in every step: the full warp takes part, as shuffles require.
            var rows = Warp.Shuffle(a, rowLanes + j);
            var left = Warp.Shuffle(b, column0Lanes + j);
            var right = Warp.Shuffle(b, column1Lanes + j);
            s0 += rows.A0 * left.B0;
            s1 += rows.A0 * right.B0;
            s2 += rows.A1 * left.B0;
            s3 += rows.A1 * right.B0;
            s0 += rows.A2 * left.B1;
            s1 += rows.A2 * right.B1;
            s2 += rows.A3 * left.B1;
            s3 += rows.A3 * right.B1;
        }
        d0 = s0;
        d1 = s1;
        d2 = s2;
        d3 = s3;
    }

    /// <summary>A lane's A fragment, shuffled as one value.</summary>
    private struct FragmentA
    {
        public float A0, A1, A2, A3;
    }

    /// <summary>A lane's B fragment, shuffled as one value.</summary>
    private struct FragmentB
    {
        public float B0, B1;
    }
}
