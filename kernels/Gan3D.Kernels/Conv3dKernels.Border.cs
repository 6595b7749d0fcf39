using ILGPU;

namespace Gan3D.Kernels;

/// <summary>
/// The border split of the implicit-GEMM convolutions (versions 2 and 3 tiles): where a small extent puts
/// many taps on the padding (k4 s2 p1 from 8³ to 4³ multiplies zeros in (16/14)³ − 1 = 49% of its work),
/// each pass runs one GEMM per combination of <see cref="BorderRun"/>s along the three axes, and each GEMM
/// reduces only over the taps that land inside the tensor. Grid z is the run combination plus the
/// combinations times the reduction chunk (split-K as <see cref="Conv3dForwardKernel2"/>); groups past a
/// combination's columns exit. ConvLaunchPlan picks these kernels where they execute less than the plain
/// tiles, whose waste is over its bound.
/// <list type="bullet">
/// <item>Forward: runs of output positions sharing their inside taps.</item>
/// <item>Backward-data: the parity classes cut into runs (<see cref="BorderAxis.BackwardDataRun"/>), each a
/// parity class of its own for the unchanged backward-data GEMM.</item>
/// <item>Backward-weight: runs of taps sharing the output positions whose window lands inside.</item>
/// </list>
/// </summary>
public static partial class Conv3dKernels
{
    /// <summary>Version-2 forward by border runs. Grid (⌈N · most positions of a combination / 64⌉, ⌈Cout / 64⌉, combinations · chunks), groups of 256.</summary>
    /// <param name="x">Input (N, Cin, Di, Hi, Wi).</param>
    /// <param name="w">Weight (Cout, Cin, Kd, Kh, Kw).</param>
    /// <param name="y">Output (N, Cout, Do, Ho, Wo), or chunks copies of it; overwritten.</param>
    /// <param name="g">The geometry.</param>
    /// <param name="kChunk">Reduction indices per chunk, a multiple of 8.</param>
    public static void Conv3dForwardBorderKernel2(ArrayView<float> x, ArrayView<float> w, ArrayView<float> y, Conv3dGeometry g, int kChunk)
    {
        var p = ForwardBorderClass(x, w, y, g, out int chunk);
        int n0 = Grid.IdxX * ImplicitGemmTile.TileN;
        if (n0 >= p.N)
        {
            return; // the whole group leaves before any barrier
        }
        ReductionChunk(chunk, kChunk, g.Cin * p.Rd.Taps * p.Rh.Taps * p.Rw.Taps, out int kBegin, out int kEnd);
        ImplicitGemmTile.Run(p, Grid.IdxY * ImplicitGemmTile.TileM, n0, kBegin, kEnd);
    }

    /// <summary>Version-3 forward by border runs (launch as <see cref="Conv3dForwardBorderKernel2"/>, groups of 64).</summary>
    /// <param name="x">Input (N, Cin, Di, Hi, Wi).</param>
    /// <param name="w">Weight (Cout, Cin, Kd, Kh, Kw).</param>
    /// <param name="y">Output (N, Cout, Do, Ho, Wo), or chunks copies of it; overwritten.</param>
    /// <param name="g">The geometry.</param>
    /// <param name="kChunk">Reduction indices per chunk, a multiple of 8.</param>
    public static void Conv3dForwardBorderKernel3(ArrayView<float> x, ArrayView<float> w, ArrayView<float> y, Conv3dGeometry g, int kChunk)
    {
        var p = ForwardBorderClass(x, w, y, g, out int chunk);
        int n0 = Grid.IdxX * ImplicitGemmTile3.TileN;
        if (n0 >= p.N)
        {
            return;
        }
        ReductionChunk(chunk, kChunk, g.Cin * p.Rd.Taps * p.Rh.Taps * p.Rw.Taps, out int kBegin, out int kEnd);
        ImplicitGemmTile3.Run<ForwardBorderGemm, RadixAny>(p, Grid.IdxY * ImplicitGemmTile3.TileM, n0, kBegin, kEnd);
    }

    /// <summary>Version-2 backward-data by parity class and border run. Grid (⌈N · most positions of a combination / 64⌉, ⌈Cin / 64⌉, combinations · chunks), groups of 256.</summary>
    /// <param name="dy">Output gradient (N, Cout, Do, Ho, Wo).</param>
    /// <param name="w">Weight (Cout, Cin, Kd, Kh, Kw).</param>
    /// <param name="dx">Input gradient (N, Cin, Di, Hi, Wi), or chunks copies of it; overwritten.</param>
    /// <param name="g">The geometry.</param>
    /// <param name="kChunk">Reduction indices per chunk, a multiple of 8.</param>
    public static void Conv3dBackwardDataBorderKernel2(ArrayView<float> dy, ArrayView<float> w, ArrayView<float> dx, Conv3dGeometry g, int kChunk)
    {
        var p = BackwardDataBorderClass(dy, w, dx, g, out int chunk);
        int n0 = Grid.IdxX * ImplicitGemmTile.TileN;
        if (n0 >= p.N)
        {
            return;
        }
        ReductionChunk(chunk, kChunk, g.Cout * p.Ad.Taps * p.Ah.Taps * p.Aw.Taps, out int kBegin, out int kEnd);
        ImplicitGemmTile.Run(p, Grid.IdxY * ImplicitGemmTile.TileM, n0, kBegin, kEnd);
    }

    /// <summary>Version-3 backward-data by parity class and border run (launch as <see cref="Conv3dBackwardDataBorderKernel2"/>, groups of 64).</summary>
    /// <param name="dy">Output gradient (N, Cout, Do, Ho, Wo).</param>
    /// <param name="w">Weight (Cout, Cin, Kd, Kh, Kw).</param>
    /// <param name="dx">Input gradient (N, Cin, Di, Hi, Wi), or chunks copies of it; overwritten.</param>
    /// <param name="g">The geometry.</param>
    /// <param name="kChunk">Reduction indices per chunk, a multiple of 8.</param>
    public static void Conv3dBackwardDataBorderKernel3(ArrayView<float> dy, ArrayView<float> w, ArrayView<float> dx, Conv3dGeometry g, int kChunk)
    {
        var p = BackwardDataBorderClass(dy, w, dx, g, out int chunk);
        int n0 = Grid.IdxX * ImplicitGemmTile3.TileN;
        if (n0 >= p.N)
        {
            return;
        }
        ReductionChunk(chunk, kChunk, g.Cout * p.Ad.Taps * p.Ah.Taps * p.Aw.Taps, out int kBegin, out int kEnd);
        ImplicitGemmTile3.Run<BackwardDataGemm, RadixAny>(p, Grid.IdxY * ImplicitGemmTile3.TileM, n0, kBegin, kEnd);
    }

    /// <summary>
    /// Version-2 backward-weight by border runs of taps, chunk of the reduction into partials laid out as
    /// <see cref="Conv3dBackwardWeightKernel2"/>'s. Grid (⌈Cin · most taps of a combination / 64⌉, ⌈Cout / 64⌉, combinations · chunks), groups of 256.
    /// </summary>
    /// <param name="x">Input (N, Cin, Di, Hi, Wi).</param>
    /// <param name="dy">Output gradient (N, Cout, Do, Ho, Wo).</param>
    /// <param name="partials">Output (chunks, Cout, Cin, Kd, Kh, Kw), overwritten.</param>
    /// <param name="g">The geometry.</param>
    /// <param name="kChunk">Reduction indices per chunk, a multiple of 8.</param>
    public static void Conv3dBackwardWeightBorderKernel2(ArrayView<float> x, ArrayView<float> dy, ArrayView<float> partials, Conv3dGeometry g, int kChunk)
    {
        var p = BackwardWeightBorderClass(x, dy, partials, g, out int chunk);
        int n0 = Grid.IdxX * ImplicitGemmTile.TileN;
        if (n0 >= p.N)
        {
            return;
        }
        ReductionChunk(chunk, kChunk, g.N * p.Rd.Taps * p.Rh.Taps * p.Rw.Taps, out int kBegin, out int kEnd);
        ImplicitGemmTile.Run(p, Grid.IdxY * ImplicitGemmTile.TileM, n0, kBegin, kEnd);
    }

    /// <summary>Version-3 backward-weight by border runs of taps (launch as <see cref="Conv3dBackwardWeightBorderKernel2"/>, groups of 64).</summary>
    /// <param name="x">Input (N, Cin, Di, Hi, Wi).</param>
    /// <param name="dy">Output gradient (N, Cout, Do, Ho, Wo).</param>
    /// <param name="partials">Output (chunks, Cout, Cin, Kd, Kh, Kw), overwritten.</param>
    /// <param name="g">The geometry.</param>
    /// <param name="kChunk">Reduction indices per chunk, a multiple of 8.</param>
    public static void Conv3dBackwardWeightBorderKernel3(ArrayView<float> x, ArrayView<float> dy, ArrayView<float> partials, Conv3dGeometry g, int kChunk)
    {
        var p = BackwardWeightBorderClass(x, dy, partials, g, out int chunk);
        int n0 = Grid.IdxX * ImplicitGemmTile3.TileN;
        if (n0 >= p.N)
        {
            return;
        }
        ReductionChunk(chunk, kChunk, g.N * p.Rd.Taps * p.Rh.Taps * p.Rw.Taps, out int kBegin, out int kEnd);
        ImplicitGemmTile3.Run<BackwardWeightBorderGemm, RadixAny>(p, Grid.IdxY * ImplicitGemmTile3.TileM, n0, kBegin, kEnd);
    }

    /// <summary>This group's run combination (depth slowest) and chunk from grid z, given the runs per axis.</summary>
    private static void Combination(int runsD, int runsH, int runsW, out int zd, out int zh, out int zw, out int chunk)
    {
        int combinations = runsD * runsH * runsW;
        chunk = Grid.IdxZ / combinations;
        int c = Grid.IdxZ - chunk * combinations;
        zw = c % runsW;
        c /= runsW;
        zh = c % runsH;
        zd = c / runsH;
    }

    private static ForwardBorderGemm ForwardBorderClass(ArrayView<float> x, ArrayView<float> w, ArrayView<float> y, Conv3dGeometry g, out int chunk)
    {
        var ad = BorderAxis.Forward(g.Sd, g.Pd, g.Kd, g.Di, g.Do);
        var ah = BorderAxis.Forward(g.Sh, g.Ph, g.Kh, g.Hi, g.Ho);
        var aw = BorderAxis.Forward(g.Sw, g.Pw, g.Kw, g.Wi, g.Wo);
        Combination(ad.Runs(), ah.Runs(), aw.Runs(), out int zd, out int zh, out int zw, out chunk);
        return new ForwardBorderGemm { X = x, W = w, Y = ChunkCopy(y, chunk, g.OutputSize), G = g, Rd = ad.Run(zd), Rh = ah.Run(zh), Rw = aw.Run(zw) };
    }

    private static BackwardDataGemm BackwardDataBorderClass(ArrayView<float> dy, ArrayView<float> w, ArrayView<float> dx, Conv3dGeometry g, out int chunk)
    {
        Combination(BorderAxis.BackwardDataRuns(g.Pd, g.Sd, g.Kd, g.Di, g.Do), BorderAxis.BackwardDataRuns(g.Ph, g.Sh, g.Kh, g.Hi, g.Ho),
            BorderAxis.BackwardDataRuns(g.Pw, g.Sw, g.Kw, g.Wi, g.Wo), out int zd, out int zh, out int zw, out chunk);
        return new BackwardDataGemm
        {
            Dy = dy,
            W = w,
            Dx = ChunkCopy(dx, chunk, g.InputSize),
            G = g,
            Ad = BorderAxis.BackwardDataRun(zd, g.Pd, g.Sd, g.Kd, g.Di, g.Do),
            Ah = BorderAxis.BackwardDataRun(zh, g.Ph, g.Sh, g.Kh, g.Hi, g.Ho),
            Aw = BorderAxis.BackwardDataRun(zw, g.Pw, g.Sw, g.Kw, g.Wi, g.Wo),
            WCo = g.Cin * g.KernelVolume,
            WTd = g.Sd * g.Kh * g.Kw,
            WTh = g.Sh * g.Kw,
            WTw = g.Sw,
        };
    }

    private static BackwardWeightBorderGemm BackwardWeightBorderClass(ArrayView<float> x, ArrayView<float> dy, ArrayView<float> partials, Conv3dGeometry g, out int chunk)
    {
        var ad = BorderAxis.BackwardWeight(g.Sd, g.Pd, g.Kd, g.Di, g.Do);
        var ah = BorderAxis.BackwardWeight(g.Sh, g.Ph, g.Kh, g.Hi, g.Ho);
        var aw = BorderAxis.BackwardWeight(g.Sw, g.Pw, g.Kw, g.Wi, g.Wo);
        Combination(ad.Runs(), ah.Runs(), aw.Runs(), out int zd, out int zh, out int zw, out chunk);
        return new BackwardWeightBorderGemm { X = x, Dy = dy, Out = ChunkCopy(partials, chunk, g.WeightSize), G = g, Rd = ad.Run(zd), Rh = ah.Run(zh), Rw = aw.Run(zw) };
    }

    /// <summary>
    /// Forward over one run per axis: columns (n, jd, jh, jw) are the output positions C0 + j, the reduction
    /// (ci, td, th, tw) the inside taps T0 + t. Every gathered input is inside: no bounds check.
    /// </summary>
    private struct ForwardBorderGemm : ITapGemm
    {
        public ArrayView<float> X, W, Y;
        public Conv3dGeometry G;
        public BorderRun Rd, Rh, Rw;

        public readonly int M => G.Cout;

        public readonly int N => G.N * Rd.Count * Rh.Count * Rw.Count;

        public readonly int R1 => Rd.Taps;

        public readonly int R2 => Rh.Taps;

        public readonly int R3 => Rw.Taps;

        private readonly void Position(int n, out int b, out int od, out int oh, out int ow)
        {
            int cv = Rd.Count * Rh.Count * Rw.Count;
            b = n / cv;
            int j = n - b * cv;
            ow = Rw.C0 + j % Rw.Count;
            j /= Rw.Count;
            oh = Rh.C0 + j % Rh.Count;
            od = Rd.C0 + j / Rh.Count;
        }

        public readonly GemmColumn Row(int m) => new() { Base = m * (G.Cin * G.KernelVolume) + (Rd.T0 * G.Kh + Rh.T0) * G.Kw + Rw.T0 };

        public readonly float A(GemmColumn row, int k, GemmTap t) =>
            W[row.Base + t.D0 * G.KernelVolume + (t.D1 * G.Kh + t.D2) * G.Kw + t.D3];

        public readonly float A(int m, int k) => A(Row(m), k, ImplicitGemmTile3.Decode(k, R1, R2, R3));

        public readonly GemmColumn Column(int n)
        {
            Position(n, out int b, out int od, out int oh, out int ow);
            return new GemmColumn
            {
                Base = b * G.Cin * G.InputVolume,
                D = od * G.Sd - G.Pd + Rd.T0,
                H = oh * G.Sh - G.Ph + Rh.T0,
                W = ow * G.Sw - G.Pw + Rw.T0,
            };
        }

        public readonly float B(GemmTap t, GemmColumn c) =>
            X[c.Base + t.D0 * G.InputVolume + ((c.D + t.D1) * G.Hi + c.H + t.D2) * G.Wi + c.W + t.D3];

        public readonly float B(int k, GemmColumn c) => B(ImplicitGemmTile3.Decode(k, R1, R2, R3), c);

        public readonly void Store(int m, int n, float value)
        {
            Position(n, out int b, out int od, out int oh, out int ow);
            Y[(b * G.Cout + m) * G.OutputVolume + (od * G.Ho + oh) * G.Wo + ow] = value;
        }
    }

    /// <summary>
    /// Backward-weight over one run of taps per axis: columns (ci, jd, jh, jw) are the taps C0 + j, the
    /// reduction (n, td, th, tw) the output positions T0 + t whose window puts those taps inside.
    /// </summary>
    private struct BackwardWeightBorderGemm : ITapGemm
    {
        public ArrayView<float> X, Dy, Out;
        public Conv3dGeometry G;
        public BorderRun Rd, Rh, Rw;

        public readonly int M => G.Cout;

        public readonly int N => G.Cin * Rd.Count * Rh.Count * Rw.Count;

        public readonly int R1 => Rd.Taps;

        public readonly int R2 => Rh.Taps;

        public readonly int R3 => Rw.Taps;

        private readonly void Tap(int n, out int ci, out int kd, out int kh, out int kw)
        {
            int cv = Rd.Count * Rh.Count * Rw.Count;
            ci = n / cv;
            int j = n - ci * cv;
            kw = Rw.C0 + j % Rw.Count;
            j /= Rw.Count;
            kh = Rh.C0 + j % Rh.Count;
            kd = Rd.C0 + j / Rh.Count;
        }

        public readonly GemmColumn Row(int m) => new() { Base = m * G.OutputVolume + (Rd.T0 * G.Ho + Rh.T0) * G.Wo + Rw.T0 };

        public readonly float A(GemmColumn row, int k, GemmTap t) =>
            Dy[row.Base + t.D0 * (G.Cout * G.OutputVolume) + (t.D1 * G.Ho + t.D2) * G.Wo + t.D3];

        public readonly float A(int m, int k) => A(Row(m), k, ImplicitGemmTile3.Decode(k, R1, R2, R3));

        public readonly GemmColumn Column(int n)
        {
            Tap(n, out int ci, out int kd, out int kh, out int kw);
            return new GemmColumn
            {
                Base = ci * G.InputVolume,
                D = Rd.T0 * G.Sd - G.Pd + kd,
                H = Rh.T0 * G.Sh - G.Ph + kh,
                W = Rw.T0 * G.Sw - G.Pw + kw,
            };
        }

        public readonly float B(GemmTap t, GemmColumn c) =>
            X[t.D0 * (G.Cin * G.InputVolume) + c.Base + ((c.D + t.D1 * G.Sd) * G.Hi + c.H + t.D2 * G.Sh) * G.Wi + c.W + t.D3 * G.Sw];

        public readonly float B(int k, GemmColumn c) => B(ImplicitGemmTile3.Decode(k, R1, R2, R3), c);

        public readonly void Store(int m, int n, float value)
        {
            Tap(n, out int ci, out int kd, out int kh, out int kw);
            Out[(m * G.Cin + ci) * G.KernelVolume + (kd * G.Kh + kh) * G.Kw + kw] = value;
        }
    }
}
