using Gan3D.Nn;
using Gan3D.Tensors;

namespace Gan3D.Tests.Engine;

public sealed class MemoryTests
{
    [Fact]
    public void SizeClassesAreTightAndMonotonic()
    {
        long previous = 0;
        for (long n = 1; n < 1 << 20; n = n * 5 / 4 + 1)
        {
            long c = MemoryPool.SizeClass(n);
            Assert.True(c >= n, $"class {c} < {n}");
            Assert.True(c >= previous);
            Assert.True(n < 64 || c <= n * 1.125 + 1, $"class {c} wastes more than 12.5% of {n}");
            previous = c;
        }
    }

    [Fact]
    public void ScopeReturnsTensorsToThePoolAndPersistKeepsThem()
    {
        using var be = new CpuBackend(threads: 1);
        Tensor kept, dropped;
        using (MemoryScope.Begin())
        {
            dropped = Tensor.Zeros(new Shape(1000), be);
            kept = Tensor.Ones(new Shape(1000), be).Persist();
        }
        Assert.True(dropped.IsDisposed);
        Assert.False(kept.IsDisposed);
        Assert.Equal(1000f, kept.ToArray().Sum());
        long reserved = be.Pool.ReservedBytes;
        using (MemoryScope.Begin())
        {
            _ = Tensor.Zeros(new Shape(1000), be); // reuses the block the first scope returned
        }
        Assert.Equal(reserved, be.Pool.ReservedBytes);
    }

    [Fact]
    public void ReshapeViewsKeepMemoryAliveUntilTheLastIsDisposed()
    {
        using var be = new CpuBackend(threads: 1);
        var a = Tensor.FromArray([1f, 2f, 3f, 4f], new Shape(2, 2), be);
        var v = Ops.Reshape(a, 4);
        long inUse = be.Pool.InUseBytes;
        a.Dispose();
        Assert.Equal(inUse, be.Pool.InUseBytes);
        Assert.Equal([1f, 2f, 3f, 4f], v.ToArray());
        v.Dispose();
        Assert.True(be.Pool.InUseBytes < inUse);
    }

    [Fact]
    public void EndIterationGivesBackOnlyBlocksTheLoopNoLongerUses()
    {
        using var be = new CpuBackend(threads: 1);
        void Step(int n)
        {
            using (MemoryScope.Begin())
            {
                var a = Tensor.Zeros(new Shape(n), be);
                _ = Tensor.Zeros(new Shape(n), be); // two blocks of this class at once
                _ = Ops.Add(a, a);
            }
            be.Pool.EndIteration(keep: 2);
        }
        Step(5000); // an earlier phase with other shapes
        long phase = be.Pool.ReservedBytes;
        Step(1000);
        long both = be.Pool.ReservedBytes;
        Assert.True(both > phase, "the new shapes need blocks of their own");
        long allocations = be.Pool.DeviceAllocations;
        for (int i = 0; i < 6; i++)
        {
            Step(1000);
            Assert.Equal(allocations, be.Pool.DeviceAllocations); // the loop's own blocks stay cached
        }
        Assert.Equal(both - phase, be.Pool.ReservedBytes); // the 5000-element blocks went back
        be.Pool.Trim();
        Assert.Equal(0, be.Pool.ReservedBytes);
    }

    [Fact]
    public void TrainingStepsStopAllocatingAfterTheFirst()
    {
        using var be = new CpuBackend(threads: 2);
        var gen = new Rng(3);
        var model = new Sequential(be,
            new Conv3d(1, 4, 3, padding: 1, backend: be, rng: gen),
            new BatchNorm3d(4, backend: be),
            new LeakyReLU(0.2f, be),
            new Conv3d(4, 1, 4, stride: 2, padding: 1, backend: be, rng: gen));
        using var opt = new Adam(model.NamedParameters(), lr: 1e-3f);
        var x = gen.Uniform(new Shape(2, 1, 8, 8, 8), be).Persist();
        long[] allocations = new long[4];
        for (int step = 0; step < 4; step++)
        {
            using (MemoryScope.Begin())
            {
                opt.ZeroGrad();
                var loss = Ops.BceWithLogits(model.Forward(x), 1f);
                loss.Backward();
                opt.Step();
            }
            allocations[step] = be.Pool.DeviceAllocations;
        }
        Assert.Equal(allocations[1], allocations[3]);
        Assert.Equal(allocations[1], allocations[2]);
    }
}
