using System.Diagnostics;

namespace Gan3D.Cli.Commands;

/// <summary>Plain progress lines ("rendered 40/889") at most about once a second, for slow commands.</summary>
internal sealed class Progress(TextWriter output, string verb)
{
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly Lock _gate = new();
    private long _lastMs;

    /// <summary>Reports <paramref name="done"/> of <paramref name="total"/>; prints only when a second has passed.</summary>
    public void Report(int done, int total)
    {
        lock (_gate)
        {
            long now = _clock.ElapsedMilliseconds;
            if (now - _lastMs < 1000 || done >= total)
            {
                return;
            }
            _lastMs = now;
            output.WriteLine($"{verb} {done}/{total} ({now / 1000.0:F0} s)");
        }
    }

    public double Seconds => _clock.Elapsed.TotalSeconds;
}
