using System.Globalization;
using System.Text;
using Gan3D.Data;

namespace Gan3D.Models;

/// <summary>
/// metrics.csv of a run (one row per step, header first) and the in-memory history behind losses.png.
/// On resume the rows after the checkpoint's step are dropped, so the file continues without gaps or repeats.
/// </summary>
public sealed class MetricsLog
{
    private readonly string _path;
    private readonly List<double[]> _rows = new();
    private string[]? _columns;

    public MetricsLog(string path, long resumeFromStep = -1)
    {
        _path = path;
        if (resumeFromStep >= 0 && File.Exists(path))
        {
            Load(resumeFromStep);
        }
        else if (File.Exists(path))
        {
            File.Delete(path);
        }
    }

    public IReadOnlyList<string>? Columns => _columns;

    public int Count => _rows.Count;

    private void Load(long lastStep)
    {
        var lines = File.ReadAllLines(_path);
        if (lines.Length == 0)
        {
            return;
        }
        _columns = lines[0].Split(',')[1..];
        for (int i = 1; i < lines.Length; i++)
        {
            var cells = lines[i].Split(',');
            if (cells.Length != _columns.Length + 1 || !long.TryParse(cells[0], CultureInfo.InvariantCulture, out long step))
            {
                throw new InvalidDataException($"{_path}:{i + 1}: malformed metrics row");
            }
            if (step > lastStep)
            {
                break;
            }
            _rows.Add(cells.Select(c => double.Parse(c, CultureInfo.InvariantCulture)).ToArray());
        }
        Rewrite();
    }

    public void Append(TrainingStepReport report)
    {
        if (_columns is null)
        {
            _columns = report.Metrics.Select(m => m.Name).ToArray();
            File.WriteAllText(_path, "step," + string.Join(',', _columns) + "\n");
        }
        var row = new double[_columns.Length + 1];
        row[0] = report.Step;
        for (int i = 0; i < _columns.Length; i++)
        {
            row[i + 1] = report.Metrics[i].Value;
        }
        _rows.Add(row);
        File.AppendAllText(_path, Format(row) + "\n");
    }

    private void Rewrite()
    {
        var sb = new StringBuilder("step," + string.Join(',', _columns!) + "\n");
        foreach (var row in _rows)
        {
            sb.Append(Format(row)).Append('\n');
        }
        AtomicFile.WriteAllText(_path, sb.ToString());
    }

    private static string Format(double[] row) =>
        string.Join(',', row.Select((v, i) => i == 0 ? ((long)v).ToString(CultureInfo.InvariantCulture) : v.ToString("G7", CultureInfo.InvariantCulture)));

    /// <summary>The chart of the given panels; each series is smoothed with a window of about 1% of the run.</summary>
    public RgbImage Plot(IReadOnlyList<(string Title, string[] Columns)> layout)
    {
        var steps = _rows.Select(r => r[0]).ToArray();
        int window = Math.Max(1, _rows.Count / 100);
        var panels = new List<ChartPanel>();
        foreach (var (title, columns) in layout)
        {
            var series = new List<ChartSeries>();
            for (int c = 0; c < columns.Length; c++)
            {
                int col = Array.IndexOf(_columns ?? [], columns[c]);
                if (col < 0)
                {
                    continue;
                }
                var y = Smooth(_rows.Select(r => r[col + 1]).ToArray(), window);
                series.Add(new ChartSeries(columns[c].Replace('_', ' '), steps, y, LineChart.Palette[c % LineChart.Palette.Length]));
            }
            panels.Add(new ChartPanel(title, series));
        }
        return LineChart.Render(panels);
    }

    /// <summary>Trailing moving average (the raw per-step losses of a GAN are too noisy to read).</summary>
    private static double[] Smooth(double[] v, int window)
    {
        var r = new double[v.Length];
        double sum = 0;
        int n = 0;
        for (int i = 0; i < v.Length; i++)
        {
            if (double.IsFinite(v[i]))
            {
                sum += v[i];
                n++;
            }
            if (i >= window && double.IsFinite(v[i - window]))
            {
                sum -= v[i - window];
                n--;
            }
            r[i] = n > 0 ? sum / n : double.NaN;
        }
        return r;
    }
}
