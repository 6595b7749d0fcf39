namespace Gan3D.Nn;

/// <summary>
/// Writes a file so that readers see either the old content or the complete new one: write to a
/// temporary file in the same folder, flush to disk, then rename over the target.
/// Internal: the checkpoint writer's own copy, because Nn may use only Tensors (the layering of
/// DESIGN.md); the public one, for everything above, is <c>Gan3D.Data.AtomicFile</c>.
/// </summary>
internal static class AtomicFile
{
    public static void Write(string path, Action<Stream> write)
    {
        string full = Path.GetFullPath(path);
        string dir = Path.GetDirectoryName(full) ?? ".";
        string temp = Path.Combine(dir, $".{Path.GetFileName(full)}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");
        try
        {
            Directory.CreateDirectory(dir);
            using (var fs = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
            {
                write(fs);
                fs.Flush(flushToDisk: true);
            }
            File.Move(temp, full, overwrite: true);
        }
        catch (Exception ex)
        {
            try
            {
                File.Delete(temp);
            }
            catch (Exception cleanup) when (cleanup is IOException or UnauthorizedAccessException)
            {
                // Best effort: the temporary file is hidden and named after the process.
            }
            if (ex is IOException or UnauthorizedAccessException && !ex.Message.StartsWith(path + ": ", StringComparison.Ordinal))
            {
                // Name the target, not the temporary file the user never asked for (as Gan3D.Data.AtomicFile does).
                string reason = ex is UnauthorizedAccessException ? "permission denied" : ex.Message.Replace($" : '{temp}'", "", StringComparison.Ordinal)
                    .Replace($"'{temp}'", "it", StringComparison.Ordinal).Replace(temp, "it", StringComparison.Ordinal).TrimEnd('.');
                string message = $"{path}: cannot write the file ({reason})";
                throw ex is UnauthorizedAccessException ? new UnauthorizedAccessException(message, ex) : new IOException(message, ex);
            }
            throw;
        }
    }
}
