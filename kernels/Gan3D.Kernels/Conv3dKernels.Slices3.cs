using ILGPU;

namespace Gan3D.Kernels;

/// <summary>
/// The version-3 kernels of the GAN's own shapes, run by <see cref="ImplicitGemmSlices3"/>: their reduction
/// comes in whole slices of 8 k of a fixed shape, so each thread gathers a slice from two indices that
/// move by a constant step, at offsets fixed for the whole loop (the generic v3 gather walks a digit per k
/// and bounds every k against the reduction's end).
/// </summary>
public static partial class Conv3dKernels
{
    /// <summary>Whether a convolution is k4 s2 along all three axes (every parity class of its backward-data has 2 × 2 × 2 taps).</summary>
    public static bool IsK4S2(in Conv3dGeometry g) =>
        g.Kd == 4 && g.Kh == 4 && g.Kw == 4 && g.Sd == 2 && g.Sh == 2 && g.Sw == 2;

    /// <summary>Whether the output rows are whole slices of 8 (Wo a multiple of 8): backward-weight then takes <see cref="Conv3dBackwardWeightW8Kernel3"/>.</summary>
    public static bool HasRowsOf8(in Conv3dGeometry g) => g.Wo % 8 == 0;

    /// <summary>
    /// Version-3 backward-data of a k4 s2 convolution (<see cref="IsK4S2"/>: the GAN's k4 s2 p1 layers): a
    /// parity class's reduction k = (co, td, th, tw) has 8 taps per output channel, so slice s is output
    /// channel s and tap j = (td, th, tw) of it is a constant offset in the weight and in dY.
    /// Launch as <see cref="Conv3dBackwardDataKernel3"/>.
    /// </summary>
    /// <param name="dy">Output gradient (N, Cout, Do, Ho, Wo).</param>
    /// <param name="w">Weight (Cout, Cin, 4, 4, 4).</param>
    /// <param name="dx">Input gradient (N, Cin, Di, Hi, Wi), or chunk copies of it; overwritten.</param>
    /// <param name="g">The geometry (kernel 4 and stride 2 on every axis).</param>
    /// <param name="kChunk">Reduction indices per chunk, a multiple of 8.</param>
    public static void Conv3dBackwardDataK4S2Kernel3(ArrayView<float> dy, ArrayView<float> w, ArrayView<float> dx, Conv3dGeometry g, int kChunk)
    {
        const int Classes = 8;
        int chunk = Grid.IdxZ / Classes;
        var p = BackwardDataClass(dy, w, ChunkCopy(dx, chunk, g.InputSize), g, Grid.IdxZ - chunk * Classes);
        int m0 = Grid.IdxY * ImplicitGemmTile3.TileM, n0 = Grid.IdxX * ImplicitGemmTile3.TileN;
        if (n0 >= p.N)
        {
            return; // the whole group leaves before any barrier
        }
        ReductionChunk(chunk, kChunk, g.Cout * Classes, out int kBegin, out int kEnd);
        int tid = Group.IdxX;
        var s = K4S2BackwardDataStager.Create(p, m0 + tid, n0 + tid, kBegin / ImplicitGemmTile3.TileK);
        ImplicitGemmSlices3.Run(p, s, m0, n0, (kEnd - kBegin) / ImplicitGemmTile3.TileK);
    }

    /// <summary>
    /// Version-3 backward-weight of an output width that is a multiple of 8 (every GAN layer that takes the
    /// plain tiles): a slice of the reduction k = (n, od, oh, ow) is 8 consecutive positions of one output
    /// row, so its A is 8 contiguous floats of dY and its B 8 positions of one input row, Sw apart.
    /// Launch and reduce as <see cref="Conv3dBackwardWeightKernel3"/>.
    /// </summary>
    /// <param name="x">Input (N, Cin, Di, Hi, Wi).</param>
    /// <param name="dy">Output gradient (N, Cout, Do, Ho, Wo), Wo a multiple of 8.</param>
    /// <param name="partials">Output (chunks, Cout, Cin, Kd, Kh, Kw), overwritten.</param>
    /// <param name="g">The geometry.</param>
    /// <param name="kChunk">Reduction indices per chunk, a multiple of 8.</param>
    public static void Conv3dBackwardWeightW8Kernel3(ArrayView<float> x, ArrayView<float> dy, ArrayView<float> partials, Conv3dGeometry g, int kChunk)
    {
        int z = Grid.IdxZ;
        int columns = g.Cin * g.KernelVolume;
        var p = new BackwardWeightGemm { X = x, Dy = dy, Out = partials, G = g, Columns = columns, Offset = z * g.Cout * columns };
        int kBegin = z * kChunk;
        int kEnd = Math.Min(kBegin + kChunk, g.N * g.OutputVolume);
        int m0 = Grid.IdxY * ImplicitGemmTile3.TileM, n0 = Grid.IdxX * ImplicitGemmTile3.TileN;
        int tid = Group.IdxX;
        var s = RowsBackwardWeightStager.Create(p, m0 + tid, n0 + tid, kBegin);
        ImplicitGemmSlices3.Run(p, s, m0, n0, Math.Max(0, kEnd - kBegin) / ImplicitGemmTile3.TileK);
    }

    /// <summary>
    /// A thread's gather for <see cref="Conv3dBackwardDataK4S2Kernel3"/>. Slot j = (td·2 + th)·2 + tw of
    /// output channel co: A = W[co, ci, K0d + 2td, K0h + 2th, K0w + 2tw] (offset 32td + 8th + 2tw from
    /// the row's tap (0, 0, 0)), B = dY[b, co, D − td, H − th, W − tw] (offset −(td·Ho·Wo + th·Wo + tw)).
    /// Which of the 8 taps land inside dY depends on the column only: decided once.
    /// </summary>
    private struct K4S2BackwardDataStager : ISliceStager
    {
        public ArrayView<float> W, Dy;

        /// <summary>W index of the row's tap (0, 0, 0) of the slice's output channel.</summary>
        public int AIndex;

        /// <summary>dY index of the column's tap (0, 0, 0) of the slice's output channel.</summary>
        public int BIndex;

        /// <summary>Per output channel: Cin·64 in W, Do·Ho·Wo in dY.</summary>
        public int AStep, BStep;

        public int Wo, HoWo;

        /// <summary>Tap (td, th, tw) of the column lands inside dY.</summary>
        public bool B000, B001, B010, B011, B100, B101, B110, B111;

        public static K4S2BackwardDataStager Create(BackwardDataGemm p, int m, int n, int firstSlice)
        {
            // A row past M or a column past N only feeds C entries that are never stored: gather the last
            // row's or column's values instead, so the loads need no predicate of their own.
            var column = p.Column(Math.Min(n, p.N - 1));
            var g = p.G;
            int hw = g.Ho * g.Wo;
            // Along each axis tap 0 reads output position c and tap 1 position c − 1.
            bool d0 = (uint)column.D < (uint)g.Do, d1 = (uint)(column.D - 1) < (uint)g.Do;
            bool h0 = (uint)column.H < (uint)g.Ho, h1 = (uint)(column.H - 1) < (uint)g.Ho;
            bool w0 = (uint)column.W < (uint)g.Wo, w1 = (uint)(column.W - 1) < (uint)g.Wo;
            return new K4S2BackwardDataStager
            {
                W = p.W,
                Dy = p.Dy,
                AIndex = p.Row(Math.Min(m, p.M - 1)).Base + firstSlice * p.WCo,
                BIndex = column.Base + firstSlice * g.OutputVolume + (column.D * g.Ho + column.H) * g.Wo + column.W,
                AStep = p.WCo,
                BStep = g.OutputVolume,
                Wo = g.Wo,
                HoWo = hw,
                B000 = d0 & h0 & w0,
                B001 = d0 & h0 & w1,
                B010 = d0 & h1 & w0,
                B011 = d0 & h1 & w1,
                B100 = d1 & h0 & w0,
                B101 = d1 & h0 & w1,
                B110 = d1 & h1 & w0,
                B111 = d1 & h1 & w1,
            };
        }

        public void Stage(ArrayView<float> a, ArrayView<float> b)
        {
            // Constant indices into a view: ptxas folds them into the loads' address offsets.
            var w = W.SubView(AIndex);
            a[0] = w[0];
            a[64] = w[2];
            a[128] = w[8];
            a[192] = w[10];
            a[256] = w[32];
            a[320] = w[34];
            a[384] = w[40];
            a[448] = w[42];
            // dY taps reach back past the column's position (and off the tensor at its border): indexed, predicated.
            int i = BIndex, ih = i - Wo, id = i - HoWo, idh = id - Wo;
            b[0] = B000 ? Dy[i] : 0f;
            b[64] = B001 ? Dy[i - 1] : 0f;
            b[128] = B010 ? Dy[ih] : 0f;
            b[192] = B011 ? Dy[ih - 1] : 0f;
            b[256] = B100 ? Dy[id] : 0f;
            b[320] = B101 ? Dy[id - 1] : 0f;
            b[384] = B110 ? Dy[idh] : 0f;
            b[448] = B111 ? Dy[idh - 1] : 0f;
            AIndex += AStep;
            BIndex += BStep;
        }
    }

    /// <summary>
    /// A thread's gather for <see cref="Conv3dBackwardWeightW8Kernel3"/>. Slot j of a slice at output position
    /// (n, od, oh, ow): A = dY[n, co, od, oh, ow + j] (8 contiguous floats), B = X[n, ci, od·Sd + kd − Pd,
    /// oh·Sh + kh − Ph, (ow + j)·Sw + kw − Pw]. The position walks 8 along the width per slice and carries.
    /// </summary>
    private struct RowsBackwardWeightStager : ISliceStager
    {
        public ArrayView<float> X, Dy;
        public Conv3dGeometry G;

        /// <summary>dY index of A[row, slice's first k].</summary>
        public int AIndex;

        /// <summary>Added to <see cref="AIndex"/> when the batch entry moves on: (Cout − 1)·Do·Ho·Wo.</summary>
        public int ABatchJump;

        /// <summary>X index of the column's channel in the slice's batch entry: n·Cin·Di·Hi·Wi + ci·Di·Hi·Wi.</summary>
        public int BImage;

        /// <summary>Cin·Di·Hi·Wi.</summary>
        public int BBatchStep;

        /// <summary>The slice's first output position.</summary>
        public int Od, Oh, Ow;

        /// <summary>
        /// The input position slot 0 reads: (od·Sd + kd − Pd, oh·Sh + kh − Ph, ow·Sw + kw − Pw), walked with
        /// the output position rather than rebuilt from the column's taps each slice (ILGPU would sink the
        /// taps' decoding, divisions included, into the loop).
        /// </summary>
        public int Id, Ih, Iw;

        public static RowsBackwardWeightStager Create(BackwardWeightGemm p, int m, int n, int kBegin)
        {
            var g = p.G;
            int ov = g.OutputVolume;
            int batch = kBegin / ov, o = kBegin - batch * ov;
            int ow = o % g.Wo;
            o /= g.Wo;
            int oh = o % g.Ho, od = o / g.Ho;
            // Rows past M and columns past N gather the last one's values (never stored, as above).
            var column = p.Column(Math.Min(n, p.N - 1));
            return new RowsBackwardWeightStager
            {
                X = p.X,
                Dy = p.Dy,
                G = g,
                AIndex = p.Row(Math.Min(m, p.M - 1)).Base + kBegin + batch * ((g.Cout - 1) * ov),
                ABatchJump = (g.Cout - 1) * ov,
                BImage = batch * (g.Cin * g.InputVolume) + column.Base,
                BBatchStep = g.Cin * g.InputVolume,
                Od = od,
                Oh = oh,
                Ow = ow,
                Id = od * g.Sd + column.D,
                Ih = oh * g.Sh + column.H,
                Iw = ow * g.Sw + column.W,
            };
        }

        public void Stage(ArrayView<float> a, ArrayView<float> b)
        {
            var dy = Dy.SubView(AIndex);
            a[0] = dy[0];
            a[64] = dy[1];
            a[128] = dy[2];
            a[192] = dy[3];
            a[256] = dy[4];
            a[320] = dy[5];
            a[384] = dy[6];
            a[448] = dy[7];
            int iw = Iw, sw = G.Sw;
            bool rowIn = ((uint)Id < (uint)G.Di) & ((uint)Ih < (uint)G.Hi);
            uint wi = (uint)G.Wi;
            int i = BImage + (Id * G.Hi + Ih) * G.Wi + iw;
            b[0] = rowIn & ((uint)iw < wi) ? X[i] : 0f;
            b[64] = rowIn & ((uint)(iw + sw) < wi) ? X[i + sw] : 0f;
            b[128] = rowIn & ((uint)(iw + 2 * sw) < wi) ? X[i + 2 * sw] : 0f;
            b[192] = rowIn & ((uint)(iw + 3 * sw) < wi) ? X[i + 3 * sw] : 0f;
            b[256] = rowIn & ((uint)(iw + 4 * sw) < wi) ? X[i + 4 * sw] : 0f;
            b[320] = rowIn & ((uint)(iw + 5 * sw) < wi) ? X[i + 5 * sw] : 0f;
            b[384] = rowIn & ((uint)(iw + 6 * sw) < wi) ? X[i + 6 * sw] : 0f;
            b[448] = rowIn & ((uint)(iw + 7 * sw) < wi) ? X[i + 7 * sw] : 0f;
            // 8 positions on along the width, carrying (without branches) into height, depth and batch entry.
            int w8 = Ow + 8;
            int cw = w8 == G.Wo ? 1 : 0;
            int h = Oh + cw;
            int ch = h == G.Ho ? 1 : 0;
            int d = Od + ch;
            int cd = d == G.Do ? 1 : 0;
            Ow = w8 - cw * G.Wo;
            Oh = h - ch * G.Ho;
            Od = d - cd * G.Do;
            Iw += G.Sw * (8 - cw * G.Wo);
            Ih += G.Sh * (cw - ch * G.Ho);
            Id += G.Sd * (ch - cd * G.Do);
            AIndex += 8 + cd * ABatchJump;
            BImage += cd * BBatchStep;
        }
    }
}
