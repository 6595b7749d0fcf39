using System.Reflection;
using System.Text.RegularExpressions;
using Gan3D.Bench.Sass;
using Gan3D.Kernels;
using ILGPU;

namespace Gan3D.Tests.Engine;

/// <summary>
/// Compiles every kernel of Gan3D.Kernels to PTX for an H100 (sm_90, PTX ISA 8.8) without a GPU,
/// with the context settings production CUDA runs use (<see cref="KernelPtx"/>, shared with gan3d-bench
/// sass). The CPU accelerator runs a kernel's .NET code directly, so a kernel can pass every op test there and still not compile for CUDA (an unsupported
/// call, a managed allocation, a missing intrinsic): this test fails first.
/// Kernels are found by reflection, so a new one is covered without touching this file.
/// </summary>
public sealed class IlgpuPtxCompileTests
{
    /// <summary>Every public static method named *Kernel or *KernelN in the kernels assembly.</summary>
    public static IEnumerable<MethodInfo> KernelMethods() => KernelPtx.KernelMethods();

    public static TheoryData<string> Kernels() => new(KernelMethods().Select(KernelPtx.Name));

    [Fact]
    public void ReflectionFindsEveryKernelFamily()
    {
        var names = Kernels().Select(row => row.Data).ToHashSet();
        // One known kernel per family: if reflection stopped finding them, the theory below would pass vacuously.
        foreach (string expected in new[]
        {
            "Conv3dKernels.Conv3dForwardKernel1", "Conv3dKernels.Conv3dBackwardDataKernel1", "Conv3dKernels.Conv3dBackwardWeightKernel1",
            "ElementwiseKernels.UnaryKernel", "ReductionKernels.FinalizeSumKernel", "BatchNormKernels.BatchNormBackwardDataKernel",
            "PoolKernels.MaxPool3dBackwardKernel", "LossKernels.BcePartialKernel", "AdamKernels.AdamStepKernel",
            "RandomKernels.FillUniformKernel", "CopyKernels.CopyRowsKernel", "MatMulKernels.MatMulKernel1",
            // version 2 (explicitly grouped: shared memory, barriers, warp shuffles)
            "Conv3dKernels.Conv3dForwardKernel2", "Conv3dKernels.Conv3dBackwardDataKernel2", "Conv3dKernels.Conv3dBackwardDataDenseKernel2",
            "Conv3dKernels.Conv3dBackwardWeightKernel2", "Conv3dKernels.Conv3dBackwardWeightReduceKernel2",
            "ReductionKernels.PartialSumKernel2", "ReductionKernels.ChannelPartialSumKernel2",
            "BatchNormKernels.BatchNormPartialStatisticsKernel2", "BatchNormKernels.BatchNormStatisticsKernel2",
            "BatchNormKernels.BatchNormActivationKernel2", "BatchNormKernels.BatchNormPartialBackwardKernel2",
        })
        {
            Assert.Contains(expected, names);
        }
    }

    [Theory]
    [MemberData(nameof(Kernels))]
    public void KernelCompilesToPtxForSm90(string kernel)
    {
        var method = KernelMethods().Single(m => KernelPtx.Name(m) == kernel);
        string ptx = CompileToPtx(method);
        TestContext.Current.TestOutputHelper?.WriteLine($"{kernel}: {ptx.Length} characters of PTX, {Target(ptx)}");
        // For reading the generated code: GAN3D_PTX_DUMP=/some/dir writes one .ptx file per kernel there.
        if (Environment.GetEnvironmentVariable("GAN3D_PTX_DUMP") is { Length: > 0 } dump)
        {
            Directory.CreateDirectory(dump);
            File.WriteAllText(Path.Combine(dump, kernel + ".ptx"), ptx);
        }
        Assert.Contains(".version 8.8", ptx, StringComparison.Ordinal);
        Assert.Matches(@"\.target sm_(80|90)\b", ptx);
        Assert.Matches(@"\.entry\s+\S+", ptx);
    }

    /// <summary>The tile kernels of every version past 1 (fp32 and TF32: tiles staged through shared memory between two barriers; not the small-M or reduction kernels, which stage nothing).</summary>
    public static TheoryData<string> TileKernels() => new(KernelMethods().Select(KernelPtx.Name).Where(n => n.StartsWith("Conv3dKernels.", StringComparison.Ordinal) && !n.Contains("Kernel1") && !n.Contains("SmallM") && !n.Contains("Reduce")));

    [Theory]
    [MemberData(nameof(TileKernels))]
    public void SharedLoadsStayBetweenTheBarriersOfTheirStep(string kernel)
    {
        // ILGPU places values next to their uses: in version 3 the unrolled FMAs of a step, used only by the next trip, once had
        // their shared loads emitted after the step's closing barrier (PTX: bar.sync; bar.sync; ld.shared),
        // so a warp could stage the next slice over one another warp was still reading. The CPU accelerator
        // runs the IL as written and cannot see this; the PTX can: every two barriers must have shared
        // memory traffic between them.
        string ptx = CompileToPtx(KernelMethods().Single(m => KernelPtx.Name(m) == kernel));
        var barriers = Regex.Matches(ptx, @"\bbar\.sync\b").Select(m => m.Index).ToList();
        Assert.True(barriers.Count >= 2, $"{kernel}: {barriers.Count} barriers");
        for (int i = 1; i < barriers.Count; i++)
        {
            string between = ptx[barriers[i - 1]..barriers[i]];
            Assert.True(Regex.IsMatch(between, @"\b(ld|st)\.shared\b"), $"{kernel}: two barriers with no shared memory access between them");
        }
    }

    [Fact]
    public void UniformFillKeepsItsRoundingOnCuda()
    {
        // The inline PTX of FillUniformKernel must survive: without `.rn` the JIT may fuse the
        // multiply-add and the draws would differ from the CPU backend's in the last bit.
        string ptx = CompileToPtx(typeof(RandomKernels).GetMethod(nameof(RandomKernels.FillUniformKernel))!);
        Assert.Contains("mul.rn.f32", ptx, StringComparison.Ordinal);
        Assert.Contains("add.rn.f32", ptx, StringComparison.Ordinal);
    }

    [Fact]
    public void AKernelOnlyTheCpuAcceleratorCanRunFailsToCompile()
    {
        // Guards the guard: the CPU accelerator runs this kernel happily, PTX has no managed heap.
        var method = typeof(IlgpuPtxCompileTests).GetMethod(nameof(CpuOnlyKernel), BindingFlags.NonPublic | BindingFlags.Static)!;
        var ex = Assert.ThrowsAny<Exception>(() => CompileToPtx(method));
        TestContext.Current.TestOutputHelper?.WriteLine($"{ex.GetType().Name}: {ex.Message} {ex.InnerException?.Message}");
    }

    private static void CpuOnlyKernel(Index1D index, ArrayView<float> y)
    {
        var scratch = new float[index + 1];
        y[index] = scratch.Length;
    }

    private static string CompileToPtx(MethodInfo method) => KernelPtx.Compile(method);

    private static string Target(string ptx) => Regex.Match(ptx, @"\.target \S+").Value;
}
