using Engine.Models.Scoring;
using Engine.Models.Tokenizers;
using Engine.Models.Transformer;
using Engine.Runtime;

namespace Engine.Models.Generation;

/// <summary>
/// Batched generation: left-padded prefill, then one decode step per token for all rows with a KV cache.
/// Rows stop at EOS, a stop string or MaxNewTokens; the batch stops when every row has.
/// </summary>
public sealed class TextGenerator(TransformerModel model, ITokenizer? tokenizer)
{
    public TransformerModel Model { get; } = model;
    /// <summary>Used to decode text and match stop strings; without one, results carry ids only.</summary>
    public ITokenizer? Tokenizer { get; } = tokenizer;

    public IReadOnlyList<GenerationResult> Generate(IReadOnlyList<string> prompts, SamplingOptions o, Action<int, string>? onText = null, ulong firstRow = 0)
        => Generate(prompts.Select(p => (Tokenizer ?? throw new InvalidOperationException("Text prompts need a tokenizer.")).Encode(p, addSpecialTokens: true)).ToArray(), o, onText, firstRow);

    /// <param name="onText">Streaming callback (row, newly decoded text).</param>
    /// <param name="firstRow">Global index of row 0, so a seed gives the same sample for a prompt whatever its batch.</param>
    public IReadOnlyList<GenerationResult> Generate(IReadOnlyList<int[]> prompts, SamplingOptions o, Action<int, string>? onText = null, ulong firstRow = 0)
        => Generate(prompts, o, Enumerable.Range(0, prompts.Count).Select(r => firstRow + (ulong)r).ToArray(), 0, onText, perRow: false);

    /// <summary>
    /// Generation whose rows do not depend on each other: row r draws from the Philox stream (seed, rowIds[r] &lt;&lt; 24 | step),
    /// sampled one row at a time, and prompts are left-padded to at least <paramref name="padTo"/>; with batches of a
    /// fixed size and length, a row's numbers and tokens are the same whatever else is in its batch.
    /// </summary>
    public IReadOnlyList<GenerationResult> Generate(IReadOnlyList<int[]> prompts, SamplingOptions o, IReadOnlyList<ulong> rowIds, int padTo, Action<int, string>? onText = null)
        => Generate(prompts, o, rowIds, padTo, onText, perRow: true);

    private IReadOnlyList<GenerationResult> Generate(IReadOnlyList<int[]> prompts, SamplingOptions o, IReadOnlyList<ulong> rowIds, int padTo, Action<int, string>? onText, bool perRow)
    {
        o.Validate();
        if (rowIds.Count != prompts.Count) throw new ArgumentException($"{rowIds.Count} row ids for {prompts.Count} prompts.");
        if (prompts.Count == 0) return [];
        if (prompts.Any(p => p.Length == 0)) throw new ArgumentException("Prompts must not be empty (encode with special tokens, or add a BOS).");
        var (ids, mask, pos, t0) = Batching.LeftPad(prompts, minLength: padTo);
        var idTensor = Tensor.FromArray(ids, prompts.Count, t0);
        return Decode(prompts.Count, t0, mask, pos, (keyMask, cache) => Model.ForwardHidden(ToDevice(idTensor), keyMask, pos, cache), prompts, o, rowIds, onText, perRow);
    }

    /// <summary>
    /// Generation from prompts given as input embeddings (transformers' <c>generate(inputs_embeds=…)</c>): the prefill
    /// runs on <paramref name="embeddings"/> [B, T, H], decoding continues from the sampled ids on the same KV cache.
    /// Rows are left-padded: <paramref name="keyMask"/> [B·T] is 0 on a row's leading padding and 1 from its first real
    /// position to the end. Positions count real positions only, as for ids. When the embeddings are the token
    /// embeddings of some ids (<c>Model.Embed</c>) and the mask is their left padding, the result is that of
    /// <see cref="Generate(IReadOnlyList{int[]}, SamplingOptions, IReadOnlyList{ulong}, int, Action{int, string}?)"/>.
    /// The repetition penalty sees <paramref name="contextIds"/>[r] (the ids of the prompt's text, if any) and the
    /// generated tokens; row r draws from Philox row <paramref name="rowIds"/>[r] (default 0..B−1).
    /// </summary>
    public IReadOnlyList<GenerationResult> GenerateFromEmbeddings(Tensor embeddings, long[] keyMask, SamplingOptions o,
        IReadOnlyList<ulong>? rowIds = null, IReadOnlyList<int[]>? contextIds = null, Action<int, string>? onText = null)
    {
        o.Validate();
        if (embeddings.Rank != 3 || embeddings.Size(2) != Model.Config.HiddenSize)
            throw new ArgumentException($"Prompt embeddings must be [batch, time, {Model.Config.HiddenSize}], got {embeddings.ShapeString}.");
        int b = embeddings.Size(0), t0 = embeddings.Size(1);
        if (keyMask.Length != b * t0) throw new ArgumentException($"The key mask holds {keyMask.Length} values for embeddings {embeddings.ShapeString}.");
        rowIds ??= Enumerable.Range(0, b).Select(r => (ulong)r).ToArray();
        if (rowIds.Count != b) throw new ArgumentException($"{rowIds.Count} row ids for {b} prompts.");
        if (contextIds is not null && contextIds.Count != b) throw new ArgumentException($"{contextIds.Count} context id lists for {b} prompts.");
        var pos = new long[b * t0];
        for (int r = 0; r < b; r++)
        {
            long real = 0;
            for (int j = 0; j < t0; j++)
            {
                long m = keyMask[r * t0 + j];
                if (m is not (0 or 1)) throw new ArgumentException($"The key mask must hold 0 or 1, got {m} at row {r}, column {j}.");
                if (m == 0 && real > 0) throw new ArgumentException($"Row {r} of the prompt embeddings is not left-padded: padding at column {j} after real positions.");
                pos[r * t0 + j] = m == 1 ? real++ : 0;
            }
            if (real == 0) throw new ArgumentException($"Row {r} of the prompt embeddings has no real position.");
        }
        var context = contextIds ?? Enumerable.Range(0, b).Select(_ => Array.Empty<int>()).ToArray();
        var x = ToDevice(embeddings);
        return Decode(b, t0, keyMask, pos, (mask, cache) => Model.ForwardHiddenFromEmbeddings(x, mask, pos, cache), context, o, rowIds, onText, perRow: true);
    }

    /// <summary>
    /// The decode loop shared by both prompt kinds: <paramref name="prefill"/> runs the prompt [B, t0] (left-padded by
    /// <paramref name="mask"/>) into the cache, then one token per step for every row; <paramref name="context"/> holds
    /// the prompt ids the repetition penalty sees.
    /// </summary>
    private IReadOnlyList<GenerationResult> Decode(int b, int t0, long[] mask, long[] pos, Func<Tensor?, IKvCache, Tensor> prefill,
        IReadOnlyList<int[]> prompts, SamplingOptions o, IReadOnlyList<ulong> rowIds, Action<int, string>? onText, bool perRow)
    {
        var eos = (o.EosTokenIds ?? Model.Config.EosTokenIds).ToHashSet();
        var cache = Model.NewCache(b, t0 + o.MaxNewTokens);
        var maskList = mask.ToList();
        var generated = Enumerable.Range(0, b).Select(_ => new List<int>()).ToArray();
        var logps = Enumerable.Range(0, b).Select(_ => new List<double>()).ToArray();
        var texts = new string[b]; Array.Fill(texts, "");
        var finish = new string?[b];
        var nextPos = new long[b];
        for (int r = 0; r < b; r++) for (int j = 0; j < t0; j++) nextPos[r] += mask[r * t0 + j];
        bool anyPad = mask.Any(m => m == 0);

        using var _ = Autograd.NoGrad();
        Tensor? stepIds = null;
        var stepPos = pos;
        int stepLen = t0;
        for (int step = 0; step < o.MaxNewTokens; step++)
        {
            var keyMask = anyPad ? ToDevice(Tensor.FromArray(maskList.ToArray(), b, cache.Length + stepLen)) : null;
            var hidden = stepIds is null ? prefill(keyMask, cache) : Model.ForwardHidden(ToDevice(stepIds), keyMask, stepPos, cache);
            var last = hidden.Narrow(1, stepLen - 1, 1).Reshape(b, -1);
            // Sampled where the logits live: on CUDA only B ids and B log-probs come back to the host.
            var logits = Model.Logits(last).To(DType.F32);
            var prev = o.RepetitionPenalty != 1.0 ? ToDevice(Context(prompts, generated)) : null;
            var (chosen, chosenLogp) = Sample(logits, o, rowIds, step, prev, perRow);
            var next = new long[b];
            for (int r = 0; r < b; r++)
            {
                if (finish[r] is not null) { next[r] = eos.Count > 0 ? eos.First() : 0; continue; }
                // Row r's draw is Philox word (seed, (rowIds[r] << 24) | step, 0), as the op documents.
                int tok = (int)chosen[r];
                double lp0 = chosenLogp[r];
                next[r] = tok;
                if (eos.Contains(tok)) { finish[r] = "eos"; continue; }
                generated[r].Add(tok); logps[r].Add(lp0);
                if (Tokenizer is null) continue;
                var text = Tokenizer.Decode(generated[r].ToArray(), skipSpecialTokens: true);
                var cut = StopAt(text, o.StopStrings);
                if (cut >= 0) { text = text[..cut]; finish[r] = "stop"; }
                if (text.Length > texts[r].Length && text.StartsWith(texts[r], StringComparison.Ordinal)) onText?.Invoke(r, text[texts[r].Length..]);
                texts[r] = text;
            }
            if (finish.All(f => f is not null)) break;
            stepIds = Tensor.FromArray(next, b, 1);
            stepPos = nextPos.ToArray();
            for (int r = 0; r < b; r++) nextPos[r]++;
            stepLen = 1;
            // the new column is real for every row (finished rows are ignored anyway)
            var grown = new List<long>(maskList.Count + b);
            int cols = maskList.Count / b;
            for (int r = 0; r < b; r++) { grown.AddRange(maskList.Skip(r * cols).Take(cols)); grown.Add(1); }
            maskList = grown;
        }
        return Enumerable.Range(0, b).Select(r => new GenerationResult(generated[r].ToArray(), texts[r], logps[r].ToArray(), finish[r] ?? "length")).ToArray();
    }

    /// <summary>One op call for consecutive row ids (the op numbers rows from the offset), or one call per row.</summary>
    private static (long[] Ids, double[] LogProbs) Sample(Tensor logits, SamplingOptions o, IReadOnlyList<ulong> rowIds, int step, Tensor? prev, bool perRow)
    {
        int b = rowIds.Count;
        if (!perRow)
        {
            var sampled = Ops.SampleTokens(logits, o.ToParams(), o.Seed, (rowIds[0] << 24) | (uint)step, prev);
            return (sampled.Ids.To(Device.Cpu).ToArray<long>(), sampled.LogProbs.To(Device.Cpu).ToArray<double>());
        }
        var ids = new long[b];
        var logps = new double[b];
        for (int r = 0; r < b; r++)
        {
            var one = Ops.SampleTokens(logits.Narrow(0, r, 1), o.ToParams(), o.Seed, (rowIds[r] << 24) | (uint)step, prev?.Narrow(0, r, 1));
            ids[r] = one.Ids.To(Device.Cpu).ToArray<long>()[0];
            logps[r] = one.LogProbs.To(Device.Cpu).ToArray<double>()[0];
        }
        return (ids, logps);
    }

    /// <summary>Prompt + generated ids per row, right-padded with −1: the tokens the repetition penalty sees.</summary>
    private static Tensor Context(IReadOnlyList<int[]> prompts, List<int>[] generated)
    {
        int b = prompts.Count, l = Math.Max(1, Enumerable.Range(0, b).Max(r => prompts[r].Length + generated[r].Count));
        var ctx = new long[b * l];
        Array.Fill(ctx, -1L);
        for (int r = 0; r < b; r++)
        {
            int j = r * l;
            foreach (var t in prompts[r]) ctx[j++] = t;
            foreach (var t in generated[r]) ctx[j++] = t;
        }
        return Tensor.FromArray(ctx, b, l);
    }

    private Tensor ToDevice(Tensor t) => Model.Device.IsCpu ? t : t.To(Model.Device);

    private static int StopAt(string text, IReadOnlyList<string> stops)
    {
        int best = -1;
        foreach (var s in stops)
        {
            if (s.Length == 0) continue;
            int i = text.IndexOf(s, StringComparison.Ordinal);
            if (i >= 0 && (best < 0 || i < best)) best = i;
        }
        return best;
    }
}
