namespace Gan3D.Models;

/// <summary>What one training iteration measured (a row of metrics.csv).</summary>
public sealed record GanStepResult(
    long Step,
    float LossD,
    float LossG,
    float DAccuracy,
    float DAccuracyReal,
    float DAccuracyFake,
    bool DUpdated,
    double DUpdateFraction,
    double Seconds,
    float Penalty = float.NaN,
    float ModeSeeking = float.NaN)
{
    /// <summary>
    /// The row of metrics.csv for this step (with <c>loss_penalty</c>, the last <see cref="Penalty"/>, when D's loss has one,
    /// and <c>loss_mode_seeking</c>, G's mode-seeking term, not in <c>loss_g</c>, when the run has one).
    /// </summary>
    public TrainingStepReport ToReport(bool withPenalty = false) => new(Step,
    [
        ("loss_d", LossD),
        ("loss_g", LossG),
        .. float.IsNaN(ModeSeeking) ? Array.Empty<(string, double)>() : [("loss_mode_seeking", (double)ModeSeeking)],
        .. withPenalty ? [("loss_penalty", (double)Penalty)] : Array.Empty<(string, double)>(),
        ("d_accuracy", DAccuracy),
        ("d_accuracy_real", DAccuracyReal),
        ("d_accuracy_fake", DAccuracyFake),
        ("d_updated", DUpdated ? 1 : 0),
        ("d_update_fraction", DUpdateFraction),
        ("seconds", Seconds),
    ]);
}

/// <summary>A loss became NaN or infinite; the run's checkpoints hold finite steps only (the trainer's own weights may hold the diverged update, checked after the iteration's one read-back).</summary>
public sealed class TrainingDivergedException(string message) : Exception(message);
