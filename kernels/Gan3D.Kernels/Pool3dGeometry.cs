namespace Gan3D.Kernels;

/// <summary>
/// Shape of a 3D max pooling: input (N, C, Di, Hi, Wi), window (Kd, Kh, Kw), stride, padding
/// (padded cells never win), output (N, C, Do, Ho, Wo).
/// </summary>
public struct Pool3dGeometry
{
    public int N, C, Di, Hi, Wi, Do, Ho, Wo;
    public int Kd, Kh, Kw, Sd, Sh, Sw, Pd, Ph, Pw;

    public static Pool3dGeometry Create(int n, int c, int di, int hi, int wi,
        int kd, int kh, int kw, int sd, int sh, int sw, int pd, int ph, int pw) => new()
    {
        N = n, C = c, Di = di, Hi = hi, Wi = wi,
        Kd = kd, Kh = kh, Kw = kw, Sd = sd, Sh = sh, Sw = sw, Pd = pd, Ph = ph, Pw = pw,
        Do = Conv3dGeometry.OutputExtent(di, kd, sd, pd),
        Ho = Conv3dGeometry.OutputExtent(hi, kh, sh, ph),
        Wo = Conv3dGeometry.OutputExtent(wi, kw, sw, pw),
    };

    public readonly long InputSize => (long)N * C * Di * Hi * Wi;
    public readonly long OutputSize => (long)N * C * Do * Ho * Wo;
}

/// <summary>
/// One Adam step's scalars, as PyTorch computes them: g += wd·p; m = β1·m + (1−β1)·g;
/// v = β2·v + (1−β2)·g²; p −= (lr / bc1) · m / (sqrt(v) / sqrt(bc2) + eps), with bc = 1 − β^t.
/// </summary>
public struct AdamStepParams
{
    public float Lr, Beta1, Beta2, Eps, WeightDecay;

    /// <summary>lr / (1 − β1^t).</summary>
    public float StepSize;

    /// <summary>1 / sqrt(1 − β2^t).</summary>
    public float InvSqrtBiasCorrection2;

    public static AdamStepParams Create(float lr, float beta1, float beta2, float eps, float weightDecay, long step)
    {
        double bc1 = 1.0 - Math.Pow(beta1, step);
        double bc2 = 1.0 - Math.Pow(beta2, step);
        return new AdamStepParams
        {
            Lr = lr, Beta1 = beta1, Beta2 = beta2, Eps = eps, WeightDecay = weightDecay,
            StepSize = (float)(lr / bc1),
            InvSqrtBiasCorrection2 = (float)(1.0 / Math.Sqrt(bc2)),
        };
    }
}
