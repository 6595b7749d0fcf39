namespace Gan3D.Kernels;
internal static class Placeholder { }
