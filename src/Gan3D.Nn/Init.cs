using Gan3D.Tensors;

namespace Gan3D.Nn;

/// <summary>Parameter initialisers (torch.nn.init); each draws from the given seeded generator.</summary>
public static class Init
{
    /// <summary>N(mean, std²): DCGAN-style GANs use normal(0, 0.02) for convolution weights.</summary>
    public static void Normal(Tensor t, Rng rng, float mean = 0f, float std = 0.02f) =>
        rng.FillNormal(t, mean, std);

    public static void Uniform(Tensor t, Rng rng, float low, float high) =>
        rng.FillUniform(t, low, high);

    public static void Constant(Tensor t, float value) => t.Backend.Fill(t, value);

    /// <summary>Fan-in of a weight (out, in, k...) or (in, out, k...) for transposed layers: channels times kernel volume.</summary>
    public static long FanIn(Tensor weight, bool transposed = false)
    {
        long receptive = weight.Rank > 2 ? weight.Shape.SizeFrom(2) : 1;
        return weight.Shape[transposed ? 0 : 1] * receptive;
    }

    /// <summary>
    /// PyTorch's default layer initialisation: kaiming_uniform with a = √5, i.e. U(−b, b) with
    /// b = 1/√fan_in for the weight, and the same bound for the bias.
    /// Note PyTorch's ConvTranspose computes fan_in from weight.size(1), which is its output channels.
    /// </summary>
    public static void PyTorchDefault(Tensor weight, Tensor? bias, Rng rng)
    {
        long fanIn = FanIn(weight);
        float bound = (float)(1.0 / Math.Sqrt(fanIn));
        Uniform(weight, rng, -bound, bound);
        if (bias is not null)
        {
            Uniform(bias, rng, -bound, bound);
        }
    }
}
