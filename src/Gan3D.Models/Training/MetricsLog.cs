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
    private readonly Action<string>? _log;

    /// <param name="path">metrics.csv of the run.</param>
    /// <param name="resumeFromStep">The checkpoint's step when resuming (rows after it are dropped); -1 starts a new file.</param>
    /// <param name="log">Receives a line when a torn last row is dropped.</param>
    public MetricsLog(string path, long resumeFromStep = -1, Action<string>? log = null)
    {
        _path = path;
        _log = log;
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

    /// <summary>The last <paramref name="n"/> (or fewer) values of a column, oldest first; none when the log lacks the column.</summary>
    public IEnumerable<double> Tail(string column, int n)
    {
        int c = Array.IndexOf(_columns ?? [], column);
        return c < 0 ? [] : _rows.Skip(Math.Max(0, _rows.Count - n)).Select(r => r[c + 1]);
    }

    private void Load(long lastStep)
    {
        string text = File.ReadAllText(_path);
        var lines = text.Split('\n');
        // Every row ends with a newline; text after the last one is a row cut short by a kill mid-append.
        int complete = lines.Length - 1;
        if (lines[^1].Length > 0)
        {
            _log?.Invoke($"{_path}:{lines.Length}: dropped an incomplete last row (the run was stopped while writing it)");
        }
        if (complete == 0)
        {
            return;
        }
        _columns = lines[0].Split(',')[1..];
        if (lines[0].Split(',')[0] != "step" || _columns.Length == 0)
        {
            throw new InvalidDataException($"{_path}:1: not a metrics header (step,NAME,...)");
        }
        for (int i = 1; i < complete; i++)
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
            if (_rows.Count > 0 && step <= (long)_rows[^1][0])
            {
                // Two writers once interleaved their rows here; the checkpoint holds one run, so keep one row a step.
                _log?.Invoke($"{_path}:{i + 1}: dropped a row for step {step}, which does not follow step {(long)_rows[^1][0]}");
                continue;
            }
            var row = new double[cells.Length];
            for (int c = 0; c < cells.Length; c++)
            {
                if (!double.TryParse(cells[c], NumberStyles.Float, CultureInfo.InvariantCulture, out row[c]))
                {
                    throw new InvalidDataException($"{_path}:{i + 1}: '{cells[c]}' is not a number");
                }
            }
            _rows.Add(row);
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
        var names = report.Metrics.Select(m => m.Name).ToArray();
        if (!names.SequenceEqual(_columns))
        {
            if (!IsWidening(_columns, names))
            {
                throw new InvalidDataException($"{_path}: its columns ({string.Join(',', _columns)}) are not this run's ({string.Join(',', names)})");
            }
            Widen(names);
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

    /// <summary>Whether <paramref name="names"/> holds every old column, in the same order, and only new ones beside them.</summary>
    private static bool IsWidening(string[] old, string[] names)
    {
        int i = 0;
        foreach (string n in names)
        {
            if (i < old.Length && n == old[i])
            {
                i++;
            }
            else if (old.Contains(n))
            {
                return false;
            }
        }
        return i == old.Length && names.Distinct().Count() == names.Length;
    }

    /// <summary>
    /// A run resumed by a build that logs more (e.g. loss_penalty): the earlier rows get NaN in the new columns (the
    /// plots and the spike watch skip it) and the file is rewritten with the new header.
    /// </summary>
    private void Widen(string[] names)
    {
        int[] from = names.Select(n => Array.IndexOf(_columns!, n)).ToArray();
        for (int r = 0; r < _rows.Count; r++)
        {
            var row = new double[names.Length + 1];
            row[0] = _rows[r][0];
            for (int c = 0; c < names.Length; c++)
            {
                row[c + 1] = from[c] < 0 ? double.NaN : _rows[r][from[c] + 1];
            }
            _rows[r] = row;
        }
        var added = names.Where(n => !_columns!.Contains(n)).ToArray();
        _columns = names;
        Rewrite();
        _log?.Invoke($"{_path}: new column{(added.Length > 1 ? "s" : "")} {string.Join(", ", added)} (NaN in the {_rows.Count} row{(_rows.Count == 1 ? "" : "s")} before)");
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
