using Gan3D.Data;
using Gan3D.Tensors;

namespace Gan3D.Models;

/// <summary>
/// The paper's shape descriptor: the responses of D's convolution stages at 16³, 8³ and 4³ (its second,
/// third and fourth layers at 64³; its first three at 32³), each max-pooled to 2³ (kernels 8, 4, 2) and
/// concatenated. D runs in eval mode without gradients.
/// </summary>
public static class FeatureExtractor
{
    /// <summary>The stages used and their pooling kernels, for a D of this architecture.</summary>
    public static IReadOnlyList<(int Stage, int Channels, int Pool)> Layout(GanArchitecture arch)
    {
        var ch = arch.DiscriminatorChannels;
        // Stage i outputs resolution R / 2^(i+1); keep those at 16, 8 and 4.
        var list = new List<(int, int, int)>();
        for (int i = 0; i < ch.Length; i++)
        {
            int res = arch.Resolution >> (i + 1);
            if (res is 16 or 8 or 4)
            {
                list.Add((i, ch[i], res / 2));
            }
        }
        return list;
    }

    /// <summary>Features per shape: 8 · (sum of the used stages' channels).</summary>
    public static int FeatureCount(GanArchitecture arch) => Layout(arch).Sum(l => l.Channels * 8);

    /// <summary>An (N, F) row-major array of descriptors for every shape of the data set.</summary>
    public static float[] Extract(Discriminator3D d, VoxelDataset data, int batchSize = 32, Action<int, int>? progress = null)
    {
        var layout = Layout(d.Architecture);
        return PerShape(d, data, FeatureCount(d.Architecture), x =>
        {
            var stages = d.StageActivations(x);
            return Ops.Concat(layout.Select(l => Ops.Flatten(Ops.MaxPool3d(stages[l.Stage], l.Pool))).ToList(), axis: 1);
        }, batchSize, progress);
    }

    /// <summary>
    /// An (N, <paramref name="rowLength"/>) row-major array holding <paramref name="rows"/> of every shape of the data
    /// set, <paramref name="batchSize"/> shapes at a time (a batch (n, 1, R, R, R) to rows (n, rowLength)), with
    /// <paramref name="d"/> in eval mode (running batch-norm statistics) and without gradients; D's mode is restored afterwards.
    /// </summary>
    internal static float[] PerShape(Discriminator3D d, VoxelDataset data, int rowLength, Func<Tensor, Tensor> rows,
        int batchSize = 32, Action<int, int>? progress = null)
    {
        int r = d.Architecture.Resolution;
        if (data.Resolution != r)
        {
            throw new ArgumentException($"the data is {data.Resolution}³ but the discriminator expects {r}³");
        }
        var result = new float[(long)data.Count * rowLength];
        var host = new float[(long)batchSize * r * r * r];
        var indices = new int[batchSize];
        bool wasTraining = d.Training;
        d.Eval();
        try
        {
            using var noGrad = Autograd.NoGrad();
            for (int start = 0; start < data.Count; start += batchSize)
            {
                int n = Math.Min(batchSize, data.Count - start);
                for (int i = 0; i < n; i++)
                {
                    indices[i] = start + i;
                }
                using var scope = MemoryScope.Begin();
                data.FillBatch(indices.AsSpan(0, n), host.AsSpan(0, n * r * r * r));
                var x = Tensor.FromArray(host.AsSpan(0, n * r * r * r), new Shape(n, 1, r, r, r), d.Backend);
                rows(x).CopyTo(result.AsSpan((int)((long)start * rowLength), n * rowLength));
                progress?.Invoke(start + n, data.Count);
            }
        }
        finally
        {
            d.Train(wasTraining);
        }
        return result;
    }

    /// <summary>The raw-voxel baseline: each grid max-pooled to 8³ (512 features).</summary>
    public static float[] PooledVoxels(VoxelDataset data, int size = 8)
    {
        int r = data.Resolution;
        if (r % size != 0)
        {
            throw new ArgumentException($"a {r}³ grid cannot be pooled to {size}³");
        }
        int k = r / size, f = size * size * size;
        var result = new float[(long)data.Count * f];
        var grid = new byte[r * r * r];
        for (int n = 0; n < data.Count; n++)
        {
            data.CopyTo(n, grid);
            var row = result.AsSpan((int)((long)n * f), f);
            for (int i = 0; i < r; i++)
            for (int j = 0; j < r; j++)
            for (int l = 0; l < r; l++)
            {
                if (grid[(i * r + j) * r + l] != 0)
                {
                    row[((i / k) * size + j / k) * size + l / k] = 1f;
                }
            }
        }
        return result;
    }
}
