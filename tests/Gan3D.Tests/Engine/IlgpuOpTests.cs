using Gan3D.Tensors;

namespace Gan3D.Tests.Engine;

/// <summary>
/// The op tests on ILGPU's CPU accelerator: the kernels' own code, run by ILGPU's emulator, against
/// the float64 references. One backend for the class (loading every kernel once costs a moment);
/// xunit runs a class's tests one at a time, so they never share it concurrently.
/// </summary>
public sealed class IlgpuCpuOpTests : OpTests
{
    private static readonly Lazy<IlgpuBackend> s_backend = new(() => IlgpuBackend.CreateCpu());

    protected override IBackend Backend => s_backend.Value;
}

/// <summary>
/// The op tests on a CUDA GPU: skipped, with the reason, where there is none. Tolerance is looser
/// because production CUDA kernels use fast math (approximate exp, log, sqrt and division).
/// </summary>
public sealed class CudaOpTests : OpTests
{
    private static readonly Lazy<(IlgpuBackend? Backend, string? Problem)> s_cuda = new(() =>
    {
        var probe = IlgpuBackend.ProbeCuda();
        if (probe.Devices.Count == 0)
        {
            return (null, probe.Problem);
        }
        var backend = IlgpuBackend.TryCreateCuda(0);
        return (backend, backend is null ? "ILGPU could not open cuda:0" : null);
    });

    protected override IBackend Backend
    {
        get
        {
            var (backend, problem) = s_cuda.Value;
            if (backend is null)
            {
                Assert.Skip($"no CUDA device: {problem}");
            }
            return backend;
        }
    }

    protected override double Tolerance => 2e-4;
}
