using System.Globalization;
using Gan3D.Models;
using Spectre.Console;

namespace Gan3D.Cli.Commands;

/// <summary>
/// Drives a <see cref="TrainingSession"/> with a progress bar on a terminal (iteration, losses, D
/// accuracy, D-updated fraction, iterations/s, ETA) or plain log lines when output is redirected.
/// Ctrl+C asks the session to stop; it saves a checkpoint first.
/// </summary>
internal static class TrainingProgress
{
    public static SessionOutcome Run(TrainingSession session, ITrainer trainer, TextWriter output, long iterations)
    {
        using var cancel = new CancellationTokenSource();
        ConsoleCancelEventHandler onCancel = (_, e) =>
        {
            e.Cancel = true;
            cancel.Cancel();
        };
        Console.CancelKeyPress += onCancel;
        try
        {
            bool interactive = ReferenceEquals(output, Console.Out) && AnsiConsole.Profile.Capabilities.Interactive
                && Environment.GetEnvironmentVariable("CI") is null;
            return interactive ? RunWithBar(session, trainer, iterations, cancel.Token) : RunWithLines(session, trainer, output, iterations, cancel.Token);
        }
        finally
        {
            Console.CancelKeyPress -= onCancel;
        }
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
        parts.Add($"D acc {r["d_accuracy"].ToString("F2", CultureInfo.InvariantCulture)}");
        parts.Add($"D updated {r["d_update_fraction"] * 100:F0}%");
        parts.Add($"{rate.ToString(rate < 10 ? "F2" : "F0", CultureInfo.InvariantCulture)} it/s");
        if (rate > 0 && r.Step < iterations)
        {
            var eta = TimeSpan.FromSeconds((iterations - r.Step) / rate);
            parts.Add($"ETA {(int)eta.TotalHours}:{eta.Minutes:D2}:{eta.Seconds:D2}");
        }
        return string.Join(" | ", parts);
    }
}
