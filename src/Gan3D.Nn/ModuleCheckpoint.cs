using Gan3D.Tensors;

namespace Gan3D.Nn;

/// <summary>Save and load a module's parameters and buffers as <c>.safetensors</c>.</summary>
public static class ModuleCheckpoint
{
    public static void Save(this Module module, string path, IReadOnlyDictionary<string, string>? metadata = null) =>
        SafeTensors.Save(path, module.StateDict(), metadata);

    public static void Load(this Module module, string path, bool strict = true)
    {
        var file = SafeTensors.Load(path);
        module.LoadStateDict(file.Tensors, strict, path);
    }
}
