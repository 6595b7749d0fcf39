using Gan3D.Tensors;

namespace Gan3D.Nn;

/// <summary>
/// Batch normalisation over axis 1 of (N, C, ...) with learnable scale and shift and running statistics,
/// as torch.nn.BatchNorm1d/2d/3d: weight 1, bias 0, running mean 0, running var 1 at construction.
/// </summary>
public class BatchNorm : Module
{
    private readonly int _rank;

    protected BatchNorm(int numFeatures, int rank, float eps, float momentum, IBackend? backend)
        : base(backend)
    {
        if (numFeatures <= 0)
        {
            throw new ArgumentException($"BatchNorm: the number of features must be positive, got {numFeatures}");
        }
        _rank = rank;
        Eps = eps;
        Momentum = momentum;
        var c = new Shape(numFeatures);
        Weight = RegisterParameter("weight", Tensor.Ones(c, Backend));
        Bias = RegisterParameter("bias", Tensor.Zeros(c, Backend));
        RunningMean = RegisterBuffer("running_mean", Tensor.Zeros(c, Backend));
        RunningVar = RegisterBuffer("running_var", Tensor.Ones(c, Backend));
    }

    public Tensor Weight { get; }

    public Tensor Bias { get; }

    public Tensor RunningMean { get; }

    public Tensor RunningVar { get; }

    public float Eps { get; }

    public float Momentum { get; }

    public override Tensor Forward(Tensor input)
    {
        if (input.Rank != _rank)
        {
            throw new ArgumentException($"{GetType().Name}: expected a rank-{_rank} input, got {input.Shape}");
        }
        return Ops.BatchNorm(input, Weight, Bias, RunningMean, RunningVar, Training, Momentum, Eps);
    }

    /// <summary>ReLU(this(input)) as one fused op: the values and gradients of <c>Ops.Relu(Forward(input))</c>.</summary>
    public Tensor ForwardRelu(Tensor input) =>
        Ops.BatchNormRelu(CheckRank(input), Weight, Bias, RunningMean, RunningVar, Training, Momentum, Eps);

    /// <summary>LeakyReLU(this(input)) as one fused op: the values and gradients of <c>Ops.LeakyRelu(Forward(input), slope)</c>.</summary>
    public Tensor ForwardLeakyRelu(Tensor input, float negativeSlope) =>
        Ops.BatchNormLeakyRelu(CheckRank(input), Weight, Bias, RunningMean, RunningVar, Training, negativeSlope, Momentum, Eps);

    private Tensor CheckRank(Tensor input) => input.Rank == _rank ? input
        : throw new ArgumentException($"{GetType().Name}: expected a rank-{_rank} input, got {input.Shape}");
}

/// <summary>Batch norm over (N, C, D, H, W).</summary>
public sealed class BatchNorm3d(int numFeatures, float eps = 1e-5f, float momentum = 0.1f, IBackend? backend = null)
    : BatchNorm(numFeatures, 5, eps, momentum, backend);

/// <summary>Batch norm over (N, C, H, W).</summary>
public sealed class BatchNorm2d(int numFeatures, float eps = 1e-5f, float momentum = 0.1f, IBackend? backend = null)
    : BatchNorm(numFeatures, 4, eps, momentum, backend);

/// <summary>Batch norm over (N, C).</summary>
public sealed class BatchNorm1d(int numFeatures, float eps = 1e-5f, float momentum = 0.1f, IBackend? backend = null)
    : BatchNorm(numFeatures, 2, eps, momentum, backend);
