namespace Engine.Runtime;

public sealed partial class CpuBackend
{
    private static readonly DType[] Floats = [DType.F32, DType.F64];

    private static readonly IReadOnlyDictionary<BackendOp, IReadOnlyList<DType>> Table = BackendCapabilities.Table(
        ([BackendOp.Cast], [DType.F32, DType.F64, DType.BF16, DType.F16, DType.I32, DType.I64, DType.U8]),
        ([BackendOp.Binary, BackendOp.Affine, BackendOp.Unary, BackendOp.UnaryBackward, BackendOp.Sum, BackendOp.BroadcastTo, BackendOp.MatMul,
          BackendOp.RmsNorm, BackendOp.RmsNormBackward, BackendOp.LayerNorm, BackendOp.LayerNormBackward, BackendOp.Softmax, BackendOp.SoftmaxBackward,
          BackendOp.CrossEntropy, BackendOp.CrossEntropyBackward, BackendOp.CandidateProbs, BackendOp.SymmetricKl, BackendOp.SymmetricKlBackward,
          BackendOp.EmbeddingBackward, BackendOp.Rope, BackendOp.Conv1d, BackendOp.Conv1dBackwardInput, BackendOp.Conv1dBackwardWeight, BackendOp.Conv1dBackwardBias,
          BackendOp.Activation, BackendOp.ActivationBackward, BackendOp.SwiGlu, BackendOp.SwiGluBackward,
          BackendOp.Attention, BackendOp.AttentionBackward, BackendOp.Dropout,
          BackendOp.HardConcreteSample, BackendOp.HardConcreteSampleBackward, BackendOp.HardConcreteScore, BackendOp.HardConcreteScoreBackward,
          BackendOp.HardConcreteEvalMask, BackendOp.HardConcreteClamp, BackendOp.AdamW, BackendOp.AdamWMany, BackendOp.SumOfSquares, BackendOp.ScaleInPlace], Floats),
        ([BackendOp.MixedMatMul], [DType.BF16, DType.F16]),
        ([BackendOp.Embedding], [DType.F32, DType.F64, DType.BF16]),
        ([BackendOp.SampleTokens], [DType.F32]),
        ([BackendOp.PhiloxWords], [DType.I32]));

    public IReadOnlyDictionary<BackendOp, IReadOnlyList<DType>> Capabilities => Table;
}
