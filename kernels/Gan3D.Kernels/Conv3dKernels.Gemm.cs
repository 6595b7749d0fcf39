using ILGPU;

namespace Gan3D.Kernels;

/// <summary>
/// Version 2 of the convolution kernels: each pass is an implicit GEMM run by
/// <see cref="ImplicitGemmTile"/> (explicitly grouped: <see cref="ImplicitGemmTile.Threads"/> threads
/// a group, a grid of 64 × 64 tiles of C). Launch shapes are in each kernel's comment; the backend
/// computes them in one place, Gan3D.Tensors ConvLaunchPlan, which gan3d profile reports too.
/// <list type="bullet">
/// <item>Forward: Y[co, (n, o)] = Σ_(ci, k) W[co, (ci, k)] · X[n, ci, o·s − p + k].</item>
/// <item>Backward-data (the transposed convolution's forward): one sub-GEMM per residue class r of the
/// input position modulo the stride. Only the taps k ≡ r + p (mod s) reach class r, each from a fixed
/// output offset, so no multiply meets an inserted zero: for k4 s2 that is 8 classes of 2³ taps.</item>
/// <item>Backward-data with a 1³ unpadded output (the generator's first layer): a plain GEMM over the
/// taps, since the parity form would multiply 63 zeros per useful product.</item>
/// <item>Backward-weight: dW[co, (ci, k)] = Σ_(n, o) dY[n, co, o] · X[n, ci, o·s − p + k]. The reduction
/// N·Do·Ho·Wo is long while dW can be small, so it is split into chunks (grid z), each written to its
/// own slice of a partials buffer and summed in chunk order by <see cref="Conv3dBackwardWeightReduceKernel2"/>:
/// deterministic, no float atomics.</item>
/// </list>
/// </summary>
public static partial class Conv3dKernels
{
    /// <summary>
    /// Version-2 forward, chunk z of the reduction (split-K, see <see cref="ReductionChunk"/>): with one chunk y
    /// is the output, else chunks copies of it, summed by <see cref="Conv3dBackwardWeightReduceKernel2"/>.
    /// Grid (⌈N·Do·Ho·Wo / 64⌉, ⌈Cout / 64⌉, chunks), groups of 256.
    /// </summary>
    /// <param name="x">Input (N, Cin, Di, Hi, Wi).</param>
    /// <param name="w">Weight (Cout, Cin, Kd, Kh, Kw).</param>
    /// <param name="y">Output (N, Cout, Do, Ho, Wo), or chunks copies of it; overwritten.</param>
    /// <param name="g">The geometry.</param>
    /// <param name="kChunk">Reduction indices per chunk, a multiple of <see cref="ImplicitGemmTile.TileK"/> (the whole reduction: no split).</param>
    public static void Conv3dForwardKernel2(ArrayView<float> x, ArrayView<float> w, ArrayView<float> y, Conv3dGeometry g, int kChunk)
    {
        int z = Grid.IdxZ;
        var p = new ForwardGemm { X = x, W = w, Y = ChunkCopy(y, z, g.OutputSize), G = g };
        ReductionChunk(z, kChunk, g.Cin * g.KernelVolume, out int kBegin, out int kEnd);
        ImplicitGemmTile.Run(p, Grid.IdxY * ImplicitGemmTile.TileM, Grid.IdxX * ImplicitGemmTile.TileN, kBegin, kEnd);
    }

    /// <summary>Chunk z of a split reduction [0, k): [z·kChunk, (z + 1)·kChunk) ∩ [0, k), empty past its end (the tile then stores zeros).</summary>
    internal static void ReductionChunk(int z, int kChunk, int k, out int kBegin, out int kEnd)
    {
        kBegin = Math.Min(z * kChunk, k);
        kEnd = Math.Min(kBegin + kChunk, k);
    }

    /// <summary>Copy z of an output of <paramref name="size"/> elements in a buffer of chunk copies (the output itself when z = 0).</summary>
    internal static ArrayView<float> ChunkCopy(ArrayView<float> output, int z, long size) => output.SubView(z * size, size);

    /// <summary>
    /// Version-2 backward-data by parity class. Grid (⌈N·⌈Di/Sd⌉·⌈Hi/Sh⌉·⌈Wi/Sw⌉ / 64⌉, ⌈Cin / 64⌉,
    /// Sd·Sh·Sw·chunks), groups of 256; grid z is the class plus the classes times the reduction chunk
    /// (split-K as <see cref="Conv3dForwardKernel2"/>), and groups past a smaller class's columns exit.
    /// </summary>
    /// <param name="dy">Output gradient (N, Cout, Do, Ho, Wo).</param>
    /// <param name="w">Weight (Cout, Cin, Kd, Kh, Kw).</param>
    /// <param name="dx">Input gradient (N, Cin, Di, Hi, Wi), or chunks copies of it; overwritten.</param>
    /// <param name="g">The geometry.</param>
    /// <param name="kChunk">Reduction indices per chunk, a multiple of <see cref="ImplicitGemmTile.TileK"/>.</param>
    public static void Conv3dBackwardDataKernel2(ArrayView<float> dy, ArrayView<float> w, ArrayView<float> dx, Conv3dGeometry g, int kChunk)
    {
        int classes = g.Sd * g.Sh * g.Sw, chunk = Grid.IdxZ / classes;
        var p = BackwardDataClass(dy, w, ChunkCopy(dx, chunk, g.InputSize), g, Grid.IdxZ - chunk * classes);
        int n0 = Grid.IdxX * ImplicitGemmTile.TileN;
        if (n0 >= p.N)
        {
            return; // the whole group leaves before any barrier
        }
        ReductionChunk(chunk, kChunk, g.Cout * p.Ad.Taps * p.Ah.Taps * p.Aw.Taps, out int kBegin, out int kEnd);
        ImplicitGemmTile.Run(p, Grid.IdxY * ImplicitGemmTile.TileM, n0, kBegin, kEnd);
    }

    /// <summary>
    /// Version-2 backward-data when the output is 1³ with no padding (so Di·Hi·Wi = Kd·Kh·Kw):
    /// dX[n, (ci, k)] = Σ_co W[co, (ci, k)] · dY[n, co]. Grid (⌈N / 64⌉, ⌈Cin·Kd·Kh·Kw / 64⌉, chunks), groups of 256.
    /// </summary>
    /// <param name="dy">Output gradient (N, Cout, 1, 1, 1).</param>
    /// <param name="w">Weight (Cout, Cin, Kd, Kh, Kw).</param>
    /// <param name="dx">Input gradient (N, Cin, Kd, Kh, Kw), or chunks copies of it; overwritten.</param>
    /// <param name="g">The geometry.</param>
    /// <param name="kChunk">Reduction indices per chunk, a multiple of <see cref="ImplicitGemmTile.TileK"/>.</param>
    public static void Conv3dBackwardDataDenseKernel2(ArrayView<float> dy, ArrayView<float> w, ArrayView<float> dx, Conv3dGeometry g, int kChunk)
    {
        int z = Grid.IdxZ;
        var p = new DenseBackwardDataGemm { Dy = dy, W = w, Dx = ChunkCopy(dx, z, g.InputSize), Rows = g.Cin * g.KernelVolume, Batch = g.N, Cout = g.Cout };
        ReductionChunk(z, kChunk, g.Cout, out int kBegin, out int kEnd);
        ImplicitGemmTile.Run(p, Grid.IdxY * ImplicitGemmTile.TileM, Grid.IdxX * ImplicitGemmTile.TileN, kBegin, kEnd);
    }

    /// <summary>
    /// Version-2 backward-weight, chunk z of the reduction: partials[z, co, (ci, k)] = Σ over the
    /// reduction indices [z·kChunk, (z + 1)·kChunk) of dY·X. With one chunk, pass dw as partials.
    /// Grid (⌈Cin·Kd·Kh·Kw / 64⌉, ⌈Cout / 64⌉, chunks), groups of 256.
    /// </summary>
    /// <param name="x">Input (N, Cin, Di, Hi, Wi).</param>
    /// <param name="dy">Output gradient (N, Cout, Do, Ho, Wo).</param>
    /// <param name="partials">Output (chunks, Cout, Cin, Kd, Kh, Kw), overwritten.</param>
    /// <param name="g">The geometry.</param>
    /// <param name="kChunk">Reduction indices per chunk, a multiple of <see cref="ImplicitGemmTile.TileK"/>.</param>
    public static void Conv3dBackwardWeightKernel2(ArrayView<float> x, ArrayView<float> dy, ArrayView<float> partials, Conv3dGeometry g, int kChunk)
    {
        int z = Grid.IdxZ;
        int columns = g.Cin * g.KernelVolume;
        var p = new BackwardWeightGemm { X = x, Dy = dy, Out = partials, G = g, Columns = columns, Offset = z * g.Cout * columns };
        int kBegin = z * kChunk;
        int kEnd = Math.Min(kBegin + kChunk, g.N * g.OutputVolume);
        ImplicitGemmTile.Run(p, Grid.IdxY * ImplicitGemmTile.TileM, Grid.IdxX * ImplicitGemmTile.TileN, kBegin, kEnd);
    }

    /// <summary>dw[i] = Σ_z partials[z·count + i], in chunk order (float64, one rounding).</summary>
    /// <param name="index">One thread per weight element: count threads.</param>
    /// <param name="partials">From <see cref="Conv3dBackwardWeightKernel2"/> (chunks, count).</param>
    /// <param name="dw">Weight gradient (count), overwritten.</param>
    /// <param name="chunks">Number of chunks.</param>
    public static void Conv3dBackwardWeightReduceKernel2(Index1D index, ArrayView<float> partials, ArrayView<float> dw, int chunks)
    {
        int count = (int)dw.Length;
        double acc = 0;
        for (int z = 0; z < chunks; z++)
        {
            acc += partials[z * count + index];
        }
        dw[index] = (float)acc;
    }

    /// <summary>Forward: A = W (Cout × Cin·Kv), B = the input gathered at (ci, k) × (n, o).</summary>
    private partial struct ForwardGemm : IImplicitGemm
    {
        public ArrayView<float> X, W, Y;
        public Conv3dGeometry G;

        public readonly int M => G.Cout;

        public readonly int N => G.N * G.OutputVolume;

        public readonly float A(int m, int k) => W[m * (G.Cin * G.KernelVolume) + k];

        public readonly GemmColumn Column(int n)
        {
            int ov = G.OutputVolume;
            int b = n / ov, o = n - b * ov;
            int ow = o % G.Wo;
            o /= G.Wo;
            int oh = o % G.Ho;
            int od = o / G.Ho;
            return new GemmColumn { Base = b * G.Cin * G.InputVolume, D = od * G.Sd - G.Pd, H = oh * G.Sh - G.Ph, W = ow * G.Sw - G.Pw };
        }

        public readonly float B(int k, GemmColumn c)
        {
            int kv = G.KernelVolume, khw = G.Kh * G.Kw;
            int ci = k / kv, t = k - ci * kv;
            int kd = t / khw;
            t -= kd * khw;
            int kh = t / G.Kw, kw = t - kh * G.Kw;
            int id = c.D + kd, ih = c.H + kh, iw = c.W + kw;
            if ((uint)id >= (uint)G.Di || (uint)ih >= (uint)G.Hi || (uint)iw >= (uint)G.Wi)
            {
                return 0f;
            }
            return X[c.Base + ci * G.InputVolume + (id * G.Hi + ih) * G.Wi + iw];
        }

        public readonly void Store(int m, int n, float value)
        {
            int ov = G.OutputVolume;
            int b = n / ov;
            Y[(b * G.Cout + m) * ov + n - b * ov] = value;
        }
    }

    /// <summary>
    /// Backward-data for one parity class: A[ci, (co, t)] = W[co, ci, K0 + s·t],
    /// B[(co, t), (n, j)] = dY[n, co, j + Base − t], C[ci, (n, j)] → dX[n, ci, r + s·j].
    /// </summary>
    private partial struct BackwardDataGemm : IImplicitGemm
    {
        public ArrayView<float> Dy, W, Dx;
        public Conv3dGeometry G;
        public ParityAxis Ad, Ah, Aw;

        /// <summary>Version 3 only: the weight's stride per step of co, td, th and tw.</summary>
        public int WCo, WTd, WTh, WTw;

        public readonly int M => G.Cin;

        public readonly int N => G.N * Ad.Count * Ah.Count * Aw.Count;

        /// <summary>Reduction index k = (co, td, th, tw): output channel and tap along each axis.</summary>
        private readonly void Tap(int k, out int co, out int td, out int th, out int tw)
        {
            int taps = Ad.Taps * Ah.Taps * Aw.Taps;
            co = k / taps;
            int t = k - co * taps;
            int thw = Ah.Taps * Aw.Taps;
            td = t / thw;
            t -= td * thw;
            th = t / Aw.Taps;
            tw = t - th * Aw.Taps;
        }

        /// <summary>Column n = (b, jd, jh, jw): batch entry and position in the parity class's grid.</summary>
        private readonly void Position(int n, out int b, out int jd, out int jh, out int jw)
        {
            int cv = Ad.Count * Ah.Count * Aw.Count;
            b = n / cv;
            int j = n - b * cv;
            jw = j % Aw.Count;
            j /= Aw.Count;
            jh = j % Ah.Count;
            jd = j / Ah.Count;
        }

        public readonly float A(int m, int k)
        {
            Tap(k, out int co, out int td, out int th, out int tw);
            int kd = Ad.K0 + G.Sd * td, kh = Ah.K0 + G.Sh * th, kw = Aw.K0 + G.Sw * tw;
            return W[(co * G.Cin + m) * G.KernelVolume + (kd * G.Kh + kh) * G.Kw + kw];
        }

        public readonly GemmColumn Column(int n)
        {
            Position(n, out int b, out int jd, out int jh, out int jw);
            return new GemmColumn { Base = b * G.Cout * G.OutputVolume, D = jd + Ad.Base, H = jh + Ah.Base, W = jw + Aw.Base };
        }

        public readonly float B(int k, GemmColumn c)
        {
            Tap(k, out int co, out int td, out int th, out int tw);
            int od = c.D - td, oh = c.H - th, ow = c.W - tw;
            if ((uint)od >= (uint)G.Do || (uint)oh >= (uint)G.Ho || (uint)ow >= (uint)G.Wo)
            {
                return 0f;
            }
            return Dy[c.Base + co * G.OutputVolume + (od * G.Ho + oh) * G.Wo + ow];
        }

        public readonly void Store(int m, int n, float value)
        {
            Position(n, out int b, out int jd, out int jh, out int jw);
            int id = Ad.Residue + G.Sd * jd, ih = Ah.Residue + G.Sh * jh, iw = Aw.Residue + G.Sw * jw;
            Dx[(b * G.Cin + m) * G.InputVolume + (id * G.Hi + ih) * G.Wi + iw] = value;
        }
    }

    /// <summary>Backward-data with a 1³ output: A[(ci, k), co] = W[co, (ci, k)], B[co, n] = dY[n, co], C → dX[n, (ci, k)].</summary>
    private partial struct DenseBackwardDataGemm : IImplicitGemm
    {
        public ArrayView<float> Dy, W, Dx;
        public int Rows, Batch, Cout;

        public readonly int M => Rows;

        public readonly int N => Batch;

        public readonly float A(int m, int k) => W[k * Rows + m];

        public readonly GemmColumn Column(int n) => new() { Base = n * Cout };

        public readonly float B(int k, GemmColumn c) => Dy[c.Base + k];

        public readonly void Store(int m, int n, float value) => Dx[n * Rows + m] = value;
    }

    /// <summary>
    /// Backward-weight: A[co, (n, o)] = dY[n, co, o], B[(n, o), (ci, k)] = X[n, ci, o·s − p + k],
    /// C[co, (ci, k)] → Out[Offset + co·Columns + (ci, k)].
    /// </summary>
    private partial struct BackwardWeightGemm : IImplicitGemm
    {
        public ArrayView<float> X, Dy, Out;
        public Conv3dGeometry G;
        public int Columns, Offset;

        public readonly int M => G.Cout;

        public readonly int N => Columns;

        public readonly float A(int m, int k)
        {
            int ov = G.OutputVolume;
            int b = k / ov;
            return Dy[(b * G.Cout + m) * ov + k - b * ov];
        }

        public readonly GemmColumn Column(int n)
        {
            int kv = G.KernelVolume, khw = G.Kh * G.Kw;
            int ci = n / kv, t = n - ci * kv;
            int kd = t / khw;
            t -= kd * khw;
            int kh = t / G.Kw, kw = t - kh * G.Kw;
            return new GemmColumn { Base = ci * G.InputVolume, D = kd - G.Pd, H = kh - G.Ph, W = kw - G.Pw };
        }

        public readonly float B(int k, GemmColumn c)
        {
            int ov = G.OutputVolume;
            int b = k / ov, o = k - b * ov;
            int ow = o % G.Wo;
            o /= G.Wo;
            int oh = o % G.Ho;
            int od = o / G.Ho;
            int id = od * G.Sd + c.D, ih = oh * G.Sh + c.H, iw = ow * G.Sw + c.W;
            if ((uint)id >= (uint)G.Di || (uint)ih >= (uint)G.Hi || (uint)iw >= (uint)G.Wi)
            {
                return 0f;
            }
            return X[b * G.Cin * G.InputVolume + c.Base + (id * G.Hi + ih) * G.Wi + iw];
        }

        public readonly void Store(int m, int n, float value) => Out[Offset + m * Columns + n] = value;
    }
}
