namespace Gan3D.Cli;

/// <summary>Bad usage found by a command after parsing (a conflicting option, an impossible value).</summary>
public sealed class UsageException(string message) : Exception(message);

/// <summary>Turns an exception into the one-line <c>gan3d: error: ...</c> report and an exit code.</summary>
public static class ErrorReport
{
    /// <summary>
    /// Bad input: the user can fix it by changing a file or an argument. Readers throw
    /// <see cref="InvalidDataException"/> with "FILE[:LINE]: what is wrong" as the message.
    /// </summary>
    public static bool IsBadInput(Exception ex) => ex is UsageException
        or InvalidDataException
        or FileNotFoundException
        or DirectoryNotFoundException
        or UnauthorizedAccessException
        or ArgumentException
        or NotSupportedException
        or FormatException;

    public static int Write(Exception ex, TextWriter error, bool verbose)
    {
        if (ex is AggregateException { InnerExceptions.Count: 1 } agg)
        {
            ex = agg.InnerExceptions[0];
        }
        string message = ex.Message.ReplaceLineEndings(" ").Trim();
        error.WriteLine($"gan3d: error: {message}");
        if (verbose)
        {
            error.WriteLine(ex.ToString());
        }
        return IsBadInput(ex) ? ExitCodes.BadInput : ExitCodes.Failure;
    }
}
