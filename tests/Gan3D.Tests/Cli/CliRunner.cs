using Gan3D.Cli;

namespace Gan3D.Tests.Cli;

/// <summary>Runs gan3d in-process and captures what it printed.</summary>
public static class CliRunner
{
    public static (int Code, string Out, string Err) Run(params string[] args)
    {
        var o = new StringWriter();
        var e = new StringWriter();
        int code = CliApp.Run(args, o, e);
        return (code, o.ToString(), e.ToString());
    }

    /// <summary>Asserts exit code 2 and exactly one "gan3d: error: ..." line containing <paramref name="expected"/>.</summary>
    public static void AssertBadInput((int Code, string Out, string Err) r, string expected)
    {
        Assert.True(r.Code == 2, $"exit code {r.Code}, stderr: {r.Err}");
        var lines = r.Err.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(lines.Length == 1, $"expected one error line, got: {r.Err}");
        Assert.StartsWith("gan3d: error: ", lines[0]);
        Assert.Contains(expected, lines[0]);
    }
}
