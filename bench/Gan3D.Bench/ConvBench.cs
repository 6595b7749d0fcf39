using System.Diagnostics;
using Gan3D.Kernels;
using Gan3D.Models;
using Gan3D.Tensors;
using Gan3D.Testing;

namespace Gan3D.Bench;

/// <summary>The convolution passes the harness validates and times.</summary>
internal enum ConvPass
{
    Forward,
    BackwardData,
    BackwardWeight,
}

/// <summary>A named convolution of the GAN (e.g. "g32.2", "d64.1") or an explicit shape.</summary>
internal sealed record ConvCase(string Name, Conv3dGeometry Geometry, bool Transposed)
{
    /// <summary>
    /// Every convolution of G and D at a resolution, batch and width. G's layers are transposed
    /// convolutions and are described, like every layer here, by the convolution they are the adjoint of.
    /// </summary>
    public static List<ConvCase> ModelLayers(int resolution, int batch, double width)
    {
        var arch = new GanArchitecture(resolution, width);
        var list = new List<ConvCase>();
        var gc = arch.GeneratorChannels;
        int cin = arch.LatentDim, size = 1;
        for (int i = 0; i <= gc.Length; i++)
        {
            bool first = i == 0;
            int cout = i < gc.Length ? gc[i] : 1;
            var g = Conv3dGeometry.ForTransposed(batch, cin, size, size, size, cout, 4, 4, 4,
                first ? 1 : 2, first ? 1 : 2, first ? 1 : 2, first ? 0 : 1, first ? 0 : 1, first ? 0 : 1, 0, 0, 0);
            list.Add(new ConvCase($"g{resolution}.{i + 1}", g, true));
            cin = cout;
            size = g.Di;
        }
        var dc = arch.DiscriminatorChannels;
        cin = 1;
        size = resolution;
        for (int i = 0; i <= dc.Length; i++)
        {
            bool last = i == dc.Length;
            int cout = last ? 1 : dc[i];
            var g = Conv3dGeometry.Create(batch, cin, size, size, size, cout, 4, 4, 4,
                last ? 1 : 2, last ? 1 : 2, last ? 1 : 2, last ? 0 : 1, last ? 0 : 1, last ? 0 : 1);
            list.Add(new ConvCase($"d{resolution}.{i + 1}", g, false));
            cin = cout;
            size = g.Do;
        }
        return list;
    }
}

/// <summary>
/// Validates a convolution version of any backend against the float64 reference (Gan3D.Reference),
/// then times it (llm.c style): the CPU versions and the ILGPU versions (on the ILGPU CPU emulator or
/// on CUDA) go through the same two steps.
/// </summary>
internal static class ConvBench
{
    /// <summary>
    /// Checks then times <paramref name="version"/> of <paramref name="be"/>; <paramref name="peak"/> is the
    /// FMA peak to compare with (0 when unknown, as on a GPU).
    /// </summary>
    public static int Run(ConvCase c, ConvPass pass, int version, int repeat, IBackend be, double peak, TextWriter o)
    {
        var g = c.Geometry;
        string label = $"{c.Name,-8} {PassName(pass, c.Transposed),-22}";
        if (!be.KernelVersions.Contains(version))
        {
            o.WriteLine($"{label} v{version}: {be.Name} has versions {string.Join(", ", be.KernelVersions)}; not run");
            return 1;
        }
        be.KernelVersion = version;
        // Validate on a batch of at most 2 (the same layer otherwise): the reference is naive and single-threaded.
        var small = g with { N = Math.Min(g.N, 2) };
        var (maxDiff, maxRef) = Validate(small, pass, be);
        double tol = 1e-4 * maxRef + 1e-5;
        if (!(maxDiff <= tol))
        {
            o.WriteLine($"{label} v{version}: INVALID max |diff| {maxDiff:E2} vs the float64 reference (max |ref| {maxRef:E2}); not timed");
            return 1;
        }
        double ms = Time(g, pass, be, repeat);
        double gflops = 2.0 * g.Macs / (ms * 1e6);
        string ofPeak = peak > 0 ? $"{gflops / peak,6:P0} of peak" : "";
        o.WriteLine($"{label} v{version}: {ms,9:F2} ms {gflops,8:F1} GFLOP/s {ofPeak}   (valid: max |diff| {maxDiff:E1} at batch {small.N})");
        return 0;
    }

    public static string PassName(ConvPass pass, bool transposed) => (pass, transposed) switch
    {
        (ConvPass.Forward, false) => "conv forward",
        (ConvPass.BackwardData, false) => "conv backward-data",
        (ConvPass.BackwardWeight, false) => "conv backward-weight",
        (ConvPass.Forward, true) => "convT backward-data",
        (ConvPass.BackwardData, true) => "convT forward",
        _ => "convT backward-weight",
    };

    internal static (Tensor A, Tensor B, Tensor Out) Operands(Conv3dGeometry g, ConvPass pass, IBackend be)
    {
        var rng = new Rng(42);
        var x = new Shape(g.N, g.Cin, g.Di, g.Hi, g.Wi);
        var y = new Shape(g.N, g.Cout, g.Do, g.Ho, g.Wo);
        var w = new Shape(g.Cout, g.Cin, g.Kd, g.Kh, g.Kw);
        return pass switch
        {
            ConvPass.Forward => (rng.Uniform(x, be, -1, 1), rng.Uniform(w, be, -1, 1), Tensor.Empty(y, be)),
            ConvPass.BackwardData => (rng.Uniform(y, be, -1, 1), rng.Uniform(w, be, -1, 1), Tensor.Empty(x, be)),
            _ => (rng.Uniform(x, be, -1, 1), rng.Uniform(y, be, -1, 1), Tensor.Empty(w, be)),
        };
    }

    internal static void Apply(IBackend be, ConvPass pass, Tensor a, Tensor b, Tensor o, in Conv3dGeometry g)
    {
        switch (pass)
        {
            case ConvPass.Forward: be.Conv3dForward(a, b, o, g); break;
            case ConvPass.BackwardData: be.Conv3dBackwardData(a, b, o, g); break;
            default: be.Conv3dBackwardWeight(a, b, o, g); break;
        }
    }

    internal static double[] Float64(Tensor t) => Array.ConvertAll(t.ToArray(), v => (double)v);

    internal static (double MaxDiff, double MaxRef) Validate(Conv3dGeometry g, ConvPass pass, IBackend be)
    {
        var (a, b, o) = Operands(g, pass, be);
        var reference = pass switch
        {
            ConvPass.Forward => Reference.Conv3d(Float64(a), Float64(b), null, g),
            ConvPass.BackwardData => Reference.Conv3dBackwardData(Float64(a), Float64(b), g),
            _ => Reference.Conv3dBackwardWeight(Float64(a), Float64(b), g),
        };
        be.Fill(o, float.NaN);
        Apply(be, pass, a, b, o, g);
        var got = o.ToArray();
        double maxDiff = 0, maxRef = 0;
        for (int i = 0; i < got.Length; i++)
        {
            double d = Math.Abs(got[i] - reference[i]);
            maxDiff = double.IsNaN(d) ? double.PositiveInfinity : Math.Max(maxDiff, d);
            maxRef = Math.Max(maxRef, Math.Abs(reference[i]));
        }
        return (maxDiff, maxRef);
    }

    /// <summary>Median of <paramref name="repeat"/> runs after a warm-up (<see cref="SteadyState.WarmUp(Action, double)"/>), each waited for (a GPU queues work).</summary>
    private static double Time(Conv3dGeometry g, ConvPass pass, IBackend be, int repeat)
    {
        var (a, b, o) = Operands(g, pass, be);
        SteadyState.WarmUp(() =>
        {
            Apply(be, pass, a, b, o, g);
            be.Synchronize();
        }, seconds: 1);
        var times = new double[repeat];
        for (int i = 0; i < repeat; i++)
        {
            var sw = Stopwatch.StartNew();
            Apply(be, pass, a, b, o, g);
            be.Synchronize();
            times[i] = sw.Elapsed.TotalMilliseconds;
        }
        Array.Sort(times);
        return times[repeat / 2];
    }
}
