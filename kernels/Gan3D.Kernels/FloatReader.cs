using ILGPU;

namespace Gan3D.Kernels;

/// <summary>
/// Read access to float32 elements, so that one scalar function serves the ILGPU kernels
/// (<see cref="ViewReader"/>) and the CPU backend's loops (<see cref="ArrayReader"/>): the math of an
/// op written once, generic over the reader (TensorPrimitives' operator-struct pattern; the JIT and
/// ILGPU specialise it per struct, so there is no interface call at run time).
/// </summary>
public interface IFloatReader
{
    /// <summary>Element <paramref name="index"/>.</summary>
    float Read(int index);
}

/// <summary>An ILGPU view, read inside a kernel.</summary>
public readonly struct ViewReader : IFloatReader
{
    private readonly ArrayView<float> _view;

    /// <summary>Reads <paramref name="view"/>.</summary>
    public ViewReader(ArrayView<float> view) => _view = view;

    /// <inheritdoc/>
    public float Read(int index) => _view[index];
}

/// <summary>A managed array, read by the CPU backend (never passed to a kernel).</summary>
public readonly struct ArrayReader : IFloatReader
{
    private readonly float[] _array;

    /// <summary>Reads <paramref name="array"/>.</summary>
    public ArrayReader(float[] array) => _array = array;

    /// <inheritdoc/>
    public float Read(int index) => _array[index];
}
