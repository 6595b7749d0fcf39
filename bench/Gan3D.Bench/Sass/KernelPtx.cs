using System.Reflection;
using System.Text.RegularExpressions;
using Gan3D.Kernels;
using ILGPU;
using ILGPU.Backends.EntryPoints;
using ILGPU.Backends.PTX;
using ILGPU.Runtime;
using ILGPU.Runtime.Cuda;

namespace Gan3D.Bench.Sass;

/// <summary>
/// Compiles the kernels of Gan3D.Kernels to PTX for sm_90 (PTX ISA 8.8) without a GPU, with the context
/// settings production CUDA runs use. Kernels are found by reflection (public static methods named
/// *Kernel or *KernelN), so a new kernel is covered without a list to maintain.
/// Shared by gan3d-bench sass and the PTX compile tests.
/// </summary>
internal static partial class KernelPtx
{
    private static readonly Lazy<(Context Context, PTXBackend Backend)> s_ptx = new(() =>
    {
        var context = Context.Create(b => b.EnableAlgorithms().Optimize(OptimizationLevel.O2).Math(MathMode.Fast));
        return (context, new PTXBackend(context, CudaArchitecture.SM_90, CudaInstructionSet.ISA_88, null!));
    });

    /// <summary>Every kernel method, ordered by type then name.</summary>
    public static IEnumerable<MethodInfo> KernelMethods() =>
        typeof(Conv3dKernels).Assembly.GetTypes()
            .SelectMany(t => t.GetMethods(BindingFlags.Public | BindingFlags.Static | BindingFlags.DeclaredOnly))
            .Where(m => KernelName().IsMatch(m.Name))
            .OrderBy(m => m.DeclaringType!.Name, StringComparer.Ordinal)
            .ThenBy(m => m.Name, StringComparer.Ordinal);

    /// <summary>The name used in reports and dump files: Type.Method.</summary>
    public static string Name(MethodInfo method) => $"{method.DeclaringType!.Name}.{method.Name}";

    /// <summary>The PTX module of one kernel (one <c>.entry</c>).</summary>
    public static string Compile(MethodInfo method)
    {
        var entry = IsImplicitlyGrouped(method)
            ? EntryPointDescription.FromImplicitlyGroupedKernel(method)
            : EntryPointDescription.FromExplicitlyGroupedKernel(method);
        var (_, backend) = s_ptx.Value;
        lock (backend)
        {
            var compiled = (PTXCompiledKernel)backend.Compile(entry, KernelSpecialization.Empty);
            return compiled.PTXAssembly;
        }
    }

    /// <summary>Implicitly grouped kernels take their index first; explicitly grouped ones read Grid/Group instead.</summary>
    private static bool IsImplicitlyGrouped(MethodInfo method)
    {
        var first = method.GetParameters().FirstOrDefault()?.ParameterType;
        return first == typeof(Index1D) || first == typeof(Index2D) || first == typeof(Index3D) ||
               first == typeof(LongIndex1D) || first == typeof(LongIndex2D) || first == typeof(LongIndex3D);
    }

    [GeneratedRegex(@"Kernel\d*$")]
    private static partial Regex KernelName();
}
