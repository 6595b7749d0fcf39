namespace Gan3D.Data;
internal static class Placeholder { }
