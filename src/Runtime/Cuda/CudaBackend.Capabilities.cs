namespace Engine.Runtime.Cuda;

public sealed partial class CudaBackend
{
    private static readonly DType[] F32 = [DType.F32], F32Bf16 = [DType.F32, DType.BF16];

    private static readonly IReadOnlyDictionary<BackendOp, IReadOnlyList<DType>> Table = BackendCapabilities.Table(
        ([BackendOp.Cast], [DType.F32, DType.BF16, DType.F16, DType.I32]),
        ([BackendOp.Binary, BackendOp.Affine, BackendOp.Unary, BackendOp.UnaryBackward, BackendOp.Sum, BackendOp.BroadcastTo,
          BackendOp.RmsNormBackward, BackendOp.LayerNormBackward, BackendOp.Softmax, BackendOp.SoftmaxBackward,
          BackendOp.CrossEntropy, BackendOp.CrossEntropyBackward, BackendOp.CandidateProbs, BackendOp.SymmetricKl, BackendOp.SymmetricKlBackward,
          BackendOp.EmbeddingBackward, BackendOp.Rope, BackendOp.Conv1d, BackendOp.Conv1dBackwardInput, BackendOp.Conv1dBackwardWeight, BackendOp.Conv1dBackwardBias,
          BackendOp.ActivationBackward, BackendOp.SwiGlu, BackendOp.SwiGluBackward,
          BackendOp.HardConcreteSample, BackendOp.HardConcreteSampleBackward, BackendOp.HardConcreteScore, BackendOp.HardConcreteScoreBackward,
          BackendOp.HardConcreteEvalMask, BackendOp.HardConcreteClamp, BackendOp.AdamW, BackendOp.AdamWMany, BackendOp.SumOfSquares, BackendOp.ScaleInPlace,
          BackendOp.SampleTokens], F32),
        ([BackendOp.RmsNorm, BackendOp.LayerNorm, BackendOp.Embedding, BackendOp.Activation, BackendOp.Attention, BackendOp.AttentionBackward, BackendOp.Dropout], F32Bf16),
        ([BackendOp.MatMul], [DType.F32, DType.BF16, DType.F16]),
        ([BackendOp.MixedMatMul], [DType.BF16, DType.F16]),
        ([BackendOp.PhiloxWords], [DType.I32]));

    public IReadOnlyDictionary<BackendOp, IReadOnlyList<DType>> Capabilities => Table;
}
