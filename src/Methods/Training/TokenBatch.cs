using Engine.Methods.Core.Data;
using Engine.Methods.Training.Data;
using Engine.Runtime;

namespace Engine.Methods.Training;

/// <summary>
/// A right-padded batch ready for the model: ids and key mask [B, T] and next-token targets [B, T] already
/// shifted (targets[b, t] is the label of position t+1; −100 on prompt tokens, padding and the last position),
/// so the loss reads logits [B, T, V] as they come.
/// </summary>
public sealed class TokenBatch
{
    public required Tensor Ids { get; init; }
    public required Tensor KeyMask { get; init; }
    public required Tensor Targets { get; init; }
    /// <summary>Row lengths before padding.</summary>
    public required int[] Lengths { get; init; }
    /// <summary>Targets that count (≠ −100) per row.</summary>
    public required int[] CountedTokens { get; init; }
    public int Rows => Lengths.Length;
    public int Time => Ids.Size(1);
    public long TotalCounted => CountedTokens.Sum(c => (long)c);

    /// <summary>1 where a target counts, 0 elsewhere: [B, T] in <paramref name="dtype"/>.</summary>
    public Tensor CountedMask(DType dtype = DType.F32)
    {
        var t = Targets.ToArray<long>();
        var m = new float[t.Length];
        for (int i = 0; i < t.Length; i++) m[i] = t[i] == LabelMask.Ignore ? 0f : 1f;
        var r = Tensor.FromArray(m, Rows, Time).To(dtype);
        return Ids.Device.IsCpu ? r : r.To(Ids.Device);
    }

    /// <summary>Targets with −100 replaced by 0, for ops that gather and need a valid id everywhere.</summary>
    public Tensor SafeTargets()
    {
        var t = Targets.ToArray<long>();
        for (int i = 0; i < t.Length; i++) if (t[i] < 0) t[i] = 0;
        var r = Tensor.FromArray(t, Rows, Time);
        return Ids.Device.IsCpu ? r : r.To(Ids.Device);
    }

    /// <summary>The same batch with its tensors on <paramref name="device"/>.</summary>
    public TokenBatch To(Device device) => device == Ids.Device ? this : new TokenBatch
    {
        Ids = Ids.To(device), KeyMask = KeyMask.To(device), Targets = Targets.To(device), Lengths = Lengths, CountedTokens = CountedTokens,
    };

    /// <summary>SFT examples: input ids and per-position labels (the formatter's convention), shifted here.</summary>
    public static TokenBatch FromSft(IReadOnlyList<SftExample> examples, int maxLength, int padId)
    {
        var rows = new List<(int[] ids, int[] labels)>(examples.Count);
        foreach (var e in examples)
        {
            if (e.InputIds.Length != e.Labels.Length)
                throw new ArgumentException($"Example {e.Id ?? "?"}: {e.InputIds.Length} input ids but {e.Labels.Length} labels.");
            int n = maxLength > 0 ? Math.Min(maxLength, e.InputIds.Length) : e.InputIds.Length;
            rows.Add((e.InputIds[..n], e.Labels[..n]));
        }
        return Build(rows, padId);
    }

    /// <summary>Prompt + completion sequences where only completion tokens are targets (DPO/KTO, TRL's layout).</summary>
    public static TokenBatch FromCompletions(IReadOnlyList<(int[] Prompt, int[] Completion)> pairs, int maxLength, int padId)
    {
        var rows = new List<(int[] ids, int[] labels)>(pairs.Count);
        foreach (var (prompt0, completion0) in pairs)
        {
            var (prompt, completion) = Truncate(prompt0, completion0, maxLength);
            var ids = prompt.Concat(completion).ToArray();
            var labels = Enumerable.Repeat(LabelMask.Ignore, prompt.Length).Concat(completion).ToArray();
            rows.Add((ids, labels));
        }
        return Build(rows, padId);
    }

    /// <summary>
    /// Fit prompt + completion into maxLength: keep the end of an over-long prompt (at most half the budget
    /// when the completion needs the rest), then cut the completion's end.
    /// </summary>
    public static (int[] prompt, int[] completion) Truncate(int[] prompt, int[] completion, int maxLength)
    {
        if (maxLength <= 0 || prompt.Length + completion.Length <= maxLength) return (prompt, completion);
        int keepPrompt = Math.Min(prompt.Length, Math.Max(maxLength - completion.Length, maxLength / 2));
        var p = prompt[(prompt.Length - keepPrompt)..];
        var c = completion[..Math.Min(completion.Length, maxLength - keepPrompt)];
        return (p, c);
    }

    private static TokenBatch Build(List<(int[] ids, int[] labels)> rows, int padId)
    {
        if (rows.Count == 0) throw new ArgumentException("Empty batch.");
        int b = rows.Count, t = Math.Max(1, rows.Max(r => r.ids.Length));
        var ids = new long[b * t]; var mask = new long[b * t]; var targets = new long[b * t];
        var lengths = new int[b]; var counted = new int[b];
        Array.Fill(ids, padId); Array.Fill(targets, LabelMask.Ignore);
        for (int i = 0; i < b; i++)
        {
            var (rid, rlab) = rows[i];
            lengths[i] = rid.Length;
            for (int j = 0; j < rid.Length; j++) { ids[i * t + j] = rid[j]; mask[i * t + j] = 1; }
            for (int j = 0; j + 1 < rid.Length; j++)
            {
                int lab = rlab[j + 1];
                if (lab == LabelMask.Ignore) continue;
                if (lab < 0) throw new ArgumentException($"Label {lab} at position {j + 1} is negative and not {LabelMask.Ignore}.");
                targets[i * t + j] = lab; counted[i]++;
            }
        }
        return new TokenBatch
        {
            Ids = Tensor.FromArray(ids, b, t), KeyMask = Tensor.FromArray(mask, b, t), Targets = Tensor.FromArray(targets, b, t),
            Lengths = lengths, CountedTokens = counted,
        };
    }
}
