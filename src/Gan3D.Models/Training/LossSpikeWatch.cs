namespace Gan3D.Models;

/// <summary>
/// Spots the jump of a non-negative loss that marks a diverging GAN before it turns into NaN (or never
/// does): a value above <see cref="Factor"/> times the median of the previous <see cref="Window"/> values
/// and above that median plus <see cref="Margin"/>. The two 3D-GAN runs of the recipe study that diverged
/// late (D's cross entropy from about 1 to 80 and to 1400 within a few iterations) trip it at their first
/// bad iterations, as does the run at twice that rate that diverged at about 300; none of the 30 other runs
/// in the study's logs does.
/// </summary>
public sealed class LossSpikeWatch
{
    private readonly Queue<double> _recent = new();
    private readonly double[] _sorted;

    public LossSpikeWatch(int window = 200, double factor = 10, double margin = 5)
    {
        if (window < 1 || !(factor > 1) || !(margin >= 0))
        {
            throw new ArgumentOutOfRangeException(nameof(window), $"window {window}, factor {factor}, margin {margin}: need a window of 1 or more, a factor above 1 and a margin of 0 or more");
        }
        Window = window;
        Factor = factor;
        Margin = margin;
        _sorted = new double[window];
    }

    public int Window { get; }

    public double Factor { get; }

    public double Margin { get; }

    /// <summary>The median of the values before the last <see cref="Observe"/> (NaN until the window is full).</summary>
    public double LastMedian { get; private set; } = double.NaN;

    /// <summary>
    /// Adds the loss of the next iteration; true when it is a spike against the window before it. Until
    /// the window is full nothing is a spike (the first iterations of a GAN swing widely). Non-finite
    /// values are left to the trainer's own check and not added.
    /// </summary>
    public bool Observe(double loss)
    {
        if (!double.IsFinite(loss))
        {
            return false;
        }
        bool spike = false;
        LastMedian = double.NaN;
        if (_recent.Count == Window)
        {
            _recent.CopyTo(_sorted, 0);
            Array.Sort(_sorted);
            LastMedian = Window % 2 == 1 ? _sorted[Window / 2] : 0.5 * (_sorted[Window / 2 - 1] + _sorted[Window / 2]);
            spike = loss > Factor * LastMedian && loss > LastMedian + Margin;
            _recent.Dequeue();
        }
        _recent.Enqueue(loss);
        return spike;
    }
}
