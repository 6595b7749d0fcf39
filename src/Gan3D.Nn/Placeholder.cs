namespace Gan3D.Nn;
internal static class Placeholder { }
