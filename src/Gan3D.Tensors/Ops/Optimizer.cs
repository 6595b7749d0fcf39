using Gan3D.Kernels;

namespace Gan3D.Tensors;

public static partial class Ops
{
    /// <summary>
    /// One fused Adam update, in place, of <paramref name="param"/> and its moments <paramref name="m"/> and
    /// <paramref name="v"/> from <paramref name="grad"/>, PyTorch's form with L2 weight decay and the bias
    /// corrections of step <paramref name="step"/> (1 on the first step). The layers above Tensors describe
    /// the step by these scalars; the kernels' parameter block is built here.
    /// </summary>
    public static void AdamStep(Tensor param, Tensor grad, Tensor m, Tensor v,
        float lr, float beta1, float beta2, float eps, float weightDecay, long step)
    {
        Check.SameBackend("AdamStep", param, grad);
        param.Backend.AdamStep(param, grad, m, v, AdamStepParams.Create(lr, beta1, beta2, eps, weightDecay, step));
    }
}
