using System.Text;
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

    private static (int[] Shape, float[] Data) Npy(string c, string name) => GoldenNpy.Read(Path.Combine(Dir(c), name + ".npy"));

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
        int[] w = [32, 16, 8];
        var gen = new Generator(0);
        var g = new Sequential(Be,
            new ConvTranspose3d(16, w[0], 4, 1, 0, bias: false, backend: Be, generator: gen), new BatchNorm3d(w[0], backend: Be), new ReLU(Be),
            new ConvTranspose3d(w[0], w[1], 4, 2, 1, bias: false, backend: Be, generator: gen), new BatchNorm3d(w[1], backend: Be), new ReLU(Be),
            new ConvTranspose3d(w[1], w[2], 4, 2, 1, bias: false, backend: Be, generator: gen), new BatchNorm3d(w[2], backend: Be), new ReLU(Be),
            new ConvTranspose3d(w[2], 1, 4, 2, 1, bias: true, backend: Be, generator: gen), new Sigmoid(Be));
        var d = new Sequential(Be,
            new Conv3d(1, w[2], 4, 2, 1, bias: true, backend: Be, generator: gen), new LeakyReLU(0.2f, Be),
            new Conv3d(w[2], w[1], 4, 2, 1, bias: false, backend: Be, generator: gen), new BatchNorm3d(w[1], backend: Be), new LeakyReLU(0.2f, Be),
            new Conv3d(w[1], w[0], 4, 2, 1, bias: false, backend: Be, generator: gen), new BatchNorm3d(w[0], backend: Be), new LeakyReLU(0.2f, Be),
            new Conv3d(w[0], 1, 4, 1, 0, bias: true, backend: Be, generator: gen));
        LoadState(g, "G");
        LoadState(d, "D");

        var fake = g.Forward(Load(c, "z"));
        var dReal = Ops.Reshape(d.Forward(Load(c, "real")), 2, 1);
        var dFake = Ops.Reshape(d.Forward(fake), 2, 1);
        var loss = Ops.Add(Ops.BceWithLogits(dReal, 1f), Ops.BceWithLogits(dFake, 0f));
        AssertClose("G(z)", Expected(c, "fake"), fake.ToArray(), 1e-5, 1e-4);
        AssertClose("D(real)", Expected(c, "d_real"), dReal.ToArray(), 1e-5, 1e-4);
        AssertClose("D(G(z))", Expected(c, "d_fake"), dFake.ToArray(), 1e-5, 1e-4);
        AssertClose("loss", Expected(c, "loss"), [loss.Item()], 1e-5, 1e-5);
        loss.Backward();
        foreach (var (prefix, net) in new[] { ("G", g), ("D", d) })
        {
            foreach (var p in net.NamedParameters())
            {
                var expected = Expected(c, $"grad.{prefix}.{p.Name}");
                // Gradients reaching G pass through D and the sigmoid and are small: compare relative to their scale.
                double scale = expected.Max(Math.Abs);
                AssertClose($"grad {prefix}.{p.Name}", expected, p.Value.Grad!.ToArray(), 1e-3 * scale + 1e-9, 1e-3);
            }
            foreach (var (name, t) in net.NamedBuffers())
            {
                AssertClose($"{prefix}.{name} after the step", Expected(c, $"after.{prefix}.{name}"), t.ToArray(), 1e-6, 1e-4);
            }
        }
    }

    private static void LoadState(Module m, string prefix)
    {
        var values = new Dictionary<string, (Shape, float[])>();
        foreach (var name in m.StateDict().Keys)
        {
            var (shape, data) = Npy("gan32", $"{prefix}.{name}");
            values[name] = (new Shape(shape), data);
        }
        m.LoadStateDict(values);
    }
}

/// <summary>Just enough of the NumPy format to read the committed float32 goldens.</summary>
internal static class GoldenNpy
{
    public static (int[] Shape, float[] Data) Read(string path)
    {
        var bytes = File.ReadAllBytes(path);
        int headerLength = BitConverter.ToUInt16(bytes, 8);
        string header = Encoding.ASCII.GetString(bytes, 10, headerLength);
        Assert.Contains("'descr': '<f4'", header);
        Assert.Contains("'fortran_order': False", header);
        int open = header.IndexOf('(', header.IndexOf("'shape'", StringComparison.Ordinal));
        int close = header.IndexOf(')', open);
        var shape = header[(open + 1)..close].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(int.Parse).ToArray();
        var data = new float[(bytes.Length - 10 - headerLength) / 4];
        Buffer.BlockCopy(bytes, 10 + headerLength, data, 0, data.Length * 4);
        return (shape, data);
    }
}
