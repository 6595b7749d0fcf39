using Gan3D.Data;

namespace Gan3D.Tests.Data;

/// <summary>A failed atomic write names the target (not its hidden temporary file) and leaves nothing behind.</summary>
public class AtomicFileTests
{
    [Fact]
    public void ADiskFullErrorNamesTheTargetAndKeepsTheOldContent()
    {
        using var dir = new TempDir();
        string target = dir.Write("kept.npy", "old");
        string? temp = null;
        // The fault the OS gives on a full disk, as .NET words it: the message names the file written, the temporary one.
        var ex = Assert.Throws<IOException>(() => AtomicFile.Write(target, stream =>
        {
            temp = ((FileStream)stream).Name;
            throw new IOException($"No space left on device : '{temp}'");
        }));
        Assert.Equal($"{target}: cannot write the file (No space left on device)", ex.Message);
        Assert.DoesNotContain(".tmp", ex.Message);
        Assert.Equal("old", File.ReadAllText(target));
        Assert.False(File.Exists(temp));
        Assert.Single(Directory.GetFiles(dir.Path));
    }

    [Fact]
    public void APermissionErrorStaysOneAndNamesTheTarget()
    {
        using var dir = new TempDir();
        string target = dir.File("x.png");
        var ex = Assert.Throws<UnauthorizedAccessException>(() => AtomicFile.Write(target, stream =>
            throw new UnauthorizedAccessException($"Access to the path '{((FileStream)stream).Name}' is denied.")));
        Assert.Equal($"{target}: cannot write the file (permission denied)", ex.Message);
    }

    [Fact]
    public void ErrorsThatAlreadyNameTheTargetPassUnchanged()
    {
        using var dir = new TempDir();
        string target = dir.File("y.npy");
        var ex = Assert.Throws<IOException>(() => AtomicFile.Write(target, _ => throw new IOException($"{target}: something specific")));
        Assert.Equal($"{target}: something specific", ex.Message);
    }
}
