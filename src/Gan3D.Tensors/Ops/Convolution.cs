using Gan3D.Kernels;

namespace Gan3D.Tensors;

public static partial class Ops
{
    /// <summary>
    /// 3D convolution (cross-correlation, as PyTorch): x (N, Cin, D, H, W), weight (Cout, Cin, kD, kH, kW),
    /// optional bias (Cout) → (N, Cout, D', H', W') with D' = ⌊(D + 2p − k) / s⌋ + 1.
    /// </summary>
    public static Tensor Conv3d(Tensor x, Tensor weight, Tensor? bias, Dim3 stride, Dim3 padding)
    {
        const string op = "Conv3d";
        Check.Rank(op, x, 5, "(N, C, D, H, W) input");
        Check.Rank(op, weight, 5, "(Cout, Cin, kD, kH, kW) weight");
        Check.SameBackend(op, x, weight);
        CheckStridePadding(op, stride, padding);
        if (weight.Shape[1] != x.Shape[1])
        {
            throw new ArgumentException($"{op}: input {x.Shape} has {x.Shape[1]} channels but weight {weight.Shape} expects {weight.Shape[1]}");
        }
        var g = Conv3dGeometry.Create(x.Shape[0], x.Shape[1], x.Shape[2], x.Shape[3], x.Shape[4], weight.Shape[0],
            weight.Shape[2], weight.Shape[3], weight.Shape[4], stride.D, stride.H, stride.W, padding.D, padding.H, padding.W);
        if (g.Do <= 0 || g.Ho <= 0 || g.Wo <= 0)
        {
            throw new ArgumentException($"{op}: kernel {weight.Shape} with padding {padding} does not fit input {x.Shape}");
        }
        CheckBias(op, bias, weight, g.Cout);
        var y = Tensor.Empty(new Shape(g.N, g.Cout, g.Do, g.Ho, g.Wo), x.Backend);
        x.Backend.Conv3dForward(x, weight, y, g);
        if (bias is not null)
        {
            x.Backend.AddChannelBias(y, bias);
        }
        var fn = new Conv3dFunction(g, transposed: false);
        return bias is null ? Autograd.Record(y, fn, x, weight) : Autograd.Record(y, fn, x, weight, bias);
    }

    /// <summary>
    /// 3D transposed convolution, the adjoint of <see cref="Conv3d"/>: x (N, Cin, D, H, W),
    /// weight (Cin, Cout, kD, kH, kW) → (N, Cout, (D − 1)·s − 2p + k + outputPadding, ...).
    /// </summary>
    public static Tensor ConvTranspose3d(Tensor x, Tensor weight, Tensor? bias, Dim3 stride, Dim3 padding, Dim3 outputPadding = default)
    {
        const string op = "ConvTranspose3d";
        Check.Rank(op, x, 5, "(N, C, D, H, W) input");
        Check.Rank(op, weight, 5, "(Cin, Cout, kD, kH, kW) weight");
        Check.SameBackend(op, x, weight);
        CheckStridePadding(op, stride, padding);
        if (outputPadding.D < 0 || outputPadding.H < 0 || outputPadding.W < 0 ||
            outputPadding.D >= stride.D || outputPadding.H >= stride.H || outputPadding.W >= stride.W)
        {
            throw new ArgumentException($"{op}: output padding {outputPadding} must be smaller than the stride {stride} and not negative");
        }
        if (weight.Shape[0] != x.Shape[1])
        {
            throw new ArgumentException($"{op}: input {x.Shape} has {x.Shape[1]} channels but weight {weight.Shape} expects {weight.Shape[0]}");
        }
        var g = Conv3dGeometry.ForTransposed(x.Shape[0], x.Shape[1], x.Shape[2], x.Shape[3], x.Shape[4], weight.Shape[1],
            weight.Shape[2], weight.Shape[3], weight.Shape[4], stride.D, stride.H, stride.W, padding.D, padding.H, padding.W,
            outputPadding.D, outputPadding.H, outputPadding.W);
        if (g.Di <= 0 || g.Hi <= 0 || g.Wi <= 0)
        {
            throw new ArgumentException($"{op}: padding {padding} leaves no output for input {x.Shape} and weight {weight.Shape}");
        }
        CheckBias(op, bias, weight, g.Cin);
        var y = Tensor.Empty(new Shape(g.N, g.Cin, g.Di, g.Hi, g.Wi), x.Backend);
        x.Backend.Conv3dBackwardData(x, weight, y, g);
        if (bias is not null)
        {
            x.Backend.AddChannelBias(y, bias);
        }
        var fn = new Conv3dFunction(g, transposed: true);
        return bias is null ? Autograd.Record(y, fn, x, weight) : Autograd.Record(y, fn, x, weight, bias);
    }

    private static void CheckStridePadding(string op, Dim3 stride, Dim3 padding)
    {
        Check.Positive(op, "stride", Math.Min(stride.D, Math.Min(stride.H, stride.W)));
        Check.NonNegative(op, "padding", Math.Min(padding.D, Math.Min(padding.H, padding.W)));
    }

    private static void CheckBias(string op, Tensor? bias, Tensor weight, int channels)
    {
        if (bias is null)
        {
            return;
        }
        Check.SameBackend(op, bias, weight);
        if (bias.Rank != 1 || bias.Shape[0] != channels)
        {
            throw new ArgumentException($"{op}: bias {bias.Shape} must have shape ({channels}) for weight {weight.Shape}");
        }
    }

    /// <summary>
    /// Backward of both layers. For the convolution: dx = backward-data(dy), dw = backward-weight(x, dy).
    /// For the transposed layer (whose input is the convolution's output): dx = forward(dy),
    /// dw = backward-weight(dy, x). The bias gradient is the channel sum of dy either way.
    /// </summary>
    private sealed class Conv3dFunction(Conv3dGeometry g, bool transposed) : Function
    {
        public override string Name => transposed ? "ConvTranspose3d" : "Conv3d";

        protected internal override bool BackwardReadsOutput => false;

        protected internal override void Backward(Tensor gradOutput)
        {
            var be = gradOutput.Backend;
            var x = Inputs[0];
            var w = Inputs[1];
            if (NeedsGrad(0))
            {
                var dx = x.EmptyLike();
                if (transposed)
                {
                    be.Conv3dForward(gradOutput, w, dx, g);
                }
                else
                {
                    be.Conv3dBackwardData(gradOutput, w, dx, g);
                }
                Accumulate(0, dx);
            }
            if (NeedsGrad(1))
            {
                var dw = w.EmptyLike();
                if (transposed)
                {
                    be.Conv3dBackwardWeight(gradOutput, x, dw, g);
                }
                else
                {
                    be.Conv3dBackwardWeight(x, gradOutput, dw, g);
                }
                Accumulate(1, dw);
            }
            if (Inputs.Length > 2 && NeedsGrad(2))
            {
                var db = Inputs[2].EmptyLike();
                be.ChannelSum(gradOutput, db);
                Accumulate(2, db);
            }
        }
    }
}
