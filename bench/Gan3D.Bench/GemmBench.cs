using System.Diagnostics;
using Gan3D.Tensors;

namespace Gan3D.Bench;

/// <summary>The GEMM engine on plain dense operands: the ceiling the convolutions can reach.</summary>
internal static class GemmBench
{
    public static double Run(int m, int n, int k, int threads, int repeat, out double maxRelErr)
    {
        var rng = new Random(1);
        var a = Enumerable.Range(0, m * k).Select(_ => (float)rng.NextDouble() - 0.5f).ToArray();
        var b = GC.AllocateUninitializedArray<float>(k * n, pinned: true);
        for (int i = 0; i < b.Length; i++)
        {
            b[i] = (float)rng.NextDouble() - 0.5f;
        }
        var c = new float[m * n];
        int[] aCol = Enumerable.Range(0, k).ToArray();
        int[] bRow = Enumerable.Range(0, k).Select(p => p * n).ToArray();
        int[] bCol = Enumerable.Range(0, n).ToArray();
        using var be = new CpuBackend(threads);
        var gemm = new ImplicitGemm();
        void Once() => gemm.Run(be, m, n, k, a, k, aCol, b, bRow, bCol, c, bCol, n, accumulate: false);
        Once();
        maxRelErr = 0;
        for (int s = 0; s < 32; s++)
        {
            int i = rng.Next(m), j = rng.Next(n);
            double r = 0, mag = 0;
            for (int p = 0; p < k; p++)
            {
                r += (double)a[i * k + p] * b[p * n + j];
                mag += Math.Abs((double)a[i * k + p] * b[p * n + j]);
            }
            maxRelErr = Math.Max(maxRelErr, Math.Abs(c[i * n + j] - r) / mag);
        }
        var times = new double[repeat];
        for (int i = 0; i < repeat; i++)
        {
            var sw = Stopwatch.StartNew();
            Once();
            times[i] = sw.Elapsed.TotalMilliseconds;
        }
        Array.Sort(times);
        return times[repeat / 2];
    }
}
