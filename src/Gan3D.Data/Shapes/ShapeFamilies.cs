using Gan3D.Data.Shapes;

namespace Gan3D.Data;

/// <summary>
/// The built-in data set: parametric, seeded shape families (no download, no files). Each shape is
/// built from solid primitives (boxes, cylinders, cones, capsules, ellipsoids, lathe profiles, tori,
/// extruded polygons) rasterised analytically at any resolution, upright with axis 2 up, front towards
/// −y, centred, and scaled so its longest extent touches both faces of the cube (like the ModelNet
/// data). A (family, resolution, seed) triple always gives the same grid.
/// </summary>
public static class ShapeFamilies
{
    private static readonly (string Name, Func<ShapeRandom, ShapeBuilder> Make)[] Families =
    [
        ("chair", Furniture.Chair),
        ("table", Furniture.Table),
        ("sofa", Furniture.Sofa),
        ("bed", Furniture.Bed),
        ("bench", Furniture.Bench),
        ("lamp", Objects.Lamp),
        ("vase", Objects.Vase),
        ("mug", Objects.Mug),
        ("monitor", Objects.Monitor),
        ("bathtub", Objects.Bathtub),
        ("airplane", Vehicles.Airplane),
        ("car", Vehicles.Car),
    ];

    /// <summary>The family names, in a fixed order (that order is also the class index order of datasets made here).</summary>
    public static IReadOnlyList<string> Names { get; } = Families.Select(f => f.Name).ToArray();

    /// <summary>One shape of <paramref name="family"/> at <paramref name="resolution"/>³ from <paramref name="seed"/>.</summary>
    public static VoxelGrid Generate(string family, int resolution, int seed)
    {
        VoxelGrid.CheckResolution(resolution);
        int index = IndexOf(family);
        var rng = new ShapeRandom(ShapeRandom.Mix(ShapeRandom.Hash(Families[index].Name), (ulong)(uint)seed));
        return Families[index].Make(rng).Rasterize(resolution);
    }

    /// <summary>
    /// A labelled dataset with <paramref name="countPerFamily"/> shapes of each of
    /// <paramref name="families"/> (all families when null), grouped by family. Shape n of a family
    /// uses seed Mix(seed, n), so a larger count extends a smaller one. Generated in parallel.
    /// </summary>
    public static VoxelDataset CreateDataset(int countPerFamily, int resolution, int seed = 0, IEnumerable<string>? families = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(countPerFamily);
        var names = (families ?? Names).Select(f => Names[IndexOf(f)]).ToArray();
        var jobs = names.SelectMany(name => Enumerable.Range(0, countPerFamily).Select(n => (Family: name, Seed: ShapeSeed(seed, n)))).ToArray();
        return Build(jobs, resolution);
    }

    /// <summary>
    /// A labelled dataset of <paramref name="count"/> shapes cycling through all families
    /// (chair, table, sofa, ..., chair, ...), for a balanced mix of any size.
    /// </summary>
    public static VoxelDataset CreateMixedDataset(int count, int resolution, int seed = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        var jobs = Enumerable.Range(0, count).Select(n => (Family: Names[n % Names.Count], Seed: ShapeSeed(seed, n / Names.Count))).ToArray();
        return Build(jobs, resolution);
    }

    private static int ShapeSeed(int seed, int n) => (int)ShapeRandom.Mix((ulong)(uint)seed, (ulong)n);

    private static VoxelDataset Build((string Family, int Seed)[] jobs, int resolution)
    {
        VoxelGrid.CheckResolution(resolution);
        var grids = new VoxelGrid[jobs.Length];
        Parallel.For(0, jobs.Length, n => grids[n] = Generate(jobs[n].Family, resolution, jobs[n].Seed));
        var builder = new VoxelDatasetBuilder(resolution);
        for (int n = 0; n < jobs.Length; n++)
        {
            builder.Add(grids[n].Voxels, jobs[n].Family);
        }
        return builder.Build([]);
    }

    private static int IndexOf(string family)
    {
        ArgumentNullException.ThrowIfNull(family);
        for (int i = 0; i < Families.Length; i++)
        {
            if (string.Equals(Families[i].Name, family, StringComparison.OrdinalIgnoreCase))
            {
                return i;
            }
        }
        throw new ArgumentException($"unknown shape family '{family}' (known: {string.Join(", ", Names)})", nameof(family));
    }
}
