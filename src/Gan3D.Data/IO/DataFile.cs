using System.IO.Compression;

namespace Gan3D.Data;

/// <summary>Opening, gzip detection and error wording shared by the readers.</summary>
internal static class DataFile
{
    /// <summary>Bytes 1f 8b start every gzip stream.</summary>
    public static bool IsGzip(ReadOnlySpan<byte> head) => head.Length >= 2 && head[0] == 0x1f && head[1] == 0x8b;

    /// <summary>An <see cref="InvalidDataException"/> whose message is "FILE[:LINE]: what".</summary>
    public static InvalidDataException Error(string path, string what, int line = 0) =>
        new(line > 0 ? $"{path}:{line}: {what}" : $"{path}: {what}");

    /// <summary>
    /// Opens a file for reading, decompressing gzip when the content starts with the gzip magic
    /// (whatever the extension says). <paramref name="length"/> is the file's length in bytes when the
    /// content is not compressed, or -1 when it is (then the data size is unknown until read).
    /// </summary>
    public static Stream Open(string path, out long length)
    {
        var file = OpenRead(path);
        try
        {
            Span<byte> head = stackalloc byte[2];
            int n = file.ReadAtLeast(head, 2, throwOnEndOfStream: false);
            file.Position = 0;
            if (file.Length == 0)
            {
                throw Error(path, "file is empty");
            }
            if (IsGzip(head[..n]))
            {
                length = -1;
                return new GuardedStream(new GZipStream(file, CompressionMode.Decompress), path);
            }
            length = file.Length;
            return file;
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Opens a file for reading; a folder, a missing file or one the user may not read gives an
    /// error naming the file in words (.NET's own says "Access to the path ... is denied" for a folder).
    /// </summary>
    public static FileStream OpenRead(string path, int bufferSize = 1 << 16)
    {
        if (!File.Exists(path))
        {
            throw new FileNotFoundException(Directory.Exists(path) ? $"{path}: is a folder, not a file" : $"{path}: no such file", path);
        }
        try
        {
            return new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize);
        }
        catch (UnauthorizedAccessException ex)
        {
            throw new UnauthorizedAccessException($"{path}: cannot read the file (permission denied)", ex);
        }
        catch (IOException ex) when (ex is not FileNotFoundException)
        {
            throw Error(path, $"cannot read the file ({ex.Message.TrimEnd('.')})");
        }
    }

    /// <summary>Reads until <paramref name="buffer"/> is full or the stream ends; returns the bytes read.</summary>
    public static int ReadUpTo(Stream stream, Span<byte> buffer) =>
        stream.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false);

    /// <summary>
    /// Reads exactly <paramref name="count"/> bytes. The buffer grows with the data actually present,
    /// so a tiny (compressed) file that declares a huge size fails at its end without a huge allocation.
    /// </summary>
    public static byte[] ReadExactlyGrowing(Stream stream, long count, string path, string what)
    {
        if (count > System.Array.MaxLength)
        {
            throw Error(path, $"{what} needs {count} bytes, more than one array can hold");
        }
        int size = (int)Math.Min(count, 1 << 24);
        var buffer = new byte[size];
        int filled = 0;
        while (filled < count)
        {
            if (filled == buffer.Length)
            {
                System.Array.Resize(ref buffer, (int)Math.Min(count, (long)buffer.Length * 2));
            }
            int n = stream.Read(buffer, filled, buffer.Length - filled);
            if (n == 0)
            {
                throw Error(path, $"truncated: {what} needs {count} bytes, the file holds only {filled}");
            }
            filled += n;
        }
        return buffer;
    }

    /// <summary>Reads a whole (uncompressed) file, refusing one larger than an array can hold.</summary>
    public static byte[] ReadAllBytes(string path)
    {
        using var file = OpenRead(path);
        long length = file.Length;
        if (length == 0)
        {
            throw Error(path, "file is empty");
        }
        if (length > System.Array.MaxLength)
        {
            throw Error(path, $"file is {length} bytes, too large to read");
        }
        var bytes = new byte[length];
        try
        {
            file.ReadExactly(bytes);
        }
        catch (EndOfStreamException)
        {
            throw Error(path, "the file shrank while it was read");
        }
        return bytes;
    }

    /// <summary>Turns gzip's own errors (which name no file) into "FILE: ..." errors.</summary>
    private sealed class GuardedStream(Stream inner, string path) : Stream
    {
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            try
            {
                return inner.Read(buffer);
            }
            catch (InvalidDataException ex)
            {
                throw Error(path, $"corrupt gzip data ({ex.Message.TrimEnd('.')})");
            }
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                inner.Dispose();
            }
            base.Dispose(disposing);
        }
    }
}
