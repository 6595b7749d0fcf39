namespace Gan3D.Kernels;

/// <summary>Transforms of Philox words shared by the CPU backend and the kernels.</summary>
public static class RandomMath
{
    /// <summary>A standard normal sample from the Box–Muller transform of the counter's first two words.</summary>
    public static float BoxMuller(ulong seed, ulong counter)
    {
        uint w0 = Philox.Words01(seed, counter, out uint w1);
        float u1 = Philox.ToUnitOpenZero(w0);
        float u2 = Philox.ToUnit(w1);
        return MathF.Sqrt(-2f * MathF.Log(u1)) * MathF.Cos(2f * MathF.PI * u2);
    }
}
