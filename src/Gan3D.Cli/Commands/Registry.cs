using System.CommandLine;

namespace Gan3D.Cli.Commands;

/// <summary>Every subcommand of <c>gan3d</c>, one file each in this folder.</summary>
internal static class Registry
{
    public static IEnumerable<Command> All()
    {
        yield return TrainCommand.Create();
        yield return SampleCommand.Create();
        yield return InterpolateCommand.Create();
        yield return ArithmeticCommand.Create();
        yield return FeaturesCommand.Create();
        yield return ClassifyCommand.Create();
        yield return EvalCommand.Create();
        yield return SplitCommand.Create();
        yield return ReconstructCommand.Create();
        yield return EvalReconstructionCommand.Create();
        yield return VoxelizeCommand.Create();
        yield return RenderCommand.Create();
        yield return ConvertCommand.Create();
        yield return ShapesCommand.Create();
        yield return ProfileCommand.Create();
        yield return DevicesCommand.Create();
        yield return ReportCommand.Create();
    }
}
