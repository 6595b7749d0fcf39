using Gan3D.Data;
using Gan3D.Tensors;

namespace Gan3D.Models;

/// <summary>How the labelled shapes are split for scoring.</summary>
public sealed record DescriptorProtocol
{
    /// <summary>With no test set: the stratified fraction held out for testing (ignored when <see cref="Folds"/> &gt; 0).</summary>
    public double TestFraction { get; init; } = 0.2;

    /// <summary>With no test set: k-fold cross-validation instead of one split (0 = off).</summary>
    public int Folds { get; init; }

    public ulong Seed { get; init; }

    public int BatchSize { get; init; } = 32;

    public int Threads { get; init; } = 2;

    /// <summary>
    /// Also score the classifier trained on this many shapes per class (int.MaxValue = all) on the same
    /// test shapes: the paper's limited-data experiment. Needs a test split (not cross-validation).
    /// </summary>
    public IReadOnlyList<int>? FewShot { get; init; }
}

/// <summary>Accuracy against training shapes per class, for one kind of feature.</summary>
public sealed record FewShotCurve(string Features, IReadOnlyList<(int PerClass, double Accuracy)> Points);

/// <summary>
/// The classifier on D's features beside the same classifier on two baselines, on one split.
/// <see cref="Gan"/> is the trained network's row, named <see cref="TrainedName"/>.
/// </summary>
public sealed record DescriptorReport(
    string TrainedName,
    string Protocol,
    IReadOnlyList<string> Labels,
    int TrainCount,
    int TestCount,
    int FeatureCount,
    ClassificationResult Gan,
    ClassificationResult RandomD,
    ClassificationResult RawVoxels,
    IReadOnlyList<FewShotCurve> FewShot);

/// <summary>
/// The paper's shape-descriptor experiment: a linear classifier on a trained D's pooled features,
/// scored beside the same classifier on a randomly initialised D of the same architecture and on raw
/// voxels pooled to 8³, on the same split.
/// </summary>
public static class DescriptorExperiment
{
    /// <summary>The trained network's row for a 3D-GAN's discriminator.</summary>
    public const string DiscriminatorFeatures = "GAN discriminator";

    /// <summary>The trained network's row for a latent model's encoder (D's network trained without an adversary).</summary>
    public const string EncoderFeatures = "latent encoder";

    /// <summary>Labels as class indices into <paramref name="labels"/>; unknown labels are an error naming the set.</summary>
    public static int[] ClassIndices(VoxelDataset data, IReadOnlyList<string> labels, string what)
    {
        if (data.Labels is null)
        {
            throw new ArgumentException($"the {what} shapes have no labels");
        }
        var map = labels.Select((l, i) => (l, i)).ToDictionary(t => t.l, t => t.i);
        return data.Labels.Select(l => map.TryGetValue(l, out int i) ? i
            : throw new ArgumentException($"the {what} set has class '{l}', which the training set lacks")).ToArray();
    }

    /// <summary>Checks that the labelled set can train a classifier: two classes or more, two shapes a class or more.</summary>
    public static void CheckTrainable(VoxelDataset train)
    {
        var names = train.ClassNames;
        if (names.Count < 2)
        {
            throw new ArgumentException($"classification needs at least two classes, got {names.Count} ({string.Join(", ", names)})");
        }
        foreach (var name in names)
        {
            int n = train.Labels!.Count(l => l == name);
            if (n < 2)
            {
                throw new ArgumentException($"class '{name}' has {n} shape; each class needs at least 2");
            }
        }
    }

    /// <summary>
    /// Scores the three feature kinds: on <paramref name="test"/> when given, else by k-fold
    /// cross-validation when <see cref="DescriptorProtocol.Folds"/> &gt; 1, else on a stratified held-out
    /// fraction of <paramref name="train"/>. The trained network's row is named <paramref name="trainedName"/>: a 3D-GAN's
    /// discriminator, or a latent model's encoder (D's network too).
    /// </summary>
    public static DescriptorReport Run(Discriminator3D trainedD, VoxelDataset train, VoxelDataset? test, DescriptorProtocol protocol,
        Action<string>? log = null, string trainedName = DiscriminatorFeatures)
    {
        CheckTrainable(train);
        if (protocol.FewShot is not null && test is null && protocol.Folds > 1)
        {
            throw new ArgumentException("the few-shot curve needs one train/test split, not cross-validation");
        }
        var arch = trainedD.Architecture;
        if (arch.DiscriminatorPack > 1)
        {
            throw new ArgumentException($"the checkpoint's D judges {arch.DiscriminatorPack} shapes together (trained with a pack): it has no features of a single shape; classify with a run trained without one");
        }
        foreach (var (set, what) in new[] { (train, "training"), (test, "test") })
        {
            if (set is not null && set.Resolution != arch.Resolution)
            {
                throw new ArgumentException($"the {what} shapes are {set.Resolution}³ but the checkpoint's model is {arch.Resolution}³");
            }
        }
        var labels = train.ClassNames;
        int[] yTrain = ClassIndices(train, labels, "training");
        int[]? yTest = test is null ? null : ClassIndices(test, labels, "test");
        using var randomD = new Discriminator3D(arch, trainedD.Backend, new Rng(protocol.Seed ^ 0xA5A5A5A5UL));

        var sets = new List<(string Name, float[] Train, float[]? Test, int F)>();
        foreach (var (name, extract, f) in new (string, Func<VoxelDataset, float[]>, int)[]
        {
            (trainedName, d => FeatureExtractor.Extract(trainedD, d, protocol.BatchSize), FeatureExtractor.FeatureCount(arch)),
            ("random discriminator", d => FeatureExtractor.Extract(randomD, d, protocol.BatchSize), FeatureExtractor.FeatureCount(arch)),
            ("raw voxels 8³", d => FeatureExtractor.PooledVoxels(d), 512),
        })
        {
            log?.Invoke($"features: {name} ({f} per shape)");
            sets.Add((name, extract(train), test is null ? null : extract(test), f));
        }

        string protocolName;
        var results = new List<ClassificationResult>();
        var curves = new List<FewShotCurve>();
        void Score(string name, float[] xtr, int[] ytr, float[] xte, int[] yte, int f)
        {
            log?.Invoke($"classifier: {name}");
            results.Add(Classification.TrainTest(xtr, ytr, xte, yte, f, labels, protocol.Seed, threads: protocol.Threads));
            if (protocol.FewShot is { } perClass)
            {
                log?.Invoke($"few-shot curve: {name}");
                curves.Add(new FewShotCurve(name, FewShot(xtr, ytr, xte, yte, f, labels, perClass, protocol.Seed, protocol.Threads)));
            }
        }
        if (test is not null)
        {
            protocolName = $"train on {train.Count}, test on {test.Count} given shapes";
            foreach (var (name, xtr, xte, f) in sets)
            {
                Score(name, xtr, yTrain, xte!, yTest!, f);
            }
        }
        else if (protocol.Folds > 1)
        {
            protocolName = $"{protocol.Folds}-fold cross-validation on {train.Count} shapes";
            foreach (var (name, xtr, _, f) in sets)
            {
                log?.Invoke($"classifier: {name}");
                results.Add(Classification.CrossValidate(xtr, yTrain, f, labels, protocol.Folds, protocol.Seed, threads: protocol.Threads,
                    progress: (k, n) => log?.Invoke($"  fold {k}/{n}")));
            }
        }
        else
        {
            var (trainIdx, testIdx) = StratifiedSplit(yTrain, labels.Count, protocol.TestFraction, protocol.Seed);
            protocolName = $"stratified split: train on {trainIdx.Length}, test on {testIdx.Length} held-out shapes";
            foreach (var (name, xtr, _, f) in sets)
            {
                Score(name, Classification.Rows(xtr, f, trainIdx), trainIdx.Select(i => yTrain[i]).ToArray(),
                    Classification.Rows(xtr, f, testIdx), testIdx.Select(i => yTrain[i]).ToArray(), f);
            }
        }
        int trainCount = test is null && protocol.Folds <= 1 ? train.Count - results[0].TestCount : train.Count;
        return new DescriptorReport(trainedName, protocolName, labels, trainCount, results[0].TestCount, sets[0].F, results[0], results[1], results[2], curves);
    }

    /// <summary>
    /// Per class, a seeded fraction·n of the shapes held out, rounded to the nearest whole shape
    /// (halves up; at least one, never all). Rounding up would hold out 2 of 10 for 0.11, and
    /// 0.1 · 30 = 3.0000000000000004 in binary floating point would give 4.
    /// </summary>
    public static (int[] Train, int[] Test) StratifiedSplit(int[] y, int classes, double fraction, ulong seed)
    {
        if (!(fraction > 0 && fraction < 1))
        {
            throw new ArgumentException($"the test fraction {fraction} must be between 0 and 1");
        }
        var rng = new Rng(seed ^ 0x5151UL);
        var train = new List<int>();
        var test = new List<int>();
        for (int c = 0; c < classes; c++)
        {
            var idx = Enumerable.Range(0, y.Length).Where(i => y[i] == c).ToArray();
            rng.Shuffle(idx.AsSpan());
            int nTest = Math.Clamp((int)Math.Round(fraction * idx.Length, MidpointRounding.AwayFromZero), 1, idx.Length - 1);
            test.AddRange(idx[..nTest]);
            train.AddRange(idx[nTest..]);
        }
        return ([.. train.Order()], [.. test.Order()]);
    }

    /// <summary>
    /// Accuracy on the test rows against the number of training shapes per class (the paper's
    /// limited-data experiment); "all" is int.MaxValue. λ is cross-validated when each class has 5 or more.
    /// </summary>
    public static IReadOnlyList<(int PerClass, double Accuracy)> FewShot(float[] xTrain, int[] yTrain, float[] xTest, int[] yTest, int f,
        IReadOnlyList<string> labels, IReadOnlyList<int> perClass, ulong seed, int threads = 2)
    {
        var rng = new Rng(seed ^ 0xF00DUL);
        var order = new int[labels.Count][];
        for (int c = 0; c < labels.Count; c++)
        {
            order[c] = Enumerable.Range(0, yTrain.Length).Where(i => yTrain[i] == c).ToArray();
            rng.Shuffle(order[c].AsSpan());
        }
        var result = new List<(int, double)>();
        foreach (int n in perClass)
        {
            var rows = order.SelectMany(o => o.Take(n)).Order().ToArray();
            var x = Classification.Rows(xTrain, f, rows);
            var y = rows.Select(i => yTrain[i]).ToArray();
            int smallest = order.Min(o => Math.Min(n, o.Length));
            double[] lambdas = smallest >= 5 ? Classification.DefaultLambdas : [1e-2];
            var r = Classification.TrainTest(x, y, xTest, yTest, f, labels, seed, lambdas, threads: threads);
            result.Add((n, r.Accuracy));
        }
        return result;
    }
}
