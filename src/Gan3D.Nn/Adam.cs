using Gan3D.Tensors;

namespace Gan3D.Nn;

/// <summary>
/// Adam (Kingma &amp; Ba) as torch.optim.Adam, one fused kernel per parameter:
/// <c>opt.ZeroGrad(); loss.Backward(); opt.Step();</c>. Weight decay is L2 added to the gradient.
/// Parameters without a gradient are skipped, as in PyTorch.
/// </summary>
public sealed class Adam : IDisposable
{
    private readonly Parameter[] _params;
    private readonly Tensor[] _m;
    private readonly Tensor[] _v;

    public Adam(IEnumerable<Parameter> parameters, float lr = 1e-3f, float beta1 = 0.9f, float beta2 = 0.999f,
        float eps = 1e-8f, float weightDecay = 0f)
    {
        _params = parameters.ToArray();
        if (_params.Length == 0)
        {
            throw new ArgumentException("Adam: no parameters to optimise");
        }
        if (!(lr > 0) || !(beta1 >= 0 && beta1 < 1) || !(beta2 >= 0 && beta2 < 1) || !(eps > 0) || !(weightDecay >= 0))
        {
            throw new ArgumentException($"Adam: invalid settings lr={lr}, betas=({beta1}, {beta2}), eps={eps}, weight decay={weightDecay}");
        }
        Lr = lr;
        Beta1 = beta1;
        Beta2 = beta2;
        Eps = eps;
        WeightDecay = weightDecay;
        _m = new Tensor[_params.Length];
        _v = new Tensor[_params.Length];
        for (int i = 0; i < _params.Length; i++)
        {
            var p = _params[i].Value;
            _m[i] = Tensor.Zeros(p.Shape, p.Backend).Persist();
            _v[i] = Tensor.Zeros(p.Shape, p.Backend).Persist();
        }
    }

    public float Lr { get; set; }

    public float Beta1 { get; }

    public float Beta2 { get; }

    public float Eps { get; }

    public float WeightDecay { get; }

    /// <summary>Steps taken (t in the bias corrections).</summary>
    public long StepCount { get; private set; }

    public void ZeroGrad()
    {
        foreach (var p in _params)
        {
            p.Value.ZeroGrad();
        }
    }

    public void Step()
    {
        StepCount++;
        for (int i = 0; i < _params.Length; i++)
        {
            var p = _params[i].Value;
            if (p.Grad is null)
            {
                continue;
            }
            Ops.AdamStep(p, p.Grad, _m[i], _v[i], Lr, Beta1, Beta2, Eps, WeightDecay, StepCount);
        }
    }

    /// <summary>First and second moments by parameter name ("&lt;name&gt;.exp_avg", "&lt;name&gt;.exp_avg_sq"), for checkpoints.</summary>
    public IReadOnlyDictionary<string, Tensor> StateDict(string prefix = "")
    {
        var d = new Dictionary<string, Tensor>();
        for (int i = 0; i < _params.Length; i++)
        {
            d[prefix + _params[i].Name + ".exp_avg"] = _m[i];
            d[prefix + _params[i].Name + ".exp_avg_sq"] = _v[i];
        }
        return d;
    }

    /// <summary>Restores the moments saved by <see cref="StateDict"/> and the step count.</summary>
    public void LoadStateDict(IReadOnlyDictionary<string, (Shape Shape, float[] Data)> values, long stepCount, string prefix = "", string? source = null)
    {
        string where = source is null ? "" : source + ": ";
        foreach (var (name, t) in StateDict(prefix))
        {
            if (!values.TryGetValue(name, out var v))
            {
                throw new InvalidDataException($"{where}missing optimiser state '{name}'");
            }
            if (v.Shape != t.Shape)
            {
                throw new InvalidDataException($"{where}optimiser state '{name}' has shape {v.Shape}, expected {t.Shape}");
            }
            t.CopyFrom(v.Data);
        }
        StepCount = stepCount;
    }

    public void Dispose()
    {
        foreach (var t in _m.Concat(_v))
        {
            t.Dispose();
        }
    }
}
