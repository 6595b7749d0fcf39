namespace Gan3D.Kernels;

/// <summary>
/// Philox4x32-10 (Salmon et al., SC 2011), the counter-based generator of cuRAND and PyTorch's CUDA
/// path: a pure function of (key, counter), so element i of a random tensor is the same on every
/// backend and in any order of evaluation. Used unchanged by the CPU backend and by kernels.
/// </summary>
public static class Philox
{
    // Multipliers and Weyl increments of Philox4x32 (the published constants).
    private const uint M0 = 0xD2511F53u, M1 = 0xCD9E8D57u;
    private const uint W0 = 0x9E3779B9u, W1 = 0xBB67AE85u;

    /// <summary>First 32-bit word of Philox4x32-10 at <paramref name="counter"/> for a 64-bit key.</summary>
    public static uint Word0(ulong key, ulong counter) => Round10(key, counter, out _);

    /// <summary>First two words (x0, x1) of Philox4x32-10.</summary>
    public static uint Words01(ulong key, ulong counter, out uint x1) => Round10(key, counter, out x1);

    private static uint Round10(ulong key, ulong counter, out uint x1Out)
    {
        uint c0 = (uint)counter, c1 = (uint)(counter >> 32), c2 = 0u, c3 = 0u;
        uint k0 = (uint)key, k1 = (uint)(key >> 32);
        for (int r = 0; r < 10; r++)
        {
            ulong p0 = (ulong)M0 * c0;
            ulong p1 = (ulong)M1 * c2;
            uint hi0 = (uint)(p0 >> 32), lo0 = (uint)p0;
            uint hi1 = (uint)(p1 >> 32), lo1 = (uint)p1;
            uint n0 = hi1 ^ c1 ^ k0;
            uint n1 = lo1;
            uint n2 = hi0 ^ c3 ^ k1;
            uint n3 = lo0;
            c0 = n0; c1 = n1; c2 = n2; c3 = n3;
            k0 += W0; k1 += W1;
        }
        x1Out = c1;
        return c0;
    }

    /// <summary>A uniform float in [0, 1) from the top 24 bits (every value exactly representable).</summary>
    public static float ToUnit(uint bits) => (bits >> 8) * (1.0f / 16777216.0f);

    /// <summary>A uniform float in (0, 1], safe for log().</summary>
    public static float ToUnitOpenZero(uint bits) => ((bits >> 8) + 1) * (1.0f / 16777216.0f);
}
