using Gan3D.Data;

namespace Gan3D.Tests.Data;

/// <summary>The real data the project did not make must load (skipped when ../shared/data is absent).</summary>
public class SharedDataTests
{
    [Fact]
    public void EveryCgalMeshLoadsAndVoxelizes()
    {
        string folder = TestData.SharedPath("meshes/cgal");
        var files = Directory.GetFiles(folder, "*.off").OrderBy(f => f, StringComparer.Ordinal).ToArray();
        Assert.Equal(25, files.Length);
        foreach (string file in files)
        {
            var mesh = MeshFile.Read(file);
            Assert.True(mesh.TriangleCount >= 12, file);
            var grid = Voxelizer.Voxelize(mesh, 16);
            Assert.False(grid.IsEmpty, file);
        }
        // Spot checks against the headers: cube.off is 8 vertices / 12 triangles, dino.off is COFF.
        var cube = MeshFile.Read(Path.Combine(folder, "cube.off"));
        Assert.Equal((8, 12), (cube.VertexCount, cube.TriangleCount));
        Assert.Equal(3916, MeshFile.Read(Path.Combine(folder, "dino.off")).VertexCount);
        Assert.Equal(5660, MeshFile.Read(Path.Combine(folder, "triceratops.off")).TriangleCount);
    }

    [Theory]
    [InlineData("Cube.off", 8, 12)]
    [InlineData("box.obj", 8, 12)]
    [InlineData("box_without_lineending.obj", 8, 12)]
    [InlineData("concave_polygon.obj", -1, -1)]
    [InlineData("multiple_spaces.obj", 4, 1)]
    [InlineData("number_formats.obj", 15, 1)]
    [InlineData("point_cloud.obj", 3, 0)]
    [InlineData("testmixed.obj", 8, 12)]
    [InlineData("triangle.stl", 3, 1)]
    [InlineData("Spider_ascii.stl", -1, 1368)]
    [InlineData("Spider_binary.stl", -1, 1368)]
    [InlineData("Wuson.off", 3205, 3732)]
    [InlineData("Wuson.stl", -1, 3732)]
    [InlineData("WusonOBJ.obj", -1, -1)]
    [InlineData("spider.obj", -1, -1)]
    public void ValidAssimpFilesLoad(string name, int vertices, int triangles)
    {
        var mesh = MeshFile.Read(TestData.SharedPath("meshes/assimp/" + name));
        if (vertices >= 0)
        {
            Assert.Equal(vertices, mesh.VertexCount);
        }
        if (triangles >= 0)
        {
            Assert.Equal(triangles, mesh.TriangleCount);
        }
        Assert.True(mesh.VertexCount > 0);
    }

    [Fact]
    public void AssimpNumberFormatsParseAsIntended()
    {
        var mesh = MeshFile.Read(TestData.SharedPath("meshes/assimp/number_formats.obj"));
        // "v 1e+2 2.e+1 3.1+e2": the misplaced exponent sign still means 3.1e2.
        Assert.Equal([100f, 20f, 310f], mesh.Positions[(7 * 3)..(8 * 3)]);
        Assert.Equal([0.01f, 0.2f, 0.031f], mesh.Positions[(10 * 3)..(11 * 3)]);
        Assert.Equal([1e10f, 20f, 3.1e10f], mesh.Positions[(13 * 3)..(14 * 3)]);
    }

    [Fact]
    public void ConcavePolygonKeepsItsArea()
    {
        // One 66-corner keyhole polygon (a ring joined by a doubled bridge edge) in the plane x = −1.146.
        // Ear clipping keeps its area exactly; a fan from its first corner would not.
        string path = TestData.SharedPath("meshes/assimp/concave_polygon.obj");
        var mesh = MeshFile.Read(path);
        var face = File.ReadAllLines(path).Single(l => l.StartsWith("f "))
            .Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1).Select(t => int.Parse(t.Split('/')[0], System.Globalization.CultureInfo.InvariantCulture) - 1).ToArray();
        double shoelace = 0;
        for (int n = 0; n < face.Length; n++)
        {
            var a = mesh.Vertex(face[n]);
            var b = mesh.Vertex(face[(n + 1) % face.Length]);
            shoelace += (double)a.Y * b.Z - (double)b.Y * a.Z;
        }
        Assert.Equal(Math.Abs(shoelace) / 2, mesh.Area(), 4);
        Assert.Equal(64, mesh.TriangleCount);
    }

    [Fact]
    public void BunnyLoads()
    {
        var bunny = MeshFile.Read(TestData.SharedPath("meshes/bunny.obj"));
        Assert.Equal((1839, 3674), (bunny.VertexCount, bunny.TriangleCount));
    }

    [Fact]
    public void ModelNetChairsLoadWithCountAndShape()
    {
        string path = TestData.SharedPath("voxels/modelnet10/chair-train-32.npy.gz");
        var (shape, descr) = NpyFile.ReadHeader(path);
        Assert.Equal([889L, 32, 32, 32], shape);
        Assert.Equal("|u1", descr);
        var chairs = VoxelDataset.Load(path);
        Assert.Equal(889, chairs.Count);
        Assert.Equal(32, chairs.Resolution);
        Assert.Equal("chair", chairs.GetLabel(0));
        Assert.Empty(chairs.Warnings);
        // Chairs face −y: the back (upper third) sits behind the seat's centre along axis 1.
        double upper = 0, all = 0, nUpper = 0, nAll = 0;
        for (int s = 0; s < chairs.Count; s += 10)
        {
            var g = chairs.GetGrid(s);
            for (int i = 0; i < 32; i++)
            {
                for (int j = 0; j < 32; j++)
                {
                    for (int k = 0; k < 32; k++)
                    {
                        if (!g[i, j, k]) { continue; }
                        all += j; nAll++;
                        if (k > 21) { upper += j; nUpper++; }
                    }
                }
            }
        }
        Assert.True(upper / nUpper > all / nAll + 2, $"back at mean j {upper / nUpper:F1}, whole chair {all / nAll:F1}");
    }

    [Fact]
    public void AllOfModelNet10LoadsSkippingTheEmptyGrids()
    {
        string folder = TestData.SharedPath("voxels/modelnet10");
        var all = VoxelDataset.Load(folder);
        Assert.Equal(3991 - 27, all.Count);
        Assert.Equal(10, all.ClassNames.Count);
        Assert.Equal(["bathtub", "bed", "chair", "desk", "dresser", "monitor", "night_stand", "sofa", "table", "toilet"], all.ClassNames);
        Assert.Equal(889, all.Labels!.Count(l => l == "chair"));
        Assert.Equal(392 - 13, all.Labels!.Count(l => l == "table"));
        int skipped = all.Warnings.Sum(w => int.Parse(w.Split("skipped ")[1].Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(27, skipped);
        Assert.Contains(all.Warnings, w => w.Contains("bathtub-train-32.npy.gz: skipped 12 all-empty grids"));
    }
}
