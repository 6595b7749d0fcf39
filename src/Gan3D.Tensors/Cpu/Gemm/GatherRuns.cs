using System.Runtime.Intrinsics;

namespace Gan3D.Tensors;

/// <summary>
/// The columns of a gathered operand cut into runs: consecutive columns whose memory offsets advance
/// by one fixed step (an output row of a convolution, or the same position across a batch). The source
/// is zero-padded by the caller so that every gathered element is in range: a run is a plain strided
/// copy, usually contiguous.
/// </summary>
internal sealed class GatherRuns
{
    public int Count;
    public Run[] Items = new Run[64];

    /// <summary>Columns [Start, Start + Length) of the block read src[rowOffset + Off + q·Step].</summary>
    public struct Run
    {
        public int Start;
        public int Length;
        public int Off;
        public int Step;
    }

    /// <summary>
    /// Cuts columns [j0, j0 + n) with offsets <paramref name="colOff"/> into runs that never cross a
    /// multiple of <paramref name="panel"/> (so each lies inside one packed panel; 0 = no limit).
    /// </summary>
    public void Build(int[] colOff, int j0, int n, int panel)
    {
        Count = 0;
        int j = 0;
        while (j < n)
        {
            int c = j0 + j;
            int limit = panel > 0 ? Math.Min(n, (j / panel + 1) * panel) : n;
            int len = 1, step = 1;
            if (j + 1 < limit)
            {
                step = colOff[c + 1] - colOff[c];
                len = 2;
                while (j + len < limit && colOff[c + len] - colOff[c + len - 1] == step)
                {
                    len++;
                }
            }
            if (Count == Items.Length)
            {
                Array.Resize(ref Items, Count * 2);
            }
            Items[Count++] = new Run { Start = j, Length = len, Off = colOff[c], Step = step };
            j += len;
        }
    }

    /// <summary>dst[q] = src[ro + run.Off + q·run.Step] for the run's columns.</summary>
    public static unsafe void Copy(in Run run, float* src, int ro, float* dst)
    {
        float* s = src + ro + run.Off;
        int len = run.Length;
        if (run.Step == 1)
        {
            Buffer.MemoryCopy(s, dst, len * sizeof(float), len * sizeof(float));
        }
        else
        {
            int step = run.Step;
            for (int q = 0; q < len; q++)
            {
                dst[q] = s[(long)q * step];
            }
        }
    }

    /// <summary>As <see cref="Copy"/> (version 3), with contiguous runs copied by inline vector moves.</summary>
    public static unsafe void CopyShort(in Run run, float* src, int ro, float* dst)
    {
        float* s = src + ro + run.Off;
        int len = run.Length;
        if (run.Step == 1)
        {
            // Runs are short (an output row: 4 to 32 floats); a call to MemoryCopy costs more than the copy.
            int q = 0;
            for (; q + 8 <= len; q += 8)
            {
                Vector256.Store(Vector256.Load(s + q), dst + q);
            }
            if (q + 4 <= len)
            {
                Vector128.Store(Vector128.Load(s + q), dst + q);
                q += 4;
            }
            for (; q < len; q++)
            {
                dst[q] = s[q];
            }
        }
        else
        {
            int step = run.Step;
            for (int q = 0; q < len; q++)
            {
                dst[q] = s[(long)q * step];
            }
        }
    }

    /// <summary>acc[q] += a · src[ro + run.Off + q·run.Step] for the run's columns.</summary>
    public static unsafe void MultiplyAdd(in Run run, float* src, int ro, float a, float* acc)
    {
        float* s = src + ro + run.Off;
        int len = run.Length;
        if (run.Step == 1)
        {
            var sv = new ReadOnlySpan<float>(s, len);
            var av = new Span<float>(acc, len);
            System.Numerics.Tensors.TensorPrimitives.MultiplyAdd(sv, a, av, av);
        }
        else
        {
            int step = run.Step;
            for (int q = 0; q < len; q++)
            {
                acc[q] += a * s[(long)q * step];
            }
        }
    }
}
