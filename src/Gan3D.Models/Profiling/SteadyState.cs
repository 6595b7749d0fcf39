using System.Diagnostics;
using System.Runtime;

namespace Gan3D.Models;

/// <summary>
/// Warm-up before timing, so that a timing measures the code a long run executes. .NET compiles a method
/// first without optimisation (tier 0) and recompiles it optimised, with the profile it gathered, only
/// after it has been called 30 times, counting from the first 100 ms without new tier-0 code; a loop runs
/// unoptimised until on-stack replacement moves it. One warm-up call therefore times the packing, gathering
/// and bookkeeping code of a small layer at tier 0: at 32³, width 0.25, batch 16, the layers summed to 184 ms
/// after one call against 134 ms warmed up (the generator's second layer's forward 15.5 ms against 4.7 ms).
/// </summary>
public static class SteadyState
{
    /// <summary>Calls made before timing at least, when warming up (above the JIT's 30).</summary>
    public const int MinCalls = 40;

    /// <summary>How long without a newly compiled method ends the warm-up (the JIT's delay is 100 ms).</summary>
    public const double QuietSeconds = 0.25;

    /// <summary>
    /// Calls <paramref name="call"/> until it runs compiled code: at least <see cref="MinCalls"/> times, for at least
    /// <paramref name="seconds"/>, and until <see cref="QuietSeconds"/> pass without the JIT compiling a method, but for no
    /// longer than 10 times <paramref name="seconds"/> (a call that takes seconds is timed after fewer calls: its time is
    /// then in the already optimised kernels). With <paramref name="seconds"/> 0, one call (kernels loaded, memory pool
    /// filled). Returns the number of calls.
    /// </summary>
    /// <param name="call">The work that will be timed.</param>
    /// <param name="seconds">The least warm-up time (0: a single call).</param>
    public static int WarmUp(Action call, double seconds)
    {
        var clock = Stopwatch.StartNew();
        return WarmUp(call, seconds, () => JitInfo.GetCompiledMethodCount(currentThread: false), () => clock.Elapsed.TotalSeconds);
    }

    /// <summary>As <see cref="WarmUp(Action, double)"/>, with the count of compiled methods and the clock (seconds) given (tests).</summary>
    internal static int WarmUp(Action call, double seconds, Func<long> compiledMethods, Func<double> clock)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(seconds);
        double start = clock();
        call();
        if (seconds == 0)
        {
            return 1;
        }
        long compiled = compiledMethods();
        double quietFrom = 0;
        int calls = 1;
        while (true)
        {
            double now = clock() - start;
            long count = compiledMethods();
            if (count != compiled)
            {
                compiled = count;
                quietFrom = now;
            }
            if (now >= 10 * seconds || (calls >= MinCalls && now >= seconds && now - quietFrom >= QuietSeconds))
            {
                return calls;
            }
            call();
            calls++;
        }
    }
}
