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
    private static readonly CudaForTests s_cuda = new();

    protected override IBackend Backend => s_cuda.BackendOrSkip;

    protected override double Tolerance => 2e-4;
}
