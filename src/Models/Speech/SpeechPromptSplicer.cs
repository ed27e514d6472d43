using Engine.Runtime;

namespace Engine.Models.Speech;

/// <summary>One example's token ids around its speech: prefix (instruction, BOS included), suffix ("\nASSISTANT:") and the target (empty at inference).</summary>
public sealed record SpeechPromptItem(int[] PrefixIds, int[] SuffixIds, int[] TargetIds);

/// <summary>
/// A spliced batch for an LLM forward that takes input embeddings: <see cref="Embeddings"/> [B, T, H] =
/// [Emb(prefix); speech tokens; Emb(suffix); Emb(target)] per row, padded with zeros; <see cref="KeyMask"/> [B, T] (I64,
/// 1 = real); <see cref="Labels"/> [B·T] aligned with the inputs as transformers' labels are (the model shifts them):
/// the target ids at the target's positions, −100 everywhere else (prefix, speech, suffix, padding).
/// </summary>
public sealed record SpeechPromptBatch(Tensor Embeddings, Tensor KeyMask, long[] Labels, int[] SpeechStart, int[] Lengths, bool PadLeft);

public static class SpeechPromptSplicer
{
    public const long IgnoreIndex = -100;

    /// <param name="embedTable">The LLM's input embedding matrix [V, H].</param>
    /// <param name="padLeft">Left padding (batched generation: every row ends at the same position); right padding for training.</param>
    public static SpeechPromptBatch Build(Tensor embedTable, IReadOnlyList<SpeechPromptItem> items, SpeechTokens speech, bool padLeft = false)
    {
        var tokens = speech.Embeddings;
        int b = items.Count, h = tokens.Size(2);
        if (tokens.Size(0) != b || speech.Lengths.Length != b)
            throw new ArgumentException($"Speech splice: {b} prompts but speech tokens for {tokens.Size(0)} rows.");
        if (embedTable.Rank != 2 || embedTable.Size(1) != h)
            throw new ArgumentException($"Speech splice: the embedding table {embedTable.ShapeString} does not match the speech tokens' width {h}.");
        var lengths = new int[b];
        for (int i = 0; i < b; i++) lengths[i] = items[i].PrefixIds.Length + speech.Lengths[i] + items[i].SuffixIds.Length + items[i].TargetIds.Length;
        int t = lengths.Max();
        var rows = new Tensor[b];
        var labels = new long[b * t];
        Array.Fill(labels, IgnoreIndex);
        var mask = new long[b * t];
        var speechStart = new int[b];
        for (int i = 0; i < b; i++)
        {
            var it = items[i];
            int pad = t - lengths[i], at = padLeft ? pad : 0;
            var parts = new List<Tensor>();
            if (padLeft && pad > 0) parts.Add(Tensor.Zeros([pad, h], tokens.DType, tokens.Device));
            if (it.PrefixIds.Length > 0) parts.Add(Embed(embedTable, it.PrefixIds, tokens));
            speechStart[i] = at + it.PrefixIds.Length;
            if (speech.Lengths[i] > 0) parts.Add(tokens.Narrow(0, i, 1).Reshape(tokens.Size(1), h).Narrow(0, 0, speech.Lengths[i]));
            int[] rest = [.. it.SuffixIds, .. it.TargetIds];
            if (rest.Length > 0) parts.Add(Embed(embedTable, rest, tokens));
            if (!padLeft && pad > 0) parts.Add(Tensor.Zeros([pad, h], tokens.DType, tokens.Device));
            rows[i] = Ops.Cat(parts, 0).Unsqueeze(0);
            for (int p = 0; p < lengths[i]; p++) mask[i * t + at + p] = 1;
            int targetAt = at + lengths[i] - it.TargetIds.Length;
            for (int j = 0; j < it.TargetIds.Length; j++) labels[i * t + targetAt + j] = it.TargetIds[j];
        }
        var keyMask = Tensor.FromArray(mask, b, t);
        return new SpeechPromptBatch(Ops.Cat(rows, 0), tokens.Device.IsCpu ? keyMask : keyMask.To(tokens.Device), labels, speechStart, lengths, padLeft);
    }

    private static Tensor Embed(Tensor table, int[] ids, Tensor like)
    {
        var idt = Tensor.FromArray(ids.Select(x => (long)x).ToArray(), ids.Length);
        var e = Ops.Embedding(table, table.Device.IsCpu ? idt : idt.To(table.Device));
        return e.DType == like.DType ? e : e.To(like.DType);
    }
}
