using System.Diagnostics;
using System.Globalization;
using Gan3D.Data;

namespace Gan3D.Models;

/// <summary>How a run claims its folder.</summary>
public enum RunFolderMode
{
    /// <summary>A new run: the folder must be absent or empty.</summary>
    New,

    /// <summary>Continue the run in the folder: its files stay (metrics.csv is trimmed to the checkpoint).</summary>
    Resume,

    /// <summary>Replace the run in the folder: its own files are deleted first (other files stay).</summary>
    Overwrite,
}

/// <summary>Why a run folder cannot be claimed.</summary>
public sealed class RunFolderException(string message, bool inUse, IReadOnlyList<string>? entries = null) : IOException(message)
{
    /// <summary>True when another process holds the folder.</summary>
    public bool InUse { get; } = inUse;

    /// <summary>What the folder holds, when that is why a new run may not claim it; null otherwise.</summary>
    public IReadOnlyList<string>? Entries { get; } = entries;
}

/// <summary>
/// A run folder held by this process: one writer at a time. The hold is an exclusive lock on
/// <c>.lock</c> (flock on Linux and macOS, a sharing lock on Windows), which the operating system
/// drops when the process ends in any way, kill -9 included, so a crash never leaves the folder stuck;
/// <c>.lock.pid</c> names the holder for the message another process gets. Claiming also removes the
/// temporary files of atomic writes whose writer is gone (a kill during a checkpoint write leaves one).
/// </summary>
public sealed class RunFolder : IDisposable
{
    /// <summary>The files and folders a training run writes; <see cref="RunFolderMode.Overwrite"/> deletes these only.</summary>
    public static readonly IReadOnlyList<string> RunFiles =
        ["config.json", "metrics.csv", "losses.png", "checkpoint.safetensors", TrainingSession.SpikeCheckpointName, "report.html", "samples", "meshes"];

    private const string LockName = ".lock";
    private const string PidName = ".lock.pid";

    private readonly FileStream _lock;

    private RunFolder(string path, FileStream held, RunFolderMode mode)
    {
        Path = path;
        _lock = held;
        Mode = mode;
    }

    /// <summary>The folder's full path.</summary>
    public string Path { get; }

    /// <summary>How it was claimed.</summary>
    public RunFolderMode Mode { get; }

    /// <summary>
    /// The entries of <paramref name="path"/> that make it non-empty for a new run (the lock files and
    /// leftover temporaries of dead writers do not count); empty when the folder does not exist.
    /// Throws <see cref="RunFolderException"/> when the path is a file.
    /// </summary>
    public static IReadOnlyList<string> Contents(string path)
    {
        if (File.Exists(path))
        {
            throw new RunFolderException($"{path}: is a file, not a run folder", inUse: false);
        }
        if (!Directory.Exists(path))
        {
            // Refused here rather than by CreateDirectory later, after the data was read, with a message naming neither.
            for (string? up = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path)); up is not null; up = System.IO.Path.GetDirectoryName(up))
            {
                if (File.Exists(up))
                {
                    throw new RunFolderException($"{path}: cannot be created: {up} is a file", inUse: false);
                }
            }
            return [];
        }
        return Directory.EnumerateFileSystemEntries(path)
            .Select(e => System.IO.Path.GetFileName(e))
            .Where(n => n is not LockName and not PidName && !IsStaleTemporary(n))
            .Order(StringComparer.Ordinal)
            .ToList();
    }

    /// <summary>
    /// Throws <see cref="RunFolderException"/> when another process holds <paramref name="path"/>;
    /// creates nothing (a check before a run spends time on its data; <see cref="Claim"/> decides).
    /// </summary>
    public static void ThrowIfInUse(string path)
    {
        string full = System.IO.Path.GetFullPath(path);
        if (File.Exists(System.IO.Path.Combine(full, LockName)) && IsLocked(System.IO.Path.Combine(full, LockName)))
        {
            throw new RunFolderException($"{full}: in use by another gan3d process{Holder(full)}", inUse: true);
        }
    }

    /// <summary>
    /// Creates (when missing) and locks <paramref name="path"/> for this process, then prepares it for
    /// <paramref name="mode"/>. Throws <see cref="RunFolderException"/> when another process holds it,
    /// or when it is not empty and <paramref name="mode"/> is <see cref="RunFolderMode.New"/>.
    /// </summary>
    /// <param name="path">The run folder.</param>
    /// <param name="mode">New, resume or overwrite.</param>
    /// <param name="log">Receives a line for each thing cleaned up (null: silent).</param>
    public static RunFolder Claim(string path, RunFolderMode mode, Action<string>? log = null)
    {
        string full = System.IO.Path.TrimEndingDirectorySeparator(System.IO.Path.GetFullPath(path));
        Contents(full); // a file in the way is refused before anything is created
        Directory.CreateDirectory(full);
        var held = Lock(full);
        var folder = new RunFolder(full, held, mode);
        try
        {
            if (mode == RunFolderMode.New && Contents(full) is { Count: > 0 } entries)
            {
                throw new RunFolderException($"{full}: holds files already ({Describe(entries)}); resume or overwrite the run in it, or choose another folder", inUse: false, entries);
            }
            AtomicFile.WriteAllText(System.IO.Path.Combine(full, PidName), Environment.ProcessId.ToString(CultureInfo.InvariantCulture) + "\n");
            int removed = RemoveStaleTemporaries(full);
            if (removed > 0)
            {
                log?.Invoke($"removed {removed} temporary file{(removed == 1 ? "" : "s")} left by an interrupted write in {full}");
            }
            if (mode == RunFolderMode.Overwrite)
            {
                DeleteRunFiles(full);
            }
            return folder;
        }
        catch
        {
            folder.Dispose();
            throw;
        }
    }

    /// <summary>Names a few entries, for messages.</summary>
    public static string Describe(IReadOnlyList<string> entries) =>
        string.Join(", ", entries.Take(4)) + (entries.Count > 4 ? $" and {entries.Count - 4} more" : "");

    /// <summary>Lets the folder go: another process may claim it from now on.</summary>
    public void Dispose()
    {
        try
        {
            File.Delete(System.IO.Path.Combine(Path, PidName));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Only a hint for messages; the lock below is what counts, and the next holder rewrites it.
        }
        _lock.Dispose();
    }

    private static FileStream Lock(string folder)
    {
        string path = System.IO.Path.Combine(folder, LockName);
        try
        {
            return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, 1, FileOptions.DeleteOnClose);
        }
        catch (IOException ex) when (ex.GetType() == typeof(IOException) && IsLocked(path))
        {
            throw new RunFolderException($"{folder}: in use by another gan3d process{Holder(folder)}", inUse: true);
        }
    }

    /// <summary>Whether the failure to lock was another holder's lock rather than, say, a read-only file system.</summary>
    private static bool IsLocked(string path)
    {
        try
        {
            // A shared lock conflicts only with an exclusive one.
            using var probe = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            return false;
        }
        catch (FileNotFoundException)
        {
            return false;
        }
        catch (IOException)
        {
            return true;
        }
    }

    private static string Holder(string folder)
    {
        try
        {
            string text = File.ReadAllText(System.IO.Path.Combine(folder, PidName)).Trim();
            return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int pid) ? $" (pid {pid})" : "";
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return "";
        }
    }

    /// <summary>
    /// Deletes AtomicFile's temporaries in the folder, samples/ and meshes/ whose writing process is
    /// gone (a live one, e.g. a <c>gan3d sample</c> writing into the folder, keeps its own).
    /// </summary>
    private static int RemoveStaleTemporaries(string folder)
    {
        int removed = 0;
        foreach (string dir in new[] { folder, System.IO.Path.Combine(folder, "samples"), System.IO.Path.Combine(folder, "meshes") })
        {
            if (!Directory.Exists(dir))
            {
                continue;
            }
            foreach (string file in Directory.EnumerateFiles(dir))
            {
                if (IsStaleTemporary(System.IO.Path.GetFileName(file)))
                {
                    File.Delete(file);
                    removed++;
                }
            }
        }
        return removed;
    }

    private static bool IsStaleTemporary(string name)
    {
        if (!AtomicFile.IsTemporary(name, out int pid))
        {
            return false;
        }
        if (pid < 0)
        {
            return true;
        }
        if (pid == Environment.ProcessId)
        {
            return false;
        }
        try
        {
            using var p = Process.GetProcessById(pid);
            return p.HasExited;
        }
        catch (ArgumentException)
        {
            return true; // no such process
        }
    }

    private static void DeleteRunFiles(string folder)
    {
        foreach (string name in RunFiles)
        {
            string path = System.IO.Path.Combine(folder, name);
            if (Directory.Exists(path))
            {
                Directory.Delete(path, recursive: true);
            }
            else if (File.Exists(path))
            {
                File.Delete(path);
            }
        }
    }
}
