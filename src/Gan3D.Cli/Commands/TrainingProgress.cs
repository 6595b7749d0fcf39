using System.Globalization;
using System.Runtime.InteropServices;
using Gan3D.Models;
using Spectre.Console;

namespace Gan3D.Cli.Commands;

/// <summary>
/// Drives a <see cref="TrainingSession"/> with a progress bar on a terminal (iteration, losses, D
/// accuracy, D-updated fraction, iterations/s, ETA) or plain log lines when output is redirected.
/// SIGINT (Ctrl+C) and SIGTERM (docker stop, systemd, Slurm) ask the session to stop; it saves a
/// checkpoint first. A second signal ends the process at once (the last checkpoint stays whole).
/// </summary>
internal static class TrainingProgress
{
    /// <summary>Trains; <paramref name="stoppedBy"/> is the exit code a stopping signal asks for (128 + its number), or null.</summary>
    public static SessionOutcome Run(TrainingSession session, ITrainer trainer, TextWriter output, long iterations, out int? stoppedBy)
    {
        using var signals = new StopSignals();
        bool interactive = ReferenceEquals(output, Console.Out) && AnsiConsole.Profile.Capabilities.Interactive
            && Environment.GetEnvironmentVariable("CI") is null;
        var outcome = interactive ? RunWithBar(session, trainer, iterations, signals.Token) : RunWithLines(session, trainer, output, iterations, signals.Token);
        stoppedBy = signals.ExitCode;
        return outcome;
    }

    private static SessionOutcome RunWithLines(TrainingSession session, ITrainer trainer, TextWriter output, long iterations, CancellationToken token)
    {
        var lastPrint = DateTime.MinValue;
        long first = trainer.Step;
        return session.Run(token, (report, rate) =>
        {
            // Every 10% of the run, and at most every 5 seconds otherwise: readable in CI logs.
            bool milestone = iterations >= 10 && report.Step % Math.Max(1, iterations / 10) == 0;
            if (milestone || report.Step == first + 1 || report.Step == iterations || DateTime.UtcNow - lastPrint > TimeSpan.FromSeconds(5))
            {
                lastPrint = DateTime.UtcNow;
                output.WriteLine(Describe(report, rate, iterations));
            }
        });
    }

    private static SessionOutcome RunWithBar(TrainingSession session, ITrainer trainer, long iterations, CancellationToken token)
    {
        SessionOutcome outcome = SessionOutcome.Completed;
        AnsiConsole.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
            .Start(ctx =>
            {
                var task = ctx.AddTask("starting", maxValue: iterations);
                task.Value = trainer.Step;
                outcome = session.Run(token, (report, rate) =>
                {
                    task.Description = Markup.Escape(Describe(report, rate, iterations));
                    task.Value = report.Step;
                });
                task.StopTask();
            });
        return outcome;
    }

    internal static string Describe(TrainingStepReport r, double rate, long iterations)
    {
        var parts = new List<string> { $"it {r.Step}/{iterations}" };
        foreach (var (name, value) in r.Metrics)
        {
            if (name.StartsWith("loss", StringComparison.Ordinal))
            {
                parts.Add($"{name} {value.ToString("F3", CultureInfo.InvariantCulture)}");
            }
        }
        if (r.Metrics.Any(m => m.Name == "d_accuracy"))
        {
            // Adversarial runs (a latent model's autoencoder has no D to balance).
            parts.Add($"D acc {r["d_accuracy"].ToString("F2", CultureInfo.InvariantCulture)}");
            parts.Add($"D updated {r["d_update_fraction"] * 100:F0}%");
        }
        parts.Add($"{rate.ToString(rate < 10 ? "F2" : "F0", CultureInfo.InvariantCulture)} it/s");
        if (rate > 0 && r.Step < iterations)
        {
            var eta = TimeSpan.FromSeconds((iterations - r.Step) / rate);
            parts.Add($"ETA {(int)eta.TotalHours}:{eta.Minutes:D2}:{eta.Seconds:D2}");
        }
        return string.Join(" | ", parts);
    }
}

/// <summary>
/// Turns the first SIGINT or SIGTERM into a cancellation (the process keeps running to save), and
/// leaves the second to its default action, so an impatient user can still end the process at once.
/// </summary>
internal sealed class StopSignals : IDisposable
{
    private readonly CancellationTokenSource _cancel = new();
    private readonly List<PosixSignalRegistration> _registrations = [];
    private int _exitCode;

    public StopSignals()
    {
        foreach (var (signal, code) in new[] { (PosixSignal.SIGINT, 130), (PosixSignal.SIGTERM, 143) })
        {
            try
            {
                _registrations.Add(PosixSignalRegistration.Create(signal, ctx =>
                {
                    if (Interlocked.CompareExchange(ref _exitCode, code, 0) == 0)
                    {
                        ctx.Cancel = true;
                        _cancel.Cancel();
                    }
                }));
            }
            catch (PlatformNotSupportedException)
            {
                // Windows has no SIGTERM to catch; Ctrl+C still works.
            }
        }
    }

    public CancellationToken Token => _cancel.Token;

    /// <summary>128 + the number of the signal that asked to stop (130 SIGINT, 143 SIGTERM), or null.</summary>
    public int? ExitCode => Volatile.Read(ref _exitCode) is var c and > 0 ? c : null;

    public void Dispose()
    {
        foreach (var r in _registrations)
        {
            r.Dispose();
        }
        _cancel.Dispose();
    }
}
