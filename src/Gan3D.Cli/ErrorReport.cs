namespace Gan3D.Cli;

/// <summary>Bad usage found by a command after parsing (a conflicting option, an impossible value).</summary>
public sealed class UsageException(string message) : Exception(message);

/// <summary>Turns an exception into the one-line <c>gan3d: error: ...</c> report and an exit code.</summary>
public static class ErrorReport
{
    /// <summary>
    /// Bad input: the user can fix it by changing a file or an argument. Readers throw
    /// <see cref="InvalidDataException"/> with "FILE[:LINE]: what is wrong" as the message. A file that
    /// cannot be read or written (a full disk, a read-only folder, a path through a regular file) is
    /// the user's to fix as well: every <see cref="IOException"/>.
    /// </summary>
    public static bool IsBadInput(Exception ex) => ex is UsageException
        or InvalidDataException
        or IOException
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
