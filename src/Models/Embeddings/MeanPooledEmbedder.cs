using Engine.Models.Scoring;
using Engine.Models.Tokenizers;
using Engine.Models.Transformer;
using Engine.Runtime;

namespace Engine.Models.Embeddings;

/// <summary>
/// One vector per text from a causal LM: the mean of a layer's hidden states over the text's tokens (sentence-transformers'
/// mean pooling), for grouping and retrieval (CommonIT's embedding groups, APT's similar-case retrieval). Batched with
/// right padding (a row's vector does not depend on what it is batched with), no gradient, on the model's device.
/// </summary>
/// <param name="model">The encoder; its structural masks, if any, apply.</param>
/// <param name="batchSize">Texts per forward.</param>
/// <param name="layer">transformers' hidden_states index (see <see cref="TransformerModel.HiddenStates"/>); null: the final hidden states.</param>
public sealed class MeanPooledEmbedder(TransformerModel model, int batchSize = 32, int? layer = null)
{
    public TransformerModel Model { get; } = model;
    public int BatchSize { get; } = batchSize > 0 ? batchSize : throw new ArgumentOutOfRangeException(nameof(batchSize), "batchSize must be positive.");
    public int Layer { get; } = layer is { } l && (l < 0 || l > model.Config.NumLayers)
        ? throw new ArgumentOutOfRangeException(nameof(layer), $"layer must be in [0, {model.Config.NumLayers}], got {l}.") : layer ?? model.Config.NumLayers;

    /// <summary>Embeddings [N][H] of token sequences (each non-empty), in input order.</summary>
    public float[][] Embed(IReadOnlyList<int[]> sequences)
    {
        for (int i = 0; i < sequences.Count; i++)
            if (sequences[i].Length == 0) throw new ArgumentException($"Sequence {i} is empty; mean pooling needs at least one token.");
        var result = new float[sequences.Count][];
        using var _ = Autograd.NoGrad();
        // Batches of similar length waste little padding; results go back to input order.
        var order = Enumerable.Range(0, sequences.Count).OrderBy(i => sequences[i].Length).ToArray();
        for (int start = 0; start < order.Length; start += BatchSize)
        {
            var idx = order.Skip(start).Take(BatchSize).ToArray();
            var batch = idx.Select(i => sequences[i]).ToArray();
            var (ids, mask, _) = Batching.RightPad(batch, Model.Device);
            var pooled = MeanPool(Model.HiddenStates(ids, mask, Layer), batch.Select(s => s.Length).ToArray()).ToFloatArray();
            int h = Model.Config.HiddenSize;
            for (int r = 0; r < idx.Length; r++) result[idx[r]] = pooled.AsSpan(r * h, h).ToArray();
        }
        return result;
    }

    /// <summary>Embeddings of texts, tokenized with <paramref name="tokenizer"/> and cut to <paramref name="maxTokens"/>.</summary>
    public float[][] Embed(ITokenizer tokenizer, IReadOnlyList<string> texts, bool addSpecialTokens = true, int maxTokens = 512)
    {
        if (maxTokens <= 0) throw new ArgumentOutOfRangeException(nameof(maxTokens), "maxTokens must be positive.");
        return Embed(texts.Select((t, i) =>
        {
            var ids = tokenizer.Encode(t, addSpecialTokens);
            if (ids.Length == 0) throw new ArgumentException($"Text {i} has no tokens; mean pooling needs at least one.");
            return ids.Length > maxTokens ? ids[..maxTokens] : ids;
        }).ToArray());
    }

    /// <summary>
    /// Mean over time of hidden [B, T, H] over the first lengths[b] positions of each row (right padding): [B, H].
    /// Differentiable; one batched matmul with the weights 1/len (so it runs on any device).
    /// </summary>
    public static Tensor MeanPool(Tensor hidden, int[] lengths)
    {
        int b = hidden.Size(0), t = hidden.Size(1);
        if (lengths.Length != b) throw new ArgumentException($"MeanPool: {lengths.Length} lengths for a batch of {b}.");
        var weights = new double[b * t];
        for (int r = 0; r < b; r++)
        {
            if (lengths[r] < 1 || lengths[r] > t) throw new ArgumentException($"MeanPool: row {r} length {lengths[r]} outside [1, {t}].");
            for (int j = 0; j < lengths[r]; j++) weights[r * t + j] = 1.0 / lengths[r];
        }
        var w = Tensor.FromArray(weights, b, 1, t).To(hidden.DType);
        if (!hidden.Device.IsCpu) w = w.To(hidden.Device);
        using var f32 = Autocast.Disable();
        return Ops.MatMul(w, hidden.Contiguous()).Reshape(b, hidden.Size(2));
    }
}
