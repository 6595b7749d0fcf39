using Gan3D.Tensors;

namespace Gan3D.Tests.Engine;

/// <summary>
/// A CUDA backend for one test class, opened on first use; where there is no GPU each test reports
/// skipped with the reason. One per class, so classes that run in parallel never share an accelerator.
/// </summary>
internal sealed class CudaForTests
{
    private readonly Lazy<(IlgpuBackend? Backend, string? Problem)> _cuda = new(Open);

    public IlgpuBackend BackendOrSkip
    {
        get
        {
            var (backend, problem) = _cuda.Value;
            if (backend is null)
            {
                Assert.Skip($"no CUDA device: {problem}");
            }
            return backend;
        }
    }

    private static (IlgpuBackend?, string?) Open()
    {
        var probe = IlgpuBackend.ProbeCuda();
        if (probe.Devices.Count == 0)
        {
            return (null, probe.Problem);
        }
        var backend = IlgpuBackend.TryCreateCuda(0);
        return (backend, backend is null ? "ILGPU could not open cuda:0" : null);
    }
}
