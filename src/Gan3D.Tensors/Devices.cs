namespace Gan3D.Tensors;

/// <summary>Turns a device name from the command line or a config into a backend.</summary>
public static class Devices
{
    private static readonly AsyncLocal<IBackend?> s_default = new();

    /// <summary>
    /// The backend a layer is created on when its constructor is given none, as PyTorch's default device:
    /// <see cref="CpuBackend.Default"/>, or the backend of the innermost <see cref="Use"/> scope around the
    /// code. The one place such a default is chosen (Module's constructor asks here).
    /// </summary>
    public static IBackend Default => s_default.Value ?? CpuBackend.Default;

    /// <summary>
    /// Makes <paramref name="backend"/> the <see cref="Default"/> of this thread and the async calls it makes
    /// until the result is disposed (scopes nest), as <c>with torch.device("cuda"):</c>.
    /// </summary>
    public static IDisposable Use(IBackend backend)
    {
        ArgumentNullException.ThrowIfNull(backend);
        var scope = new DefaultScope(s_default.Value);
        s_default.Value = backend;
        return scope;
    }

    /// <summary>The names <see cref="Create"/> accepts.</summary>
    public static readonly string[] Names = ["auto", "cpu", "cuda", "ilgpu-cpu"];

    /// <summary>
    /// "cpu": the managed CPU backend; "cuda" (or "cuda:N"): an NVIDIA GPU through ILGPU;
    /// "ilgpu-cpu": ILGPU's CPU emulator (for checking kernels, slow); "auto": CUDA when a GPU is
    /// present, else the CPU. <paramref name="threads"/> limits the CPU backend (0 = all cores).
    /// </summary>
    public static IBackend Create(string name, int threads = 0)
    {
        string n = name.Trim().ToLowerInvariant();
        switch (n)
        {
            case "cpu":
                return threads > 0 ? new CpuBackend(threads) : CpuBackend.Default;
            case "auto":
                return TryCreateCuda(0) ?? (threads > 0 ? new CpuBackend(threads) : CpuBackend.Default);
            case "ilgpu-cpu":
                return CreateIlgpuCpu();
        }
        if (n == "cuda" || n.StartsWith("cuda:", StringComparison.Ordinal))
        {
            int index = n == "cuda" ? 0 : int.TryParse(n[5..], out int i) && i >= 0 ? i
                : throw new ArgumentException($"device '{name}': expected cuda:N with N a device number");
            return TryCreateCuda(index) ?? throw new ArgumentException(
                $"device '{name}': no CUDA device found (run 'gan3d devices' to see what this machine offers, or use --device cpu)");
        }
        throw new ArgumentException($"unknown device '{name}': use one of {string.Join(", ", Names)}");
    }

    private static IBackend? TryCreateCuda(int index) => IlgpuBackend.TryCreateCuda(index);

    private static IBackend CreateIlgpuCpu() => IlgpuBackend.CreateCpu();

    private sealed class DefaultScope(IBackend? previous) : IDisposable
    {
        public void Dispose() => s_default.Value = previous;
    }
}
