namespace Gan3D.Tensors;
internal static class Placeholder { }
