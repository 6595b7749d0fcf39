using System.Diagnostics;
using Gan3D.Data;
using Gan3D.Tensors;

namespace Gan3D.Models;

/// <summary>
/// Trains a 3D-GAN: each iteration draws a real batch and latent codes, scores both with D, updates D
/// (only when its accuracy on the previous batch was below the threshold: the paper's adaptive rule),
/// then updates G to make D call its shapes real. Losses are the paper's binary cross entropy on D's
/// logits, the hinge loss or WGAN-GP's (<see cref="GanTrainingOptions.Loss"/>), with an optional R1 penalty on D
/// (<see cref="GanTrainingOptions.R1Gamma"/>).
/// Deterministic from the seed; <see cref="AdversarialTrainer.Save"/> and <see cref="Resume"/> continue a run exactly.
/// </summary>
public sealed class GanTrainer : AdversarialTrainer
{
    /// <summary>The model name in checkpoints.</summary>
    public const string Model = "3d-gan";

    /// <summary>A fresh run.</summary>
    public GanTrainer(GanTrainingOptions options, VoxelDataset data, IBackend backend)
        : base(options, data, backend, default)
    {
    }

    private GanTrainer(GanTrainingOptions options, VoxelDataset data, IBackend backend, StreamPositions positions)
        : base(options, data, backend, positions)
    {
    }

    /// <inheritdoc/>
    public override string ModelName => Model;

    /// <inheritdoc/>
    protected override string ConfigJson => Options.ToJson();

    /// <inheritdoc/>
    public override IReadOnlyList<(string Title, string[] Columns)> PlotLayout =>
    [
        ("Loss", ["loss_d", "loss_g"]),
        .. HasPenalty ? [("Gradient penalty", new[] { "loss_penalty" })] : Array.Empty<(string, string[])>(),
        .. Options.ModeSeeking > 0 ? [("G's mode-seeking term", new[] { "loss_mode_seeking" })] : Array.Empty<(string, string[])>(),
        ("D accuracy and update fraction", ["d_accuracy", "d_update_fraction"]),
    ];

    /// <summary>The read-back slot of the mode-seeking term (G's adversarial loss is in <see cref="AdversarialTrainer.FirstFreeSlot"/>).</summary>
    private const int ModeSeekingSlot = FirstFreeSlot + 1;

    /// <summary>Runs one iteration and returns its measurements.</summary>
    public GanStepResult TrainStep()
    {
        var clock = Stopwatch.StartNew();
        bool updateD = ShouldUpdateD;
        using (MemoryScope.Begin())
        {
            // D's extra updates (GanTrainingOptions.DSteps), each on its own batch and codes; G's shapes need no graph there.
            for (int extra = 1; extra < Options.DSteps; extra++)
            {
                using (MemoryScope.Begin())
                {
                    NextBatch();
                    Tensor extraFake;
                    using (Autograd.NoGrad())
                    {
                        extraFake = G.Forward(Codes);
                    }
                    DiscriminatorStep(extraFake, updateD);
                }
            }
            NextBatch();
            var fake = G.Forward(Codes);
            DiscriminatorStep(fake.Detach(), updateD);

            // G: make D call the fakes real.
            WithFrozenD(() =>
            {
                var loss = GeneratorLoss(fake);
                Record(FirstFreeSlot, loss);
                if (Options.ModeSeeking > 0)
                {
                    var modeSeeking = ModeSeekingTerm(fake, Z, Options.ModeSeeking);
                    Record(ModeSeekingSlot, modeSeeking);
                    loss = Ops.Add(loss, modeSeeking);
                }
                OptG.ZeroGrad();
                loss.Backward();
                OptG.Step();
                return 0;
            });
        }
        var readback = ReadBack(); // the iteration's one host synchronisation
        var (lossD, accReal, accFake) = DiscriminatorResults(readback);
        float lossG = readback[FirstFreeSlot];
        CheckFinite("G", lossG);
        float modeSeeking = float.NaN;
        if (Options.ModeSeeking > 0)
        {
            // Part of G's update too: a weight that overflows it must stop the run as a non-finite adversarial loss does.
            modeSeeking = readback[ModeSeekingSlot];
            CheckFinite("G mode-seeking", modeSeeking);
        }
        EndStep(accReal, accFake);
        return new GanStepResult(Step, lossD, lossG, LastDAccuracy, accReal, accFake, updateD, DUpdateFraction, clock.Elapsed.TotalSeconds, PenaltyResult(readback), modeSeeking);
    }

    /// <inheritdoc/>
    public override TrainingStepReport Train() => TrainStep().ToReport(HasPenalty);

    /// <summary>Rebuilds the trainer saved in <paramref name="path"/> and continues where it stopped.</summary>
    public static GanTrainer Resume(string path, VoxelDataset data, IBackend backend)
    {
        var (ck, positions) = OpenForResume(path, Model, data);
        var options = GanTrainingOptions.FromJson(ck.Get("config"), path);
        var t = new GanTrainer(options, data, backend, positions);
        t.Restore(ck);
        return t;
    }
}
