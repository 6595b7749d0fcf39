namespace Gan3D.Kernels;

/// <summary>
/// A run of consecutive GEMM column coordinates along one axis (output positions forward, a parity class's
/// input positions backward-data, taps backward-weight) whose taps land inside the tensor for the same
/// interval of reduction coordinates [T0, T0 + Taps). A GEMM over one run per axis multiplies no zero of the
/// padding border, and its gather needs no bounds check.
/// </summary>
public struct BorderRun
{
    /// <summary>First column coordinate of the run.</summary>
    public int C0;

    /// <summary>Column coordinates in the run.</summary>
    public int Count;

    /// <summary>First reduction coordinate inside the tensor.</summary>
    public int T0;

    /// <summary>Reduction coordinates inside the tensor (0 when every tap of the run is on padding).</summary>
    public int Taps;
}

/// <summary>
/// The border split of one axis, written once for the kernels and the launch plans: column coordinate c and
/// reduction coordinate t meet the tensor at A·c + B·t + E, inside when in [0, L). Per c the inside t form an
/// interval whose ends never decrease with c, so equal intervals come in runs; the kernels find run i by
/// walking c (a few dozen steps once per thread, where the reduction runs thousands).
/// <list type="bullet">
/// <item>Forward: c = output position o, t = tap k: o·s − p + k (A = s, B = 1, E = −p, L = input extent).</item>
/// <item>Backward-data of a parity class: c = j, t = tap index: output j + Base − t (A = 1, B = −1, E = Base, L = output extent).</item>
/// <item>Backward-weight: c = tap k, t = output position o: o·s − p + k (A = 1, B = s, E = −p, L = input extent).</item>
/// </list>
/// </summary>
public struct BorderAxis
{
    public int A, B, E, L;

    /// <summary>Column coordinates [0, Columns).</summary>
    public int Columns;

    /// <summary>Reduction coordinates [0, Reduction).</summary>
    public int Reduction;

    /// <summary>Forward along an axis: columns are the output positions, the reduction the taps.</summary>
    public static BorderAxis Forward(int stride, int pad, int kernel, int inExtent, int outExtent) =>
        new() { A = stride, B = 1, E = -pad, L = inExtent, Columns = outExtent, Reduction = kernel };

    /// <summary>Backward-data of the parity class <paramref name="a"/>: columns its positions j, the reduction its taps.</summary>
    public static BorderAxis BackwardData(ParityAxis a, int outExtent) =>
        new() { A = 1, B = -1, E = a.Base, L = outExtent, Columns = a.Count, Reduction = a.Taps };

    /// <summary>Backward-weight along an axis: columns are the taps, the reduction the output positions.</summary>
    public static BorderAxis BackwardWeight(int stride, int pad, int kernel, int inExtent, int outExtent) =>
        new() { A = 1, B = stride, E = -pad, L = inExtent, Columns = kernel, Reduction = outExtent };

    /// <summary>The inside reduction coordinates of column <paramref name="c"/>: [lo, hi), (0, 0) when none.</summary>
    public readonly void Inside(int c, out int lo, out int hi)
    {
        int at = A * c + E;
        // No tuples: this runs inside kernels.
        if (B == 1)
        {
            lo = -at;
            hi = L - at;
        }
        else if (B == -1)
        {
            lo = at - L + 1;
            hi = at + 1;
        }
        else
        {
            lo = CeilDiv(-at, B);
            hi = CeilDiv(L - at, B);
        }
        lo = Math.Max(lo, 0);
        hi = Math.Min(hi, Reduction);
        if (hi <= lo)
        {
            lo = 0;
            hi = 0;
        }
    }

    /// <summary>How many runs the axis has (0 when it has no column).</summary>
    public readonly int Runs()
    {
        int runs = 0, lastLo = -1, lastHi = -1;
        for (int c = 0; c < Columns; c++)
        {
            Inside(c, out int lo, out int hi);
            if (lo != lastLo || hi != lastHi)
            {
                runs++;
                lastLo = lo;
                lastHi = hi;
            }
        }
        return runs;
    }

    /// <summary>Run <paramref name="index"/> (0 ≤ index &lt; <see cref="Runs"/>).</summary>
    public readonly BorderRun Run(int index)
    {
        var run = default(BorderRun);
        int runs = -1, lastLo = -1, lastHi = -1;
        for (int c = 0; c < Columns; c++)
        {
            Inside(c, out int lo, out int hi);
            if (lo != lastLo || hi != lastHi)
            {
                runs++;
                lastLo = lo;
                lastHi = hi;
                if (runs == index)
                {
                    run.C0 = c;
                    run.T0 = lo;
                    run.Taps = hi - lo;
                }
            }
            if (runs == index)
            {
                run.Count++;
            }
        }
        return run;
    }

    /// <summary>
    /// Run <paramref name="index"/> of backward-data's border split along an axis: the parity classes in
    /// residue order, each cut into its runs, as a parity axis of its own (the run's positions and taps).
    /// </summary>
    public static ParityAxis BackwardDataRun(int index, int pad, int stride, int kernel, int inExtent, int outExtent)
    {
        for (int r = 0; r < stride; r++)
        {
            var a = ParityAxis.Create(r, pad, stride, kernel, inExtent);
            var axis = BackwardData(a, outExtent);
            int runs = axis.Runs();
            if (index < runs)
            {
                var run = axis.Run(index);
                return new ParityAxis
                {
                    K0 = a.K0 + stride * run.T0,
                    Taps = run.Taps,
                    Base = a.Base + run.C0 - run.T0,
                    Count = run.Count,
                    Residue = r + stride * run.C0,
                };
            }
            index -= runs;
        }
        return default;
    }

    /// <summary>How many runs backward-data's border split has along an axis (all parity classes).</summary>
    public static int BackwardDataRuns(int pad, int stride, int kernel, int inExtent, int outExtent)
    {
        int runs = 0;
        for (int r = 0; r < stride; r++)
        {
            runs += BackwardData(ParityAxis.Create(r, pad, stride, kernel, inExtent), outExtent).Runs();
        }
        return runs;
    }

    /// <summary>⌈a / b⌉ for b &gt; 0 and any sign of a.</summary>
    private static int CeilDiv(int a, int b) => a >= 0 ? (a + b - 1) / b : -(-a / b);
}
