namespace Engine.Runtime;

/// <summary>The methods of <see cref="IBackend"/>, named for <see cref="IBackend.Capabilities"/>.</summary>
public enum BackendOp
{
    Cast, Binary, Affine, Unary, UnaryBackward, Sum, BroadcastTo,
    MatMul, MixedMatMul,
    RmsNorm, RmsNormBackward, LayerNorm, LayerNormBackward,
    Softmax, SoftmaxBackward,
    CrossEntropy, CrossEntropyBackward, CandidateProbs, SymmetricKl, SymmetricKlBackward,
    Embedding, EmbeddingBackward,
    Rope,
    Conv1d, Conv1dBackwardInput, Conv1dBackwardWeight, Conv1dBackwardBias,
    Activation, ActivationBackward, SwiGlu, SwiGluBackward,
    Attention, AttentionBackward,
    Dropout,
    HardConcreteSample, HardConcreteSampleBackward, HardConcreteScore, HardConcreteScoreBackward, HardConcreteEvalMask, HardConcreteClamp,
    AdamW, AdamWMany, SumOfSquares, ScaleInPlace,
    SampleTokens,
    PhiloxWords,
}

public static class BackendCapabilities
{
    /// <summary>
    /// Whether <paramref name="backend"/> runs <paramref name="op"/> on <paramref name="dtype"/> (the dtype of the op's main
    /// input: x, logits, q, the weight of an embedding, the parameter of an optimizer step, the source of a cast, the
    /// output of PhiloxWords). Anything else is an error naming the op when called.
    /// </summary>
    public static bool Supports(this IBackend backend, BackendOp op, DType dtype) =>
        backend.Capabilities.TryGetValue(op, out var dtypes) && dtypes.Contains(dtype);

    /// <summary>One capability table from (op, dtypes) rows.</summary>
    internal static IReadOnlyDictionary<BackendOp, IReadOnlyList<DType>> Table(params (BackendOp[] Ops, DType[] DTypes)[] rows)
    {
        var d = new Dictionary<BackendOp, IReadOnlyList<DType>>();
        foreach (var (ops, dtypes) in rows)
            foreach (var op in ops) d[op] = dtypes;
        return d;
    }
}
