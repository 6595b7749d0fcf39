using System.Globalization;
using System.Text.RegularExpressions;

namespace Gan3D.Data;

/// <summary>
/// Writes files so that no reader ever sees a half-written one: the content goes to a temporary
/// file in the target's folder (same file system, so the final rename is atomic), is flushed to
/// disk, and only then renamed over the target. On any failure the temporary file is removed and
/// the previous content of the target, if any, is left untouched.
/// </summary>
public static class AtomicFile
{
    // The temporary names below: ".{target}.{pid}.{32 hex digits}.tmp" (Gan3D.Nn's copy writes the same).
    private static readonly Regex TemporaryName = new(@"^\..+\.(\d+)\.[0-9a-f]{32}\.tmp$", RegexOptions.CultureInvariant);

    /// <summary>
    /// Whether <paramref name="fileName"/> is one of this writer's temporary files, and if so the id of
    /// the process that wrote it (-1 when the id does not fit an int); false for any other name.
    /// </summary>
    public static bool IsTemporary(string fileName, out int writerProcessId)
    {
        writerProcessId = 0;
        var m = TemporaryName.Match(fileName);
        if (!m.Success)
        {
            return false;
        }
        if (!int.TryParse(m.Groups[1].Value, NumberStyles.None, CultureInfo.InvariantCulture, out writerProcessId))
        {
            writerProcessId = -1;
        }
        return true;
    }

    /// <summary>Writes <paramref name="path"/> through <paramref name="write"/>, atomically.</summary>
    /// <param name="path">Target file; its folder is created when missing.</param>
    /// <param name="write">Writes the whole content to the stream it gets (do not dispose it).</param>
    public static void Write(string path, Action<Stream> write)
    {
        ArgumentNullException.ThrowIfNull(write);
        string full = Path.GetFullPath(path);
        string folder = Path.GetDirectoryName(full) ?? ".";
        string temp = Path.Combine(folder, $".{Path.GetFileName(full)}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");
        try
        {
            Directory.CreateDirectory(folder);
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
            {
                write(stream);
                stream.Flush(flushToDisk: true);
            }
            File.Move(temp, full, overwrite: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            TryDelete(temp);
            throw WriteError(path, temp, ex);
        }
        catch
        {
            TryDelete(temp);
            throw;
        }
    }

    /// <summary>
    /// The error of a failed write, naming the target instead of the hidden temporary file (which no
    /// longer exists and which the user never asked for). Keeps the exception's kind (a permission
    /// problem stays an <see cref="UnauthorizedAccessException"/>) and the original as inner exception.
    /// </summary>
    internal static Exception WriteError(string path, string temp, Exception ex)
    {
        if (ex.Message.StartsWith(path + ": ", StringComparison.Ordinal))
        {
            return ex; // a reader or writer inside already named the file
        }
        if (ex is UnauthorizedAccessException)
        {
            return new UnauthorizedAccessException($"{path}: cannot write the file (permission denied)", ex);
        }
        string reason = ex.Message.Replace($" : '{temp}'", "", StringComparison.Ordinal)
            .Replace($"'{temp}'", "it", StringComparison.Ordinal)
            .Replace(temp, "it", StringComparison.Ordinal).TrimEnd('.');
        return new IOException($"{path}: cannot write the file ({reason})", ex);
    }

    /// <summary>Writes all of <paramref name="bytes"/> to <paramref name="path"/>, atomically.</summary>
    public static void WriteAllBytes(string path, byte[] bytes)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        Write(path, s => s.Write(bytes, 0, bytes.Length));
    }

    /// <summary>Writes <paramref name="text"/> as UTF-8 (no byte-order mark) to <paramref name="path"/>, atomically.</summary>
    public static void WriteAllText(string path, string text)
    {
        WriteAllBytes(path, new System.Text.UTF8Encoding(false).GetBytes(text));
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
            // Best effort: the original exception is the one worth reporting.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
