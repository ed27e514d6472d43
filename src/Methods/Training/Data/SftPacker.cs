using Engine.Methods.Core.Data;
namespace Engine.Methods.Training.Data;

/// <summary>
/// Sequence packing for SFT: concatenates examples into rows of exactly <c>seqLength</c> tokens (the last row padded
/// with <c>padId</c>, label -100), so batches carry no padding to speak of.
/// <para><b>Labels.</b> Each example's first label is set to -100 so the previous example's last token is never
/// trained to predict it; every other label appears exactly once. An example split across rows repeats its last
/// token from the previous row as the first token of the next (label -100), so the label after the cut keeps its
/// preceding token and is still trained once.</para>
/// <para><b>Attention is not reset at example boundaries</b>: a row is one causal sequence, so an example's tokens
/// can attend to the examples before it in the row, and positions run on across them. The labels are uncontaminated
/// but the context is not isolated; use unpacked batches where that matters.</para>
/// <para>Examples with different <see cref="SftExample.Weight"/> or <see cref="SftExample.Group"/> never share a row.</para>
/// </summary>
public static class SftPacker
{
    /// <param name="splitAcrossRows">
    /// True: fill every row completely, cutting examples at row ends (classic "wrapped" packing).
    /// False (default): an example that fits in a row is never cut — it starts a new row when the current one lacks
    /// room; only examples longer than a row are cut.
    /// </param>
    public static IEnumerable<SftExample> Pack(IEnumerable<SftExample> examples, int seqLength, int padId, bool splitAcrossRows = false)
    {
        if (seqLength < 2) throw new ArgumentOutOfRangeException(nameof(seqLength), $"Packing needs rows of at least 2 tokens, got {seqLength}.");
        var ids = new List<int>(seqLength);
        var labels = new List<int>(seqLength);
        double weight = 1.0;
        string? group = null;
        long rowIndex = 0;

        SftExample Flush()
        {
            while (ids.Count < seqLength) { ids.Add(padId); labels.Add(LabelMask.Ignore); }
            var row = new SftExample([.. ids], [.. labels], weight, group, $"pack:{rowIndex++}");
            ids.Clear();
            labels.Clear();
            return row;
        }

        foreach (var ex in examples)
        {
            if (ex.InputIds.Length != ex.Labels.Length)
                throw new ArgumentException($"Example {ex.Id}: {ex.InputIds.Length} input ids but {ex.Labels.Length} labels.", nameof(examples));
            int n = ex.InputIds.Length;
            if (n == 0) continue;
            if (ids.Count > 0 && (ex.Weight != weight || ex.Group != group)) yield return Flush();
            if (ids.Count > 0 && !splitAcrossRows && n > seqLength - ids.Count && n <= seqLength) yield return Flush();
            weight = ex.Weight;
            group = ex.Group;

            int p = 0;
            bool first = true;
            while (p < n)
            {
                if (ids.Count == seqLength) yield return Flush();
                if (!first && ids.Count == 0)
                {
                    // Continuing a cut example: repeat its previous token so the next label keeps its input.
                    ids.Add(ex.InputIds[p - 1]);
                    labels.Add(LabelMask.Ignore);
                }
                int take = Math.Min(seqLength - ids.Count, n - p);
                for (int i = p; i < p + take; i++)
                {
                    ids.Add(ex.InputIds[i]);
                    labels.Add(i == 0 ? LabelMask.Ignore : ex.Labels[i]);
                }
                p += take;
                first = false;
            }
        }
        if (ids.Count > 0) yield return Flush();
    }
}
