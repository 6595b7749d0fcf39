using Gan3D.Data;
using Gan3D.Models;
using Gan3D.Nn;
using Gan3D.Tensors;
using static Gan3D.Tests.Engine.TestSupport;

namespace Gan3D.Tests.Engine;

/// <summary>
/// Compares against tensors PyTorch 1.13 wrote (tests/golden/make_golden.py): the same inputs and weights
/// through our ops must give PyTorch's outputs and gradients.
/// </summary>
public sealed class GoldenTests
{
    private static readonly IBackend Be = new CpuBackend(threads: 2);

    private static string Dir(string c) => Path.Combine(AppContext.BaseDirectory, "golden", c);

    private static (int[] Shape, float[] Data) Npy(string c, string name) => NpyFile.ReadFloat32(Path.Combine(Dir(c), name + ".npy"));

    private static Tensor Load(string c, string name, bool grad = false)
    {
        var (shape, data) = Npy(c, name);
        var t = Tensor.FromArray(data, new Shape(shape), Be);
        t.RequiresGrad = grad;
        return t;
    }

    private static double[] Expected(string c, string name) => ToDouble(Npy(c, name).Data);

    [Fact]
    public void Conv3dMatchesPyTorch()
    {
        var x = Load("conv3d", "input", true);
        var w = Load("conv3d", "weight", true);
        var b = Load("conv3d", "bias", true);
        var y = Ops.Conv3d(x, w, b, (2, 1, 2), (1, 0, 1));
        AssertClose("conv3d output", Expected("conv3d", "output"), y.ToArray(), 1e-5, 1e-5);
        y.Backward(Load("conv3d", "grad_output"));
        AssertClose("conv3d grad input", Expected("conv3d", "grad_input"), x.Grad!.ToArray(), 1e-5, 1e-5);
        AssertClose("conv3d grad weight", Expected("conv3d", "grad_weight"), w.Grad!.ToArray(), 1e-4, 1e-5);
        AssertClose("conv3d grad bias", Expected("conv3d", "grad_bias"), b.Grad!.ToArray(), 1e-4, 1e-5);
    }

    [Fact]
    public void ConvTranspose3dMatchesPyTorch()
    {
        const string c = "conv_transpose3d";
        var x = Load(c, "input", true);
        var w = Load(c, "weight", true);
        var b = Load(c, "bias", true);
        var y = Ops.ConvTranspose3d(x, w, b, (2, 2, 1), (1, 0, 1), (1, 1, 0));
        Assert.Equal(new Shape(Npy(c, "output").Shape), y.Shape);
        AssertClose("conv_transpose3d output", Expected(c, "output"), y.ToArray(), 1e-5, 1e-5);
        y.Backward(Load(c, "grad_output"));
        AssertClose("conv_transpose3d grad input", Expected(c, "grad_input"), x.Grad!.ToArray(), 1e-5, 1e-5);
        AssertClose("conv_transpose3d grad weight", Expected(c, "grad_weight"), w.Grad!.ToArray(), 1e-4, 1e-5);
        AssertClose("conv_transpose3d grad bias", Expected(c, "grad_bias"), b.Grad!.ToArray(), 1e-4, 1e-5);
    }

    [Fact]
    public void BatchNorm3dMatchesPyTorch()
    {
        const string c = "batch_norm3d";
        var x = Load(c, "input", true);
        var g = Load(c, "weight", true);
        var b = Load(c, "bias", true);
        var rm = Load(c, "running_mean_before");
        var rv = Load(c, "running_var_before");
        var y = Ops.BatchNorm(x, g, b, rm, rv, training: true, momentum: 0.1f, eps: 1e-5f);
        AssertClose("batch norm output", Expected(c, "output"), y.ToArray(), 1e-5, 1e-5);
        AssertClose("batch norm running mean", Expected(c, "running_mean"), rm.ToArray(), 1e-6, 1e-5);
        AssertClose("batch norm running var", Expected(c, "running_var"), rv.ToArray(), 1e-6, 1e-5);
        y.Backward(Load(c, "grad_output"));
        AssertClose("batch norm grad input", Expected(c, "grad_input"), x.Grad!.ToArray(), 1e-5, 1e-4);
        AssertClose("batch norm grad weight", Expected(c, "grad_weight"), g.Grad!.ToArray(), 1e-4, 1e-5);
        AssertClose("batch norm grad bias", Expected(c, "grad_bias"), b.Grad!.ToArray(), 1e-4, 1e-5);
    }

    [Fact]
    public void LossesMatchPyTorch()
    {
        var x = Load("bce_with_logits", "input", true);
        var bce = Ops.BceWithLogits(x, Load("bce_with_logits", "target"));
        AssertClose("bce loss", Expected("bce_with_logits", "loss"), [bce.Item()], 1e-6, 1e-5);
        bce.Backward();
        AssertClose("bce grad", Expected("bce_with_logits", "grad_input"), x.Grad!.ToArray(), 1e-7, 1e-5);

        var xw = Load("bce_pos_weight", "input", true);
        var weighted = Ops.BceWithLogits(xw, Load("bce_pos_weight", "target"), positiveWeight: 3f);
        AssertClose("bce pos_weight loss", Expected("bce_pos_weight", "loss"), [weighted.Item()], 1e-6, 1e-5);
        weighted.Backward();
        AssertClose("bce pos_weight grad", Expected("bce_pos_weight", "grad_input"), xw.Grad!.ToArray(), 1e-7, 1e-5);

        var mu = Load("kl", "mu", true);
        var lv = Load("kl", "logvar", true);
        var kl = Ops.KlDivergenceStandardNormal(mu, lv);
        AssertClose("kl loss", Expected("kl", "loss"), [kl.Item()], 1e-5, 1e-5);
        kl.Backward();
        AssertClose("kl grad mu", Expected("kl", "grad_mu"), mu.Grad!.ToArray(), 1e-7, 1e-5);
        AssertClose("kl grad logvar", Expected("kl", "grad_logvar"), lv.Grad!.ToArray(), 1e-7, 1e-5);

        var a = Load("mse", "input", true);
        var mse = Ops.MseLoss(a, Load("mse", "target"));
        AssertClose("mse loss", Expected("mse", "loss"), [mse.Item()], 1e-6, 1e-5);
        mse.Backward();
        AssertClose("mse grad", Expected("mse", "grad_input"), a.Grad!.ToArray(), 1e-7, 1e-5);
    }

    [Fact]
    public void WholeGan32StepMatchesPyTorch()
    {
        const string c = "gan32";
        // The golden networks are torch Sequentials of width 1/8 with z of 16; map our stage names onto their indices.
        var arch = new GanArchitecture(Resolution: 32, Width: 0.125, LatentDim: 16);
        var g = new Generator3D(arch, Be, new Rng(0));
        var d = new Discriminator3D(arch, Be, new Rng(1));
        var gNames = TorchNames(g, stage => (3 * stage, 3 * stage + 1));
        var dNames = TorchNames(d, stage => (stage == 0 ? 0 : 3 * stage - 1, 3 * stage));
        LoadState(g, c, "G", gNames);
        LoadState(d, c, "D", dNames);

        var z = Load(c, "z");
        var fake = g.Forward(Ops.Reshape(z, 2, 16));
        var dReal = d.Forward(Load(c, "real"));
        var dFake = d.Forward(fake);
        var loss = Ops.Add(Ops.BceWithLogits(dReal, 1f), Ops.BceWithLogits(dFake, 0f));
        AssertClose("G(z)", Expected(c, "fake"), fake.ToArray(), 1e-5, 1e-4);
        AssertClose("D(real)", Expected(c, "d_real"), dReal.ToArray(), 1e-5, 1e-4);
        AssertClose("D(G(z))", Expected(c, "d_fake"), dFake.ToArray(), 1e-5, 1e-4);
        AssertClose("loss", Expected(c, "loss"), [loss.Item()], 1e-5, 1e-5);
        loss.Backward();
        foreach (var (prefix, net, names) in new[] { ("G", (Module)g, gNames), ("D", d, dNames) })
        {
            foreach (var p in net.NamedParameters())
            {
                var expected = Expected(c, $"grad.{prefix}.{names[p.Name]}");
                // Gradients reaching G pass through D and the sigmoid and are small: compare relative to their scale.
                double scale = expected.Max(Math.Abs);
                AssertClose($"grad {prefix}.{p.Name}", expected, p.Value.Grad!.ToArray(), 1e-3 * scale + 1e-9, 1e-3);
            }
            foreach (var (name, t) in net.NamedBuffers())
            {
                AssertClose($"{prefix}.{name} after the step", Expected(c, $"after.{prefix}.{names[name]}"), t.ToArray(), 1e-6, 1e-4);
            }
        }
    }

    [Theory]
    [InlineData("r1", false, 0, 1)]
    [InlineData("r1_mbstd", true, 0, 1)] // the input gradient also goes through the batch's standard deviation channel
    [InlineData("r1_mbstd_groups", true, 2, 1)] // a batch of 4 in two groups: each logit depends on its pair only
    [InlineData("r1_mbstd_pack", true, 0, 2)] // a batch of 4 in two packs (PacGAN): two logits
    public void R1PenaltyMatchesPyTorchsDoubleBackward(string c, bool minibatchStd, int group, int pack)
    {
        // A D without batch norm: torch's Sequential holds each stage's conv at 2·i (a LeakyReLU between).
        var arch = new GanArchitecture(Resolution: 32, Width: 0.125, LatentDim: 16)
        {
            DiscriminatorNorm = DiscriminatorNorm.None, MinibatchStd = minibatchStd, MinibatchStdGroup = group, DiscriminatorPack = pack,
        };
        var d = new Discriminator3D(arch, Be, new Rng(1));
        var names = TorchNames(d, stage => (2 * stage, -1));
        LoadState(d, c, "D", names);

        var (logits, gradient) = d.ForwardWithInputGradient(Load(c, "input"));
        AssertClose("D(x)", Expected(c, "logits"), logits.ToArray(), 1e-5, 1e-4);
        double gradScale = Expected(c, "grad_input").Max(Math.Abs);
        AssertClose("∇ₓ Σ D(x)", Expected(c, "grad_input"), gradient.ToArray(), 1e-4 * gradScale, 1e-4);
        var penalty = Ops.Sum(Ops.Square(gradient));
        AssertClose("Σ‖∇ₓD‖²", Expected(c, "penalty"), [penalty.Item()], 1e-6, 1e-4);
        penalty.Backward();
        foreach (var p in d.NamedParameters())
        {
            var expected = Expected(c, $"grad.D.{names[p.Name]}");
            double scale = expected.Max(Math.Abs);
            // Without the std channel the biases only move the leaky ReLUs' kinks: no path to the gradient, so no gradient
            // (PyTorch's zeros); with it the earlier stages' biases move the batch's spread, which the gradient reads.
            var actual = p.Value.Grad?.ToArray() ?? new float[p.Value.Numel];
            AssertClose($"d penalty / d {p.Name}", expected, actual, 1e-3 * scale + 1e-9, 1e-3);
        }
    }

    /// <summary>Our "stages.i.conv.weight" → torch's "k.weight", given where stage i's conv and norm sit in the Sequential.</summary>
    private static Dictionary<string, string> TorchNames(Module m, Func<int, (int Conv, int Norm)> index)
    {
        var map = new Dictionary<string, string>();
        foreach (var name in m.StateDict().Keys)
        {
            var parts = name.Split('.'); // stages.<i>.<conv|norm>.<param>
            var (conv, norm) = index(int.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture));
            map[name] = $"{(parts[2] == "conv" ? conv : norm)}.{parts[3]}";
        }
        return map;
    }

    private static void LoadState(Module m, string c, string prefix, Dictionary<string, string> names)
    {
        var values = new Dictionary<string, (Shape, float[])>();
        foreach (var name in m.StateDict().Keys)
        {
            var (shape, data) = Npy(c, $"{prefix}.{names[name]}");
            values[name] = (new Shape(shape), data);
        }
        m.LoadStateDict(values);
    }
}
