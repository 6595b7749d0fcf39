using Gan3D.Data;
using Gan3D.Models;
using Gan3D.Tensors;

namespace Gan3D.Tests.Engine;

/// <summary>
/// The training data path that stays on the device: voxel batches uploaded as bits and expanded where
/// they land (CPU loop and the ILGPU kernel), D's right calls counted on the device, and a training
/// iteration that waits for the device once (its losses and D's accuracy read back together).
/// </summary>
public sealed class DeviceDataPathTests
{
    private static readonly Lazy<IlgpuBackend> s_ilgpu = new(() => IlgpuBackend.CreateCpu());

    public static TheoryData<string> Backends => new() { "cpu", "ilgpu-cpu" };

    private static IBackend Backend(string name) => name == "cpu" ? new CpuBackend(threads: 2) : s_ilgpu.Value;

    [Theory]
    [InlineData("cpu", 1)]
    [InlineData("cpu", 77)]       // a last byte with 5 bits in use
    [InlineData("cpu", 4096)]
    [InlineData("ilgpu-cpu", 1)]
    [InlineData("ilgpu-cpu", 77)]
    [InlineData("ilgpu-cpu", 4096)]
    public void BitsExpandToZerosAndOnesInOrder(string backend, int n)
    {
        var be = Backend(backend);
        var bits = new byte[(n + 7) / 8];
        new Random(n).NextBytes(bits);
        var expected = Enumerable.Range(0, n).Select(i => (float)((bits[i / 8] >> (i % 8)) & 1)).ToArray();
        var t = Tensor.Full(new Shape(n), float.NaN, be); // an element the expansion misses stays NaN
        be.UploadBits(bits, t);
        Assert.Equal(expected, t.ToArray());
        // Again with other bits into the same tensor: the staging and device buffers are reused.
        var other = bits.Select(b => (byte)~b).ToArray();
        be.UploadBits(other, t);
        Assert.Equal(expected.Select(v => 1 - v).ToArray(), t.ToArray());
        Assert.Throws<ArgumentException>(() => be.UploadBits(new byte[bits.Length + 1], t));
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public void ABatchOfBitsIsTheBatchOfFloats(string backend)
    {
        var be = Backend(backend);
        var data = ShapeFamilies.CreateMixedDataset(5, 8, seed: 2);
        Assert.True(data.BitsPackContiguously);
        int[] indices = [3, 0, 4, 3];
        var floats = new float[indices.Length * data.VoxelsPerGrid];
        data.FillBatch(indices, floats);
        Assert.Contains(1f, floats);
        Assert.Contains(0f, floats);
        var bits = new byte[indices.Length * data.BytesPerGrid];
        data.FillBatchBits(indices, bits);
        var t = Tensor.Full(new Shape(indices.Length, 1, 8, 8, 8), float.NaN, be);
        be.UploadBits(bits, t);
        Assert.Equal(floats, t.ToArray());
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public void CountSignCountsStrictlyEachSide(string backend)
    {
        var be = Backend(backend);
        // 11 above, 7 below, 3 zeros (counted on neither side), in an odd length past a vector of 8 or 16.
        var values = Enumerable.Range(1, 11).Select(i => i * 0.25f).Concat(Enumerable.Range(1, 7).Select(i => -i * 1e-3f)).Concat([0f, -0f, 0f]).ToArray();
        new Random(1).Shuffle(values);
        var x = Tensor.FromArray(values, new Shape(values.Length), be);
        Assert.Equal(11f, Ops.CountSign(x, above: true).Item());
        Assert.Equal(7f, Ops.CountSign(x, above: false).Item());
    }

    [Fact]
    public void HostReadsCountDownloadsNotUploads()
    {
        foreach (var be in new IBackend[] { new CpuBackend(threads: 1), s_ilgpu.Value })
        {
            var t = Tensor.Empty(new Shape(16), be);
            long before = be.HostReads;
            be.UploadBits(new byte[2], t);
            t.CopyFrom(new float[16]);
            Assert.Equal(before, be.HostReads);
            t.ToArray();
            Assert.Equal(before + 1, be.HostReads);
            be.Synchronize();
            Assert.Equal(before + 2, be.HostReads);
        }
    }

    [Fact]
    public void AGanIterationWaitsForTheDeviceOnce()
    {
        using var be = new CpuBackend(threads: 2);
        var options = new GanTrainingOptions
        {
            Architecture = new GanArchitecture(32, 1.0 / 16, LatentDim: 8),
            BatchSize = 4,
            LearningRateD = 1e-5f,
            Seed = 7,
        };
        using var t = new GanTrainer(options, ShapeFamilies.CreateMixedDataset(8, 32, seed: 3), be);
        for (int i = 0; i < 3; i++)
        {
            long before = be.HostReads;
            var r = t.TrainStep();
            Assert.Equal(1, be.HostReads - before); // losses and D's accuracy read back together
            Assert.True(float.IsFinite(r.LossD) && float.IsFinite(r.LossG));
            // The accuracy is a count of 4 logits on each half: a multiple of 1/8.
            Assert.Equal(0f, (r.DAccuracy * 8) % 1f);
        }
    }
}
