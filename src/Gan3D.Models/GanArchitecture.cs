namespace Gan3D.Models;

/// <summary>
/// The shape of a 3D-GAN: output resolution (32 or 64), width multiplier and latent size. The paper's
/// network is resolution 64, width 1 (G: 512-256-128-64-1, D: 64-128-256-512-1); 32³ drops one stage.
/// </summary>
public sealed record GanArchitecture(int Resolution = 64, double Width = 1.0, int LatentDim = 200)
{
    /// <summary>Resolutions the networks are built for.</summary>
    public static readonly int[] SupportedResolutions = [32, 64];

    /// <summary>Channel counts of G's transposed convolutions, coarsest first (the last layer's single channel excluded).</summary>
    public int[] GeneratorChannels => Scale(Resolution == 64 ? [512, 256, 128, 64] : [256, 128, 64]);

    /// <summary>Channel counts of D's strided convolutions, finest first (the final one-logit layer excluded).</summary>
    public int[] DiscriminatorChannels => Scale(Resolution == 64 ? [64, 128, 256, 512] : [64, 128, 256]);

    /// <summary>Throws a clear error for a resolution, width or latent size the networks cannot have.</summary>
    public void Validate()
    {
        if (Array.IndexOf(SupportedResolutions, Resolution) < 0)
        {
            throw new ArgumentException($"resolution {Resolution} is not supported: use 32 or 64");
        }
        if (!(Width > 0) || Width > 4)
        {
            throw new ArgumentException($"width multiplier {Width} must be in (0, 4]");
        }
        if (LatentDim <= 0 || LatentDim > 4096)
        {
            throw new ArgumentException($"latent size {LatentDim} must be in 1..4096");
        }
    }

    private int[] Scale(int[] channels) => channels.Select(c => Math.Max(1, (int)Math.Round(c * Width))).ToArray();

    public override string ToString() =>
        $"{Resolution}³, width {Width.ToString(System.Globalization.CultureInfo.InvariantCulture)}, z {LatentDim}";
}
