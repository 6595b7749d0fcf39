using Gan3D.Kernels;

namespace Gan3D.Tensors;

/// <summary>Where a backend runs.</summary>
public enum DeviceKind
{
    /// <summary>Managed SIMD code on this machine's cores (<see cref="CpuBackend"/>).</summary>
    Cpu,

    /// <summary>ILGPU kernels on an NVIDIA GPU.</summary>
    Cuda,

    /// <summary>ILGPU kernels on ILGPU's CPU accelerator: an emulator for checking kernels, not a fast path.</summary>
    IlgpuCpu,
}

/// <summary>Elementwise y = f(a, b) on tensors of one shape.</summary>
public enum BinaryOp
{
    Add,
    Sub,
    Mul,
}

/// <summary>
/// The one seam between math and hardware. Every method works on raw tensors of this backend
/// (no autograd: the <see cref="Function"/>s call these) whose shapes the caller has checked.
/// Tensors are contiguous float32; volumes are NCDHW. Outputs are overwritten unless a method says
/// it accumulates. Scalars (losses) stay on the device as one-element tensors.
/// </summary>
public interface IBackend : IDisposable
{
    /// <summary>A short description: "cpu (2 threads, AVX-512)", "cuda:0 NVIDIA H100 (sm_90)".</summary>
    string Name { get; }

    DeviceKind Kind { get; }

    MemoryPool Pool { get; }

    /// <summary>
    /// Which version runs the ops that have several (convolution on every backend; batch-norm statistics
    /// and reductions on ILGPU): 1 is the naive reference, higher versions are faster and are checked
    /// against it. The one knob callers choose, whatever the hardware. Setting a version this backend
    /// does not have throws <see cref="ArgumentOutOfRangeException"/>; one it has but this device cannot
    /// run throws <see cref="NotSupportedException"/>.
    /// </summary>
    int KernelVersion { get; set; }

    /// <summary>The versions <see cref="KernelVersion"/> may be set to on this device, ascending.</summary>
    IReadOnlyList<int> KernelVersions { get; }

    // ---- data movement ----
    void Upload(ReadOnlySpan<float> source, Tensor destination);

    void Download(Tensor source, Span<float> destination);

    /// <summary>
    /// destination[i] = bit i mod 8 of bits[i / 8], as 0f or 1f (least significant bit first, VoxelDataset's
    /// layout): a voxel batch goes up as bits, 32× fewer bytes than floats, and is expanded where it lands.
    /// Asynchronous on a device (staged in page-locked memory); <paramref name="bits"/> may be reused at once.
    /// </summary>
    void UploadBits(ReadOnlySpan<byte> bits, Tensor destination);

    /// <summary>Times the host has waited for the device so far: downloads and synchronisations (counted on the CPU too, where nothing waits).</summary>
    long HostReads { get; }

    void Copy(Tensor source, Tensor destination);

    /// <summary>
    /// Copies <paramref name="rows"/> rows of <paramref name="rowLength"/> elements:
    /// dst[dstOffset + r·dstStride + i] = src[srcOffset + r·srcStride + i]. Concatenation and its backward.
    /// </summary>
    void CopyRows(Tensor source, long sourceOffset, long sourceStride,
        Tensor destination, long destinationOffset, long destinationStride, long rows, long rowLength);

    void Fill(Tensor destination, float value);

    /// <summary>Waits for all queued work (a no-op on the CPU).</summary>
    void Synchronize();

    // ---- random: element i comes from Philox at counter offset + i, the same on every backend ----
    void FillUniform(Tensor destination, ulong seed, ulong offset, float low, float high);

    void FillNormal(Tensor destination, ulong seed, ulong offset, float mean, float std);

    // ---- elementwise ----
    void Unary(UnaryOp op, Tensor x, Tensor y, float alpha);

    /// <summary>dx = dy · f'(·), where <paramref name="saved"/> is x or y as <see cref="UnaryOp"/> says.</summary>
    void UnaryBackward(UnaryOp op, Tensor saved, Tensor dy, Tensor dx, float alpha);

    void Binary(BinaryOp op, Tensor a, Tensor b, Tensor y);

    /// <summary>y += α·x.</summary>
    void Axpy(float alpha, Tensor x, Tensor y);

    // ---- reductions ----
    /// <summary>y[0] = scale · Σ x.</summary>
    void Sum(Tensor x, Tensor y, float scale);

    /// <summary>y[i] = scale · s[0] for every i (the backward of a sum).</summary>
    void BroadcastScalar(Tensor s, Tensor y, float scale);

    /// <summary>y (N, C, S) += bias[c].</summary>
    void AddChannelBias(Tensor y, Tensor bias);

    /// <summary>db[c] = Σ over n and s of dy (N, C, S).</summary>
    void ChannelSum(Tensor dy, Tensor db);

    // ---- linear algebra ----
    /// <summary>C (m×n) = op(A) · op(B), op(A) m×k, op(B) k×n, row-major; transposes read the stored matrix transposed.</summary>
    void MatMul(Tensor a, bool transposeA, Tensor b, bool transposeB, Tensor c, int m, int n, int k);

    // ---- convolution (transposed convolution is the adjoint: forward = backward-data) ----
    /// <summary>y = conv(x, w) without bias.</summary>
    void Conv3dForward(Tensor x, Tensor w, Tensor y, in Conv3dGeometry g);

    /// <summary>dx = conv(·, w)ᵀ dy.</summary>
    void Conv3dBackwardData(Tensor dy, Tensor w, Tensor dx, in Conv3dGeometry g);

    /// <summary>dw = Σ over the batch of dy ⊗ x, correlated over the taps.</summary>
    void Conv3dBackwardWeight(Tensor x, Tensor dy, Tensor dw, in Conv3dGeometry g);

    // ---- batch normalisation over (N, C, S): statistics per channel over N and S ----
    /// <summary>
    /// Normalises with the batch statistics, stores the mean and 1/sqrt(var + eps) for backward, and
    /// updates running mean/var with the unbiased variance (PyTorch's rule).
    /// </summary>
    void BatchNormForwardTraining(Tensor x, Tensor gamma, Tensor beta, Tensor y,
        Tensor saveMean, Tensor saveInvStd, Tensor runningMean, Tensor runningVar, float momentum, float eps);

    void BatchNormForwardInference(Tensor x, Tensor gamma, Tensor beta,
        Tensor runningMean, Tensor runningVar, Tensor y, float eps);

    /// <summary>
    /// dx, dgamma, dbeta given the mean and 1/sqrt(var + eps) the forward used. With
    /// <paramref name="batchStatistics"/> (training mode) dx includes the path through the batch
    /// statistics; without it (eval mode, running statistics) dx = dy·γ·invStd.
    /// </summary>
    void BatchNormBackward(Tensor x, Tensor dy, Tensor gamma, Tensor mean, Tensor invStd,
        Tensor dx, Tensor dgamma, Tensor dbeta, bool batchStatistics);

    // ---- pooling ----
    void MaxPool3dForward(Tensor x, Tensor y, in Pool3dGeometry g);

    /// <summary>Routes dy to the first maximum of each window (found again from x and y).</summary>
    void MaxPool3dBackward(Tensor x, Tensor y, Tensor dy, Tensor dx, in Pool3dGeometry g);

    // ---- losses: mean over elements (BCE) or over the batch (KL), written to a one-element tensor ----
    /// <summary>
    /// loss[0] = mean of max(x,0) − x·t + log(1 + e^−|x|) + (p − 1)·t·softplus(−x), t from target or the constant when
    /// target is null, p the weight of the target-1 term (PyTorch's pos_weight; 1 is plain BCE).
    /// </summary>
    void BceWithLogits(Tensor logits, Tensor? target, float constantTarget, float positiveWeight, Tensor loss);

    /// <summary>dx = dLoss[0] · (σ(x) − t + (p − 1)·t·(σ(x) − 1)) / n.</summary>
    void BceWithLogitsBackward(Tensor logits, Tensor? target, float constantTarget, float positiveWeight, Tensor dLoss, Tensor dx);

    /// <summary>loss[0] = −½ Σ (1 + logvar − μ² − e^logvar) / batch, i.e. KL(N(μ, σ²) ‖ N(0, I)) averaged over the batch.</summary>
    void KlStandardNormal(Tensor mu, Tensor logvar, Tensor loss, int batch);

    void KlStandardNormalBackward(Tensor mu, Tensor logvar, Tensor dLoss, Tensor dmu, Tensor dlogvar, int batch);

    // ---- optimiser ----
    /// <summary>One fused Adam update of param, m and v from grad (see <see cref="AdamStepParams"/>).</summary>
    void AdamStep(Tensor param, Tensor grad, Tensor m, Tensor v, in AdamStepParams p);

    // ---- fused ops ----
    /// <summary>
    /// y = act(BatchNorm(x)) in training mode (statistics and running-statistics update as
    /// <see cref="BatchNormForwardTraining"/>), in one pass over y after one statistics pass.
    /// <paramref name="alpha"/> is the negative slope of <see cref="BatchNormActivation.LeakyRelu"/>.
    /// </summary>
    void BatchNormActivationForwardTraining(Tensor x, Tensor gamma, Tensor beta, Tensor y,
        Tensor saveMean, Tensor saveInvStd, Tensor runningMean, Tensor runningVar, float momentum, float eps,
        BatchNormActivation activation, float alpha);

    /// <summary>
    /// The backward of act(BatchNorm(x)) given x, the output y and dy: as <see cref="BatchNormBackward"/>
    /// with dy gated by the activation's derivative at y (which is never stored). dx may be dy.
    /// </summary>
    void BatchNormActivationBackward(Tensor x, Tensor y, Tensor dy, Tensor gamma, Tensor mean, Tensor invStd,
        Tensor dx, Tensor dgamma, Tensor dbeta, bool batchStatistics, BatchNormActivation activation, float alpha);
}
