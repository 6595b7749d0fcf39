namespace Gan3D.Models;
internal static class Placeholder { }
