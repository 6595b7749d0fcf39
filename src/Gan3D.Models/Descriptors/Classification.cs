using Gan3D.Tensors;

namespace Gan3D.Models;

/// <summary>Accuracy, per-class accuracy and the confusion matrix of one evaluation.</summary>
public sealed record ClassificationResult(
    double Accuracy,
    IReadOnlyDictionary<string, double> PerClass,
    int[][] Confusion,
    IReadOnlyList<string> Labels,
    double Lambda,
    int TestCount);

/// <summary>
/// The evaluation protocols of the shape descriptor: a train/test split with λ chosen by
/// cross-validation on the training part, and k-fold cross-validation (λ chosen inside each fold).
/// </summary>
public static class Classification
{
    /// <summary>Regularisation strengths tried by cross-validation.</summary>
    public static readonly double[] DefaultLambdas = [1e-4, 1e-3, 1e-2, 1e-1];

    /// <summary>Fits on the training rows (λ by <paramref name="innerFolds"/>-fold CV on them) and scores the test rows.</summary>
    public static ClassificationResult TrainTest(float[] xTrain, int[] yTrain, float[] xTest, int[] yTest, int f,
        IReadOnlyList<string> labels, ulong seed, double[]? lambdas = null, int innerFolds = 3, int threads = 2)
    {
        double lambda = SelectLambda(xTrain, yTrain, f, labels.Count, lambdas ?? DefaultLambdas, innerFolds, seed, threads);
        var model = LogisticRegression.Fit(xTrain, f, yTrain, labels.Count, lambda, threads: threads);
        return Score(model.Predict(xTest), yTest, labels, lambda);
    }

    /// <summary>
    /// k-fold cross-validation: each fold is scored by a model fitted on the others (with its own λ
    /// chosen by inner CV); the confusion matrices add up over folds.
    /// </summary>
    public static ClassificationResult CrossValidate(float[] x, int[] y, int f, IReadOnlyList<string> labels, int folds, ulong seed,
        double[]? lambdas = null, int innerFolds = 3, int threads = 2, Action<int, int>? progress = null)
    {
        var fold = StratifiedFolds(y, labels.Count, folds, seed);
        var predictions = new int[y.Length];
        var chosen = new List<double>();
        for (int k = 0; k < folds; k++)
        {
            var (xTr, yTr, xTe, _, testIdx) = Split(x, y, f, fold, k);
            double lambda = SelectLambda(xTr, yTr, f, labels.Count, lambdas ?? DefaultLambdas, innerFolds, seed + (ulong)k, threads);
            chosen.Add(lambda);
            var model = LogisticRegression.Fit(xTr, f, yTr, labels.Count, lambda, threads: threads);
            var p = model.Predict(xTe);
            for (int i = 0; i < testIdx.Length; i++)
            {
                predictions[testIdx[i]] = p[i];
            }
            progress?.Invoke(k + 1, folds);
        }
        return Score(predictions, y, labels, chosen.OrderBy(v => v).ElementAt(chosen.Count / 2));
    }

    /// <summary>The λ with the best mean accuracy over <paramref name="folds"/> folds (ties: the stronger λ).</summary>
    public static double SelectLambda(float[] x, int[] y, int f, int classes, double[] lambdas, int folds, ulong seed, int threads = 2)
    {
        if (lambdas.Length == 1)
        {
            return lambdas[0];
        }
        int minClass = Enumerable.Range(0, classes).Min(c => y.Count(v => v == c));
        folds = Math.Min(folds, minClass);
        if (folds < 2)
        {
            return lambdas[lambdas.Length / 2];
        }
        var fold = StratifiedFolds(y, classes, folds, seed);
        double best = -1, bestLambda = lambdas[0];
        foreach (double lambda in lambdas.OrderByDescending(v => v))
        {
            int correct = 0;
            for (int k = 0; k < folds; k++)
            {
                var (xTr, yTr, xTe, yTe, _) = Split(x, y, f, fold, k);
                var p = LogisticRegression.Fit(xTr, f, yTr, classes, lambda, maxIterations: 150, threads: threads).Predict(xTe);
                correct += p.Where((v, i) => v == yTe[i]).Count();
            }
            if (correct > best)
            {
                best = correct;
                bestLambda = lambda;
            }
        }
        return bestLambda;
    }

    /// <summary>Fold of each row: every class dealt round-robin over the folds after a seeded shuffle.</summary>
    public static int[] StratifiedFolds(int[] y, int classes, int folds, ulong seed)
    {
        var fold = new int[y.Length];
        var rng = new Rng(seed);
        for (int c = 0; c < classes; c++)
        {
            var idx = Enumerable.Range(0, y.Length).Where(i => y[i] == c).ToArray();
            rng.Shuffle(idx.AsSpan());
            for (int i = 0; i < idx.Length; i++)
            {
                fold[idx[i]] = i % folds;
            }
        }
        return fold;
    }

    private static (float[] XTrain, int[] YTrain, float[] XTest, int[] YTest, int[] TestIndex) Split(float[] x, int[] y, int f, int[] fold, int k)
    {
        var tr = Enumerable.Range(0, y.Length).Where(i => fold[i] != k).ToArray();
        var te = Enumerable.Range(0, y.Length).Where(i => fold[i] == k).ToArray();
        return (Rows(x, f, tr), tr.Select(i => y[i]).ToArray(), Rows(x, f, te), te.Select(i => y[i]).ToArray(), te);
    }

    public static float[] Rows(float[] x, int f, IReadOnlyList<int> rows)
    {
        var r = new float[(long)rows.Count * f];
        for (int i = 0; i < rows.Count; i++)
        {
            Array.Copy(x, (long)rows[i] * f, r, (long)i * f, f);
        }
        return r;
    }

    public static ClassificationResult Score(int[] predicted, int[] truth, IReadOnlyList<string> labels, double lambda)
    {
        int c = labels.Count;
        var confusion = new int[c][];
        for (int i = 0; i < c; i++)
        {
            confusion[i] = new int[c];
        }
        for (int i = 0; i < truth.Length; i++)
        {
            confusion[truth[i]][predicted[i]]++;
        }
        var perClass = new Dictionary<string, double>();
        for (int i = 0; i < c; i++)
        {
            int total = confusion[i].Sum();
            perClass[labels[i]] = total == 0 ? double.NaN : (double)confusion[i][i] / total;
        }
        int correct = Enumerable.Range(0, c).Sum(i => confusion[i][i]);
        return new ClassificationResult(truth.Length == 0 ? 0 : (double)correct / truth.Length, perClass, confusion, labels, lambda, truth.Length);
    }
}
