using Gan3D.Kernels;

namespace Gan3D.Tensors;

/// <summary>Convolution, pooling, matrix product and the optimiser step: version-1 kernels.</summary>
public sealed partial class IlgpuBackend
{
    public void MatMul(Tensor a, bool transposeA, Tensor b, bool transposeB, Tensor c, int m, int n, int k)
    {
        long count = (long)m * n;
        CheckSize(count);
        if (count == 0)
        {
            return;
        }
        _k.MatMul1((int)count, V(a), V(b), V(c), new MatMulParams
        {
            M = m,
            N = n,
            K = k,
            TransposeA = transposeA ? 1 : 0,
            TransposeB = transposeB ? 1 : 0,
        });
    }

    public void Conv3dForward(Tensor x, Tensor w, Tensor y, in Conv3dGeometry g)
    {
        CheckConvSizes(g);
        if (g.OutputSize > 0)
        {
            _k.Conv3dForward1((int)g.OutputSize, V(x), V(w), V(y), g);
        }
    }

    public void Conv3dBackwardData(Tensor dy, Tensor w, Tensor dx, in Conv3dGeometry g)
    {
        CheckConvSizes(g);
        if (g.InputSize > 0)
        {
            _k.Conv3dBackwardData1((int)g.InputSize, V(dy), V(w), V(dx), g);
        }
    }

    public void Conv3dBackwardWeight(Tensor x, Tensor dy, Tensor dw, in Conv3dGeometry g)
    {
        CheckConvSizes(g);
        if (g.WeightSize > 0)
        {
            _k.Conv3dBackwardWeight1((int)g.WeightSize, V(x), V(dy), V(dw), g);
        }
    }

    private static void CheckConvSizes(in Conv3dGeometry g)
    {
        CheckSize(g.InputSize);
        CheckSize(g.OutputSize);
        CheckSize(g.WeightSize);
    }

    public void MaxPool3dForward(Tensor x, Tensor y, in Pool3dGeometry g)
    {
        CheckSize(g.InputSize);
        if (g.OutputSize > 0)
        {
            _k.MaxPool3dForward((int)g.OutputSize, V(x), V(y), g);
        }
    }

    public void MaxPool3dBackward(Tensor x, Tensor y, Tensor dy, Tensor dx, in Pool3dGeometry g)
    {
        CheckSize(g.InputSize);
        if (g.InputSize > 0)
        {
            _k.MaxPool3dBackward((int)g.InputSize, V(x), V(dy), V(dx), g);
        }
    }

    public void AdamStep(Tensor param, Tensor grad, Tensor m, Tensor v, in AdamStepParams p)
    {
        if (param.Numel > 0)
        {
            _k.AdamStep((int)param.Numel, V(param), V(grad), V(m), V(v), p);
        }
    }
}
