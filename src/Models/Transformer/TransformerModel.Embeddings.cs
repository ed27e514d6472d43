using Engine.Runtime;

namespace Engine.Models.Transformer;

/// <summary>Embeddings placed at positions [Start, Start + N) of batch row <paramref name="Row"/>.</summary>
/// <param name="Row">Batch row.</param>
/// <param name="Start">First time position replaced.</param>
/// <param name="Embeddings">[N, H] vectors in the model's embedding space (e.g. projected speech features).</param>
public sealed record EmbeddingSplice(int Row, int Start, Tensor Embeddings);

public sealed partial class TransformerModel
{
    /// <summary>
    /// Token embeddings [B, T, H] of ids [B, T] in the activation dtype, the input <see cref="ForwardHidden"/> starts
    /// from (before any hidden-dimension mask). Gradients reach the embedding table only if it requires grad.
    /// </summary>
    public Tensor Embed(Tensor ids) => ToActivations(Ops.Embedding(EmbedTokens, ids));

    /// <summary>
    /// Token embeddings of ids [B, T] with each splice's vectors in place of the tokens at its positions, for
    /// <see cref="ForwardHiddenFromEmbeddings"/> (a speech model's features among the text embeddings). The ids under a
    /// splice are ignored (any value, e.g. a placeholder). Gradients flow into every splice's embeddings, and into the
    /// table only at the other positions and only if the table requires grad.
    /// </summary>
    public Tensor EmbedWithSplices(Tensor ids, IReadOnlyList<EmbeddingSplice> splices)
    {
        CheckIds(ids);
        int b = ids.Size(0), t = ids.Size(1), h = Config.HiddenSize;
        var byRow = splices.GroupBy(s => s.Row).ToDictionary(g => g.Key, g => g.OrderBy(s => s.Start).ToArray());
        long[] host;
        using (Autograd.NoGrad()) host = ids.To(Device.Cpu).To(DType.I64).ToArray<long>();
        var keep = new double[b * t];
        Array.Fill(keep, 1.0);
        foreach (var (row, list) in byRow)
        {
            int end = 0;
            foreach (var s in list)
            {
                if (row < 0 || row >= b) throw new ArgumentException($"EmbeddingSplice row {row} outside the batch of {b}.");
                if (s.Embeddings.Rank != 2 || s.Embeddings.Size(1) != h)
                    throw new ArgumentException($"EmbeddingSplice at row {row}, position {s.Start}: embeddings must be [N, {h}], got {s.Embeddings.ShapeString}.");
                int n = s.Embeddings.Size(0);
                if (s.Start < end || s.Start + n > t)
                    throw new ArgumentException($"EmbeddingSplice at row {row}, positions [{s.Start}, {s.Start + n}) overlaps another splice or runs past the sequence length {t}.");
                end = s.Start + n;
                for (int j = s.Start; j < end; j++) { keep[row * t + j] = 0; host[row * t + j] = 0; }
            }
        }
        var safeIds = Tensor.FromArray(host, b, t);
        var tokens = Embed(Device.IsCpu ? safeIds : safeIds.To(Device));
        var keepT = Tensor.FromArray(keep, b * t).To(ActivationDType);
        if (!Device.IsCpu) keepT = keepT.To(Device);
        // Zero the spliced positions: a per-row scale, done as a trailing-vector multiply on the transpose [H, B·T].
        var kept = Ops.Mul(tokens.Reshape(b * t, h).Transpose(0, 1), keepT).Transpose(0, 1).Reshape(b, t, h);
        var rows = new Tensor[b];
        for (int r = 0; r < b; r++)
        {
            var parts = new List<Tensor>();
            int at = 0;
            foreach (var s in byRow.GetValueOrDefault(r, []))
            {
                if (s.Start > at) parts.Add(Zeros(s.Start - at));
                parts.Add(ToActivations(s.Embeddings));
                at = s.Start + s.Embeddings.Size(0);
            }
            if (at < t) parts.Add(Zeros(t - at));
            rows[r] = (parts.Count == 1 ? parts[0] : Ops.Cat(parts, 0)).Unsqueeze(0);
        }
        var spliced = b == 1 ? rows[0] : Ops.Cat(rows, 0);
        return Ops.Add(kept, spliced);

        Tensor Zeros(int n) => Tensor.Zeros([n, h], ActivationDType, Device);
    }

    /// <summary>x in the activation dtype on the model's device (both conversions recorded, so gradients flow back).</summary>
    private Tensor ToActivations(Tensor x)
    {
        if (x.DType != ActivationDType) x = x.To(ActivationDType);
        return x.Device == Device ? x : x.To(Device);
    }
}
