namespace Gan3D.Models;

/// <summary>
/// How close generated shapes are to a reference set (Achlioptas et al. 2018; Yang et al. 2019): 1-NNA, COV and MMD
/// (<see cref="GenerationMetrics.Evaluate"/>), and per sample the reference COV credits it to, its nearest with ties to
/// the lowest index (<see cref="NearestReference"/>).
/// </summary>
public sealed record GenerationReport(
    ShapeDistance Metric,
    int Samples,
    int References,
    double OneNna,
    double Coverage,
    double Mmd,
    int[] NearestReference);

/// <summary>COV within one class of a labelled reference set: its share of the class's references that some sample is
/// nearest to, and how many samples are nearest to one of them (a model that drops a class has both near 0); with the
/// samples' speck counts, the mean specks a sample over those samples (NaN when there are none or no counts).</summary>
public sealed record ClassCoverage(string Name, int References, double Coverage, int Samples, double MeanSpecks = double.NaN);

/// <summary>Each sample's nearest training shape: the memorisation check.</summary>
public sealed record MemorisationReport(float[] NearestDistance, int[] NearestIndex, int NearCopies, float NearCopyThreshold);

/// <summary>
/// 1-NNA, COV and MMD between a set of generated shapes and a reference set, from pairwise distances.
/// <list type="bullet">
/// <item>1-NNA: leave-one-out 1-nearest-neighbour accuracy of telling the two sets apart in their union
/// (50% is ideal; a tie between an own-set and an other-set neighbour counts against the classifier).</item>
/// <item>COV: the fraction of reference shapes that are the nearest reference of some sample.</item>
/// <item>MMD: the mean over reference shapes of the distance to their nearest sample.</item>
/// </list>
/// </summary>
public static class GenerationMetrics
{
    /// <summary>Distances between every shape of <paramref name="a"/> and every one of <paramref name="b"/> (row-major |a| × |b|), in parallel.</summary>
    public static float[] Pairwise(ShapeSet a, ShapeSet b, ShapeDistance metric, bool symmetric = false)
    {
        var d = new float[(long)a.Count * b.Count];
        Parallel.For(0, a.Count, i =>
        {
            int start = symmetric ? i : 0;
            for (int j = start; j < b.Count; j++)
            {
                float v = a.Distance(metric, i, b, j);
                d[(long)i * b.Count + j] = v;
                if (symmetric)
                {
                    d[(long)j * b.Count + i] = v;
                }
            }
        });
        return d;
    }

    /// <summary>
    /// Bytes that evaluating <paramref name="samples"/> generated shapes against <paramref name="references"/>
    /// (and <paramref name="training"/> shapes, 0 for none) needs at most: the pairwise distance
    /// matrices (float32 each: samples², references², samples × references, samples × training) and
    /// the shape sets (bits, plus a distance field of R³ floats a shape for Chamfer). In double
    /// precision, so no count can overflow it.
    /// </summary>
    public static double EstimateBytes(int samples, int references, int training, int resolution, ShapeDistance metric)
    {
        double n = samples, m = references, t = training, vox = (double)resolution * resolution * resolution;
        double matrices = 4 * (n * n + m * m + n * m + n * t);
        double perShape = vox / 8 + (metric == ShapeDistance.Chamfer ? 4 * vox : 0);
        return matrices + (n + m + t) * perShape;
    }

    public static GenerationReport Evaluate(ShapeSet samples, ShapeSet references, ShapeDistance metric)
    {
        int n = samples.Count, m = references.Count;
        if (n == 0 || m == 0)
        {
            throw new ArgumentException($"both sets must be non-empty ({n} samples, {m} references)");
        }
        var ss = Pairwise(samples, samples, metric, symmetric: true);
        var rr = Pairwise(references, references, metric, symmetric: true);
        var sr = Pairwise(samples, references, metric);

        // 1-NNA over the union, leave one out.
        int correct = 0;
        for (int i = 0; i < n; i++)
        {
            float own = float.PositiveInfinity, other = float.PositiveInfinity;
            for (int j = 0; j < n; j++)
            {
                if (j != i)
                {
                    own = Math.Min(own, ss[(long)i * n + j]);
                }
            }
            for (int j = 0; j < m; j++)
            {
                other = Math.Min(other, sr[(long)i * m + j]);
            }
            correct += own < other ? 1 : 0;
        }
        for (int j = 0; j < m; j++)
        {
            float own = float.PositiveInfinity, other = float.PositiveInfinity;
            for (int k = 0; k < m; k++)
            {
                if (k != j)
                {
                    own = Math.Min(own, rr[(long)j * m + k]);
                }
            }
            for (int i = 0; i < n; i++)
            {
                other = Math.Min(other, sr[(long)i * m + j]);
            }
            correct += own < other ? 1 : 0;
        }

        // COV: references matched as some sample's nearest (ties go to the lowest index).
        var nearest = new int[n];
        for (int i = 0; i < n; i++)
        {
            int best = 0;
            for (int j = 1; j < m; j++)
            {
                if (sr[(long)i * m + j] < sr[(long)i * m + best])
                {
                    best = j;
                }
            }
            nearest[i] = best;
        }

        // MMD: each reference's distance to its nearest sample, averaged.
        double mmd = 0;
        for (int j = 0; j < m; j++)
        {
            float best = float.PositiveInfinity;
            for (int i = 0; i < n; i++)
            {
                best = Math.Min(best, sr[(long)i * m + j]);
            }
            mmd += best;
        }
        return new GenerationReport(metric, n, m, (double)correct / (n + m), (double)nearest.Distinct().Count() / m, mmd / m, nearest);
    }

    /// <summary>
    /// <paramref name="report"/>'s COV split by the classes of its references (<paramref name="classOf"/>: each
    /// reference's index in <paramref name="classNames"/>): which classes the samples cover and which they drop. With
    /// <paramref name="sampleSpecks"/> (each sample's specks, <see cref="FragmentReport.SpecksOfEachShape"/>) each class
    /// also gets the mean specks of the samples nearest to it: which classes the specks come with.
    /// </summary>
    public static IReadOnlyList<ClassCoverage> CoverageByClass(GenerationReport report, IReadOnlyList<int> classOf, IReadOnlyList<string> classNames,
        IReadOnlyList<int>? sampleSpecks = null)
    {
        if (classOf.Count != report.References)
        {
            throw new ArgumentException($"{classOf.Count} reference classes for {report.References} references");
        }
        if (sampleSpecks is not null && sampleSpecks.Count != report.Samples)
        {
            throw new ArgumentException($"{sampleSpecks.Count} speck counts for {report.Samples} samples");
        }
        var covered = new bool[report.References];
        var samples = new int[classNames.Count];
        var specks = new long[classNames.Count];
        for (int i = 0; i < report.NearestReference.Length; i++)
        {
            int j = report.NearestReference[i];
            covered[j] = true;
            samples[classOf[j]]++;
            specks[classOf[j]] += sampleSpecks?[i] ?? 0;
        }
        var references = new int[classNames.Count];
        var coveredCount = new int[classNames.Count];
        for (int j = 0; j < report.References; j++)
        {
            references[classOf[j]]++;
            coveredCount[classOf[j]] += covered[j] ? 1 : 0;
        }
        return classNames.Select((name, c) => new ClassCoverage(name, references[c], references[c] == 0 ? 0 : (double)coveredCount[c] / references[c], samples[c],
                sampleSpecks is null || samples[c] == 0 ? double.NaN : (double)specks[c] / samples[c]))
            .ToList();
    }

    /// <summary>
    /// For each sample its nearest training shape and distance; a sample within
    /// <paramref name="threshold"/> of a training shape (e.g. 1 − IoU ≤ 0.1) counts as a near-copy.
    /// </summary>
    public static MemorisationReport Memorisation(ShapeSet samples, ShapeSet training, ShapeDistance metric, float threshold)
    {
        var d = Pairwise(samples, training, metric);
        int n = samples.Count, m = training.Count;
        var nearest = new float[n];
        var index = new int[n];
        for (int i = 0; i < n; i++)
        {
            int best = 0;
            for (int j = 1; j < m; j++)
            {
                if (d[(long)i * m + j] < d[(long)i * m + best])
                {
                    best = j;
                }
            }
            index[i] = best;
            nearest[i] = d[(long)i * m + best];
        }
        return new MemorisationReport(nearest, index, nearest.Count(v => v <= threshold), threshold);
    }
}
