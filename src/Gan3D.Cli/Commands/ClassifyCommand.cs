using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Gan3D.Data;
using Gan3D.Models;

namespace Gan3D.Cli.Commands;

/// <summary><c>gan3d classify</c>: the paper's shape-descriptor experiment with its two baselines.</summary>
internal static class ClassifyCommand
{
    public static Command Create()
    {
        var checkpoint = new Option<string>("--checkpoint", "-c") { Description = "A checkpoint written by 'gan3d train' (trained without labels)", Required = true };
        var data = new Option<string[]>("--data", "-d")
        {
            Description = "Labelled training shapes: LABEL=PATH, a .npy file (label from its name up to '-'), a folder, or 'procedural' (the built-in families). Repeatable",
            AllowMultipleArgumentsPerToken = false,
        };
        var dataDir = new Option<string?>("--data-dir") { Description = "A folder of <class>-train-R.npy.gz files (ModelNet10 layout); labels from the file names" };
        var test = new Option<string[]>("--test") { Description = "Labelled test shapes, same forms as --data ('procedural' draws new shapes). Repeatable" };
        var testDir = new Option<string?>("--test-dir") { Description = "A folder of <class>-test-R.npy.gz files" };
        var fraction = new Option<double>("--test-fraction") { Description = "Without a test set: the stratified fraction of each class held out", DefaultValueFactory = _ => 0.2 };
        var folds = new Option<int>("--folds") { Description = "Without a test set: k-fold cross-validation instead of one held-out split (0 = off)", DefaultValueFactory = _ => 0 };
        var perClass = new Option<string?>("--train-per-class") { Description = "Few-shot curve: accuracy with this many training shapes per class, e.g. 1,5,10,25,all" };
        var plot = new Option<string>("--plot") { Description = "PNG of the few-shot curve", DefaultValueFactory = _ => "few-shot.png" };
        var perFamily = new Option<int>("--per-family", "--count-per-family") { Description = "'procedural': shapes per family", DefaultValueFactory = _ => 100 };
        var seed = new Option<ulong>("--seed", "-s") { Description = "Seed of the split, the folds and the random discriminator", DefaultValueFactory = _ => 0 };
        var json = new Option<bool>("--json") { Description = "Print the result as JSON (fractions in 0..1)" };
        var device = CliDevices.Option();
        var command = new Command("classify",
            "Classify shapes with a linear classifier (multinomial logistic regression, features standardised, " +
            "L2 strength by cross-validation on the training part) on the trained discriminator's features, beside " +
            "the same classifier on a randomly initialised discriminator and on raw voxels pooled to 8³.\n" +
            "Example: gan3d classify --checkpoint runs/gan/checkpoint.safetensors --data procedural\n" +
            "Example: gan3d classify --checkpoint C --data-dir ../shared/data/voxels/modelnet10 --folds 5")
        {
            checkpoint, data, dataDir, test, testDir, fraction, folds, perClass, plot, perFamily, seed, json, device,
        };
        command.SetAction(parse =>
        {
            var o = parse.InvocationConfiguration.Output;
            bool asJson = parse.GetValue(json);
            var log = asJson ? TextWriter.Null : o;
            int k = parse.GetValue(folds);
            double testFraction = parse.GetValue(fraction);
            if (k is < 0 or 1 or > 100)
            {
                throw new UsageException($"--folds {k}: use 0 (one held-out split) or 2 to 100");
            }
            if (!(testFraction > 0 && testFraction < 1))
            {
                throw new UsageException($"--test-fraction {testFraction.ToString(CultureInfo.InvariantCulture)} must be between 0 and 1");
            }
            var fewShot = ParsePerClass(parse.GetValue(perClass));
            string[] trainSpecs = parse.GetValue(data) ?? [];
            string? trainDir = parse.GetValue(dataDir);
            if (trainSpecs.Length == 0 && trainDir is null)
            {
                throw new UsageException("give the labelled shapes with --data or --data-dir");
            }
            int families = parse.GetValue(perFamily);
            ShapeSets.CheckPerFamily(families, 2);

            if (fewShot is not null)
            {
                // Only the few-shot curve is written; a LABEL=PATH spec is compared by its path.
                var inputs = trainSpecs.Concat(parse.GetValue(test) ?? []).Select(s => s[(s.IndexOf('=', StringComparison.Ordinal) + 1)..]);
                CliFiles.RefuseOverwritingInputs([parse.GetValue(plot)!], inputs.Append(parse.GetValue(checkpoint)!));
            }
            var backend = CliDevices.Create(parse.GetValue(device)!);
            using var gan = TrainedGan.Load(parse.GetValue(checkpoint)!, backend);
            int r = gan.Architecture.Resolution;
            var train = ShapeSets.Load(trainSpecs, trainDir, "train", r, ShapeSets.TrainingSeed, families, log, "--data")!;
            var testSet = ShapeSets.Load(parse.GetValue(test) ?? [], parse.GetValue(testDir), "test", r, ShapeSets.HeldOutSeed, families, log, "--test");
            if (train.Labels is null)
            {
                throw new UsageException("the --data shapes have no labels: give LABEL=PATH, per-class files, or 'procedural'");
            }
            if (testSet is not null && k > 0)
            {
                throw new UsageException("--folds cross-validates the training shapes; drop it when giving --test");
            }
            if (fewShot is not null && testSet is null && k > 0)
            {
                throw new UsageException("--train-per-class needs one held-out split; drop --folds");
            }
            var protocol = new DescriptorProtocol
            {
                TestFraction = testFraction,
                Folds = k,
                Seed = parse.GetValue(seed),
                Threads = Environment.ProcessorCount,
                FewShot = fewShot,
            };
            // A latent model's D is its encoder: the same network and features, trained without an adversary.
            string trained = gan.Model == LatentModelTrainer.Model ? DescriptorExperiment.EncoderFeatures : DescriptorExperiment.DiscriminatorFeatures;
            log.WriteLine($"classify: {train.Count} training shapes in {train.ClassNames.Count} classes" +
                (testSet is null ? "" : $", {testSet.Count} test shapes") + $"; {gan.Architecture}; features of its {trained}, on {backend.Name}");
            var report = DescriptorExperiment.Run(gan.D, train, testSet, protocol, line => log.WriteLine("  " + line), trained);
            string? plotPath = null;
            if (report.FewShot.Count > 0)
            {
                plotPath = parse.GetValue(plot)!;
                WritePlot(plotPath, report, train);
            }
            if (asJson)
            {
                o.WriteLine(ToJson(report));
            }
            else
            {
                Print(o, report, plotPath);
            }
            return ExitCodes.Success;
        });
        return command;
    }

    internal static IReadOnlyList<int>? ParsePerClass(string? value)
    {
        if (value is null)
        {
            return null;
        }
        var list = new List<int>();
        foreach (string part in value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            if (part.Equals("all", StringComparison.OrdinalIgnoreCase))
            {
                list.Add(int.MaxValue);
            }
            else if (int.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out int n) && n >= 1)
            {
                list.Add(n);
            }
            else
            {
                throw new UsageException($"--train-per-class {value}: expected counts of 1 or more and 'all', e.g. 1,5,10,25,all");
            }
        }
        return list.Count > 0 ? list.Distinct().Order().ToList() : throw new UsageException("--train-per-class: give at least one count");
    }

    private static void Print(TextWriter o, DescriptorReport report, string? plotPath)
    {
        o.WriteLine($"protocol: {report.Protocol}; {report.FeatureCount} features per shape");
        o.WriteLine($"  {"features",-22} accuracy");
        foreach (var (name, result) in Rows(report))
        {
            o.WriteLine($"  {name,-22} {result.Accuracy * 100,7:F1}%   (λ {result.Lambda:G2})");
        }
        int width = Math.Max(8, report.Labels.Max(l => l.Length) + 1);
        o.WriteLine($"per class ({report.TrainedName} features):");
        foreach (var label in report.Labels)
        {
            double a = report.Gan.PerClass[label];
            o.WriteLine($"  {label.PadRight(width)} {(double.IsNaN(a) ? "   n/a" : $"{a * 100,5:F1}%")}");
        }
        o.WriteLine("confusion matrix (rows: true class, columns: predicted):");
        int cell = Math.Max(5, report.Gan.Confusion.Max(row => row.Max()).ToString(CultureInfo.InvariantCulture).Length + 1);
        var rowNames = report.Labels.Select((l, i) => $"{i + 1,2} {l}").ToArray();
        int nameWidth = rowNames.Max(n => n.Length) + 1;
        o.WriteLine("  " + new string(' ', nameWidth) + string.Concat(report.Labels.Select((l, i) => (i + 1).ToString(CultureInfo.InvariantCulture).PadLeft(cell))));
        for (int i = 0; i < report.Labels.Count; i++)
        {
            o.WriteLine("  " + rowNames[i].PadRight(nameWidth) + string.Concat(report.Gan.Confusion[i].Select(v => v.ToString(CultureInfo.InvariantCulture).PadLeft(cell))));
        }
        foreach (var curve in report.FewShot)
        {
            o.WriteLine($"few-shot, {curve.Features}: " + string.Join("  ", curve.Points.Select(p =>
                $"{(p.PerClass == int.MaxValue ? "all" : p.PerClass.ToString(CultureInfo.InvariantCulture))}/class {p.Accuracy * 100:F1}%")));
        }
        if (plotPath is not null)
        {
            o.WriteLine($"few-shot plot: {plotPath}");
        }
    }

    private static IEnumerable<(string Name, ClassificationResult Result)> Rows(DescriptorReport report)
    {
        yield return (report.TrainedName, report.Gan);
        yield return ("random discriminator", report.RandomD);
        yield return ("raw voxels 8³", report.RawVoxels);
    }

    internal static string ToJson(DescriptorReport report)
    {
        var value = new Dictionary<string, object?>
        {
            ["accuracy"] = report.Gan.Accuracy,
            ["per_class"] = report.Gan.PerClass.ToDictionary(p => p.Key, p => double.IsNaN(p.Value) ? (double?)null : p.Value),
            ["confusion"] = report.Gan.Confusion,
            ["labels"] = report.Labels,
            ["baselines"] = new Dictionary<string, object>
            {
                ["random_d"] = new Dictionary<string, double> { ["accuracy"] = report.RandomD.Accuracy },
                ["raw_voxels"] = new Dictionary<string, double> { ["accuracy"] = report.RawVoxels.Accuracy },
            },
            ["protocol"] = report.Protocol,
            ["features"] = report.FeatureCount,
            ["test_shapes"] = report.TestCount,
        };
        if (report.FewShot.Count > 0)
        {
            value["few_shot"] = report.FewShot.ToDictionary(c => c.Features, c => c.Points.Select(p => new Dictionary<string, object>
            {
                ["per_class"] = p.PerClass == int.MaxValue ? "all" : p.PerClass,
                ["accuracy"] = p.Accuracy,
            }).ToList());
        }
        return JsonSerializer.Serialize(value);
    }

    private static string PlotName(string features) => features switch
    {
        DescriptorExperiment.DiscriminatorFeatures => "GAN D",
        DescriptorExperiment.EncoderFeatures => "ENCODER",
        "random discriminator" => "RANDOM D",
        _ => "VOXELS 8X8X8",
    };

    private static void WritePlot(string path, DescriptorReport report, VoxelDataset train)
    {
        // "all" sits at the largest class's count so the x axis stays a count of shapes.
        int largest = train.ClassNames.Max(c => train.Labels!.Count(l => l == c));
        var series = report.FewShot.Select((c, i) => new ChartSeries(PlotName(c.Features),
            c.Points.Select(p => Math.Log10(Math.Min(p.PerClass, largest))).ToList(),
            c.Points.Select(p => p.Accuracy * 100).ToList(), LineChart.Palette[i % LineChart.Palette.Length])).ToList();
        var image = LineChart.Render([new ChartPanel("ACCURACY %", series, 0, 100)], xLabel: "LOG10 SHAPES PER CLASS");
        string? dir = Path.GetDirectoryName(Path.GetFullPath(path));
        Directory.CreateDirectory(dir!);
        image.SavePng(path);
    }
}
