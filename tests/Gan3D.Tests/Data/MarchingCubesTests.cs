using System.Numerics;
using Gan3D.Data;

namespace Gan3D.Tests.Data;

public class MarchingCubesTests
{
    private static void AssertClosedAndOriented(Mesh mesh)
    {
        var (uses, oriented) = TestData.EdgeUse(mesh);
        Assert.All(uses, kv => Assert.Equal(2, kv.Value));
        Assert.True(oriented, "every edge is used once in each direction (consistent winding)");
    }

    [Fact]
    public void SphereFieldGivesAClosedMeshWithTheRightAreaAndVolume()
    {
        const int r = 40;
        const float radius = 14.3f; // voxels
        var field = new float[r * r * r];
        var centre = new Vector3(r / 2f);
        for (int i = 0; i < r; i++)
        {
            for (int j = 0; j < r; j++)
            {
                for (int k = 0; k < r; k++)
                {
                    // A smooth probability-like field, 0.5 on the sphere.
                    float d = Vector3.Distance(new Vector3(i + 0.5f, j + 0.5f, k + 0.5f), centre) - radius;
                    field[(i * r + j) * r + k] = 1 / (1 + MathF.Exp(d));
                }
            }
        }
        var mesh = MarchingCubes.Extract(field, r);
        AssertClosedAndOriented(mesh);
        double rw = radius / r; // in the [−0.5, 0.5] cube
        Assert.Equal(4 * Math.PI * rw * rw, mesh.Area(), 4 * Math.PI * rw * rw * 0.02);
        Assert.Equal(4 / 3.0 * Math.PI * rw * rw * rw, mesh.SignedVolume(), 4 / 3.0 * Math.PI * rw * rw * rw * 0.02);
        var (min, max) = mesh.Bounds();
        Assert.Equal(-rw, min.X, 0.01);
        Assert.Equal(rw, max.Z, 0.01);
    }

    [Fact]
    public void AnyFieldGivesAClosedConsistentlyWoundSurface()
    {
        // Random values exercise all 256 cases, ambiguous faces included; values at the border are closed by the zero padding.
        var rng = new Random(11);
        for (int trial = 0; trial < 3; trial++)
        {
            const int r = 9;
            var field = Enumerable.Range(0, r * r * r).Select(_ => (float)rng.NextDouble()).ToArray();
            var mesh = MarchingCubes.Extract(field, r, 0.5f);
            Assert.True(mesh.TriangleCount > 100);
            AssertClosedAndOriented(mesh);
            Assert.True(mesh.SignedVolume() > 0);
        }
    }

    [Fact]
    public void EveryCaseIsItsOwnClosedPatch()
    {
        // One cell per case (2³ grid): the surface closes around the set corners, outward.
        for (int config = 1; config < 255; config++)
        {
            var field = new float[8];
            for (int c = 0; c < 8; c++)
            {
                // Corner c of the cell is voxel (c & 1, (c >> 1) & 1, (c >> 2) & 1).
                int i = c & 1, j = (c >> 1) & 1, k = (c >> 2) & 1;
                field[(i * 2 + j) * 2 + k] = (config >> c & 1) == 1 ? 1f : 0f;
            }
            var mesh = MarchingCubes.Extract(field, 2);
            AssertClosedAndOriented(mesh);
            Assert.True(mesh.SignedVolume() > 0, $"case {config}");
        }
    }

    [Fact]
    public void CubesGiveExactBoundaryFaces()
    {
        var one = new VoxelGrid(4);
        one[1, 2, 3] = true;
        var mesh = MarchingCubes.Cubes(one);
        Assert.Equal((8, 12), (mesh.VertexCount, mesh.TriangleCount));
        AssertClosedAndOriented(mesh);
        Assert.Equal(1.0 / 64, mesh.SignedVolume(), 9);
        var (min, max) = mesh.Bounds();
        Assert.Equal(new Vector3(1 / 4f - 0.5f, 2 / 4f - 0.5f, 3 / 4f - 0.5f), min);
        Assert.Equal(new Vector3(2 / 4f - 0.5f, 3 / 4f - 0.5f, 1 - 0.5f), max);

        // Two neighbours share a face: it is not emitted, vertices are shared.
        one[2, 2, 3] = true;
        mesh = MarchingCubes.Cubes(one);
        Assert.Equal((12, 20), (mesh.VertexCount, mesh.TriangleCount));
        AssertClosedAndOriented(mesh);

        var table = ShapeFamilies.Generate("table", 24, 3);
        var blocks = MarchingCubes.Cubes(table);
        Assert.Equal(table.CountOccupied() / (24.0 * 24 * 24), blocks.SignedVolume(), 6);
    }

    [Fact]
    public void MeshesWrittenAndReadBackKeepTheirSurface()
    {
        using var dir = new TempDir();
        var grid = ShapeFamilies.Generate("mug", 20, 1);
        var smooth = MarchingCubes.Extract(grid);
        MeshFile.Write(dir.File("mug.ply"), smooth);
        MeshFile.Write(dir.File("mug.obj"), smooth);
        Assert.Equal(smooth.Area(), MeshFile.Read(dir.File("mug.ply")).Area(), 6);
        Assert.Equal(smooth.SignedVolume(), MeshFile.Read(dir.File("mug.obj")).SignedVolume(), 6);
    }

    [Fact]
    public void VoxelizingTheBlocksGivesTheGridBackWithinOneLayer()
    {
        // A grid touching all six faces (so the voxelizer's fit is the identity): three bars plus random voxels.
        const int r = 12;
        var grid = new VoxelGrid(r);
        var rng = new Random(3);
        for (int n = 0; n < r; n++)
        {
            grid[n, 5, 6] = grid[5, n, 6] = grid[5, 6, n] = true;
        }
        for (int n = 0; n < 150; n++)
        {
            grid[rng.Next(r), rng.Next(r), rng.Next(r)] = true;
        }
        var again = Voxelizer.Voxelize(MarchingCubes.Cubes(grid), r);
        for (int i = 0; i < r; i++)
        {
            for (int j = 0; j < r; j++)
            {
                for (int k = 0; k < r; k++)
                {
                    Assert.True(!grid[i, j, k] || again[i, j, k], $"voxel ({i}, {j}, {k}) lost");
                    if (again[i, j, k])
                    {
                        bool near = false;
                        for (int a = -1; a <= 1; a++)
                        {
                            for (int b = -1; b <= 1; b++)
                            {
                                for (int c = -1; c <= 1; c++)
                                {
                                    int x = i + a, y = j + b, z = k + c;
                                    near |= x >= 0 && y >= 0 && z >= 0 && x < r && y < r && z < r && grid[x, y, z];
                                }
                            }
                        }
                        Assert.True(near, $"voxel ({i}, {j}, {k}) is more than one layer from the grid");
                    }
                }
            }
        }
    }
}

/// <summary>Version 2 of marching cubes (byte inside-grid, slab vertex ids) gives version 1's mesh exactly.</summary>
public class MarchingCubesVersionTests
{
    private static void AssertSameMesh(float[] field, int r, float iso)
    {
        var reference = MarchingCubes.ExtractReference(field, r, iso);
        var fast = MarchingCubes.ExtractWithSlabs(field, r, iso);
        Assert.True(reference.TriangleCount > 0);
        Assert.Equal(reference.Positions, fast.Positions);
        Assert.Equal(reference.Triangles, fast.Triangles);
    }

    [Theory]
    [InlineData(3, 0.5f)]
    [InlineData(2, 0.5f)]
    [InlineData(7, 0.5f)]
    [InlineData(8, 0.3f)]
    [InlineData(9, -0.2f)] // the zero padding is inside: the surface wraps the grid from outside
    [InlineData(16, 0.5f)]
    public void RandomFieldsGiveTheReferenceMeshExactly(int r, float iso)
    {
        // Noise hits every cube configuration many times at these sizes; values of exactly iso and ±∞ too.
        var rng = new Random(r);
        var field = new float[r * r * r];
        for (int n = 0; n < field.Length; n++)
        {
            field[n] = (n % 29) switch
            {
                0 => iso,
                1 => float.PositiveInfinity,
                2 => float.NegativeInfinity,
                _ => (float)rng.NextDouble() * 1.4f - 0.2f,
            };
        }
        AssertSameMesh(field, r, iso);
    }

    [Fact]
    public void GridsAndShapesGiveTheReferenceMeshExactly()
    {
        foreach (var family in new[] { "chair", "lamp", "mug" })
        {
            var grid = ShapeFamilies.Generate(family, 32, 3);
            AssertSameMesh(grid.ToFloats(), 32, 0.5f);
        }
    }

    [Fact]
    public void BothRefuseNaN()
    {
        var field = new float[4 * 4 * 4];
        field[37] = float.NaN;
        Assert.Throws<ArgumentException>(() => MarchingCubes.ExtractReference(field, 4));
        Assert.Throws<ArgumentException>(() => MarchingCubes.ExtractWithSlabs(field, 4));
    }
}
