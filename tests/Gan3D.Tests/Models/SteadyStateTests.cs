using Gan3D.Models;

namespace Gan3D.Tests.Models;

/// <summary>
/// The warm-up before every timing of <c>gan3d profile</c> and the bench (<see cref="SteadyState"/>), on a simulated
/// clock and a simulated count of compiled methods: each call advances the clock by a fixed step.
/// </summary>
public sealed class SteadyStateTests
{
    /// <summary>Warms up a call that takes <paramref name="step"/> seconds; the JIT compiles a method at every call before <paramref name="compilingUntil"/> seconds.</summary>
    private static (int Calls, double Seconds) Simulate(double seconds, double step, double compilingUntil)
    {
        double now = 0;
        long compiled = 0;
        int calls = SteadyState.WarmUp(() =>
        {
            now += step;
            if (now <= compilingUntil)
            {
                compiled++;
            }
        }, seconds, () => compiled, () => now);
        return (calls, now);
    }

    [Fact]
    public void ZeroSecondsIsOneCall()
    {
        Assert.Equal(1, Simulate(0, 0.5, 100).Calls);
        Assert.Throws<ArgumentOutOfRangeException>(() => Simulate(-1, 0.5, 0));
    }

    [Fact]
    public void FastCallsRunAtLeastTheCallsTheSecondsAndAQuietSpell()
    {
        // 1 ms a call, nothing compiled: the quiet spell (0.25 s) and the seconds (1 s) outlast the 40 calls.
        var (calls, seconds) = Simulate(1, 0.001, 0);
        Assert.InRange(seconds, 1.0, 1.0 + 0.0011);
        Assert.Equal(1000, calls, tolerance: 1);
        // Compiling until 1.5 s: warm-up goes on until 0.25 s after the last compilation.
        (calls, seconds) = Simulate(1, 0.001, 1.5);
        Assert.InRange(seconds, 1.5 + SteadyState.QuietSeconds, 1.5 + SteadyState.QuietSeconds + 0.0021);
    }

    [Fact]
    public void SlowerCallsRunAtLeastFortyTimes()
    {
        // 20 ms a call, nothing compiled: 0.25 s quiet and 0.1 s pass after 13 calls, the 40 calls take 0.8 s (below the 1 s cap).
        var (calls, seconds) = Simulate(0.1, 0.02, 0);
        Assert.Equal(SteadyState.MinCalls, calls);
        Assert.InRange(seconds, 0.79, 0.81);
    }

    [Fact]
    public void TenTimesTheSecondsEndsTheWarmUp()
    {
        // Compiling all along: the cap (10 × 0.05 s) ends it at the first call past 0.5 s, the 17th of 30 ms.
        var (calls, seconds) = Simulate(0.05, 0.03, double.PositiveInfinity);
        Assert.Equal(17, calls);
        Assert.InRange(seconds, 0.5, 0.52);
    }
}
