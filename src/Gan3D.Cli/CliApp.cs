using System.CommandLine;

namespace Gan3D.Cli;

/// <summary>
/// The <c>gan3d</c> command: builds the command tree and maps failures to exit codes.
/// Exit codes: 0 success, 1 failure while running, 2 bad usage or bad input.
/// </summary>
public static class CliApp
{
    /// <summary>Shown on every command; prints stack traces and ILGPU's trace output.</summary>
    public static readonly Option<bool> Verbose = new("--verbose")
    {
        Description = "Show stack traces and backend diagnostics on errors",
        Recursive = true,
    };

    public static RootCommand BuildRoot()
    {
        var root = new RootCommand(
            "gan3d: train and run 3D-GAN and 3D-VAE-GAN (Wu et al., NIPS 2016) on NVIDIA GPUs or the CPU.");
        root.Options.Add(Verbose);
        foreach (var command in Commands.Registry.All())
        {
            root.Subcommands.Add(command);
        }
        return root;
    }

    /// <summary>Runs the command line and returns the process exit code.</summary>
    /// <param name="args">Arguments, without the program name.</param>
    /// <param name="output">Standard output (the console when null).</param>
    /// <param name="error">Standard error (the console when null).</param>
    public static int Run(string[] args, TextWriter? output = null, TextWriter? error = null)
    {
        output ??= Console.Out;
        error ??= Console.Error;
        var config = new InvocationConfiguration
        {
            Output = output,
            Error = error,
            EnableDefaultExceptionHandler = false,
        };
        var root = BuildRoot();
        var parse = root.Parse(args);
        if (parse.Errors.Count > 0)
        {
            // One line, as for every other bad input; help stays one --help away.
            string what = string.Join("; ", parse.Errors.Select(e => e.Message.TrimEnd('.')));
            error.WriteLine($"gan3d: error: {what} (see '{CommandPath(parse)} --help')");
            return ExitCodes.BadInput;
        }
        bool verbose = parse.GetValue(Verbose);
        if (verbose)
        {
            // ILGPU reports why a PTX JIT compilation failed only through System.Diagnostics.Trace.
            Gan3D.Tensors.IlgpuBackend.EnableTraceOutput(error);
        }
        try
        {
            return parse.Invoke(config);
        }
        catch (Exception ex)
        {
            return ErrorReport.Write(ex, error, verbose);
        }
    }

    private static string CommandPath(ParseResult parse)
    {
        var names = new List<string>();
        for (var r = parse.CommandResult; r is not null && r.Command is not RootCommand; r = r.Parent as System.CommandLine.Parsing.CommandResult)
        {
            names.Insert(0, r.Command.Name);
        }
        names.Insert(0, "gan3d");
        return string.Join(' ', names);
    }
}

/// <summary>Process exit codes of <c>gan3d</c>.</summary>
public static class ExitCodes
{
    public const int Success = 0;
    public const int Failure = 1;
    public const int BadInput = 2;
}
