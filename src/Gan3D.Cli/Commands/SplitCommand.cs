using System.CommandLine;
using System.Globalization;
using Gan3D.Data;

namespace Gan3D.Cli.Commands;

/// <summary><c>gan3d split</c>: a seeded held-out part of a shape set, for evaluating on shapes a model never saw.</summary>
internal static class SplitCommand
{
    public static Command Create()
    {
        var data = new Option<string>("--data", "-d") { Description = "Shapes: a .npy/.npy.gz file, a folder, or 'procedural'", Required = true };
        var fraction = new Option<double>("--test-fraction") { Description = "Share of the shapes held out (per class when labelled)", DefaultValueFactory = _ => 0.1 };
        var seed = new Option<ulong>("--seed", "-s") { Description = "Seed of the split", DefaultValueFactory = _ => 0 };
        var train = new Option<string>("--out-train") { Description = "Where the kept shapes go (.npy or .npy.gz)", Required = true };
        var test = new Option<string>("--out-test") { Description = "Where the held-out shapes go (.npy or .npy.gz)", Required = true };
        var command = new Command("split",
            "Split a shape set into a training part and a held-out part, at random with a seed.\n" +
            "Example: gan3d split --data ../shared/data/voxels/modelnet10/chair-train-32.npy.gz --test-fraction 0.1 --out-train chair-fit.npy.gz --out-test chair-heldout.npy.gz")
        {
            data, fraction, seed, train, test,
        };
        command.SetAction(parse =>
        {
            var o = parse.InvocationConfiguration.Output;
            double f = parse.GetValue(fraction);
            if (!(f > 0 && f < 1))
            {
                throw new UsageException($"--test-fraction {f.ToString(CultureInfo.InvariantCulture)} must be between 0 and 1");
            }
            string trainPath = CheckNpy(parse.GetValue(train)!, "--out-train"), testPath = CheckNpy(parse.GetValue(test)!, "--out-test");
            string spec = parse.GetValue(data)!;
            if (CliFiles.SameFile(trainPath, testPath))
            {
                throw new UsageException($"--out-train and --out-test are the same file ({trainPath}): the held-out part would replace the training part");
            }
            CliFiles.RefuseOverwritingInputs([trainPath, testPath], spec);
            var shapes = VoxelDataset.Load(spec, null, new VoxelLoadOptions { Log = line => o.WriteLine("  " + line) });
            if (shapes.Count < 2)
            {
                throw new InvalidDataException($"{spec}: {shapes.Count} shape(s); a split needs at least 2");
            }
            var classes = shapes.Labels is null ? new int[shapes.Count] : shapes.ClassIndices.ToArray();
            int classCount = shapes.Labels is null ? 1 : shapes.ClassNames.Count;
            int[] trainIdx, testIdx;
            try
            {
                (trainIdx, testIdx) = Gan3D.Models.DescriptorExperiment.StratifiedSplit(classes, classCount, f, parse.GetValue(seed));
            }
            catch (ArgumentException)
            {
                throw new InvalidDataException($"{spec}: a class has a single shape, which cannot be split");
            }
            shapes.Subset(trainIdx).SaveNpy(trainPath);
            shapes.Subset(testIdx).SaveNpy(testPath);
            o.WriteLine($"{shapes.Count} shapes ({shapes.Resolution}³) from {spec}: {trainIdx.Length} → {trainPath}, {testIdx.Length} held out → {testPath}");
            return ExitCodes.Success;
        });
        return command;
    }

    private static string CheckNpy(string path, string option) =>
        path.EndsWith(".npy", StringComparison.OrdinalIgnoreCase) || path.EndsWith(".npy.gz", StringComparison.OrdinalIgnoreCase)
            ? path
            : throw new UsageException($"{option} {path}: give a .npy or .npy.gz file");
}
