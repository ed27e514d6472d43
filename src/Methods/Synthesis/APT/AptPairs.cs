using Engine.Models.Chat;
using Engine.Runtime;

namespace Engine.Methods.Synthesis.APT;

/// <summary>A case with its gold response: an evaluation record (bad case) or a retrieved pool item (similar case).</summary>
public sealed record AptCase(string? Id, IReadOnlyList<ChatMessage> Prompt, string Gold, bool Conversational);

/// <summary>One preference pair: <see cref="Kind"/> "bad" (gold over the model's own answer) or "similar" (gold over another item's gold).</summary>
public sealed record AptPair(string Kind, string? Id, IReadOnlyList<ChatMessage> Prompt, string Chosen, string Rejected, bool Conversational, string? RejectedFrom = null);

/// <summary>The pairs and what was dropped because chosen and rejected would have been the same text.</summary>
public sealed record AptPairSet(IReadOnlyList<AptPair> Pairs, int DroppedBad, int DroppedSimilar);

/// <summary>
/// APT's preference pairs, as a pure function. A bad case's pair prefers the gold response over the model's own
/// answer. A similar case j's pair prefers its gold response over the gold response of another similar case r
/// (the official code's negative: an off-topic but fluent answer), r drawn uniformly from the similar cases whose gold
/// differs from j's (after trimming and collapsing whitespace), with Philox word (seed, j), so the pairs are fixed by
/// the seed and the list. No pair has chosen = rejected: a bad case whose answer equals its gold (a judge can score a
/// right answer low) and a similar case whose gold every other one shares are dropped and counted; so is a bad case
/// whose answer is empty (no trainer takes an empty completion). The
/// list holds the similar pairs, then the bad-case pairs, as the official training file does (the trainer shuffles).
/// </summary>
public static class AptPairs
{
    public static AptPairSet Build(IReadOnlyList<(AptCase Case, string Response)> bad, IReadOnlyList<AptCase> similar, ulong seed)
    {
        var pairs = new List<AptPair>();
        int droppedSimilar = 0, droppedBad = 0;
        var keys = similar.Select(c => Normalize(c.Gold)).ToArray();
        // Indices of the similar cases sharing each normalised gold, ascending.
        var groups = Enumerable.Range(0, similar.Count).GroupBy(j => keys[j], StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.ToArray(), StringComparer.Ordinal);
        for (int j = 0; j < similar.Count; j++)
        {
            var same = groups[keys[j]];
            int candidates = similar.Count - same.Length;
            if (candidates == 0) { droppedSimilar++; continue; }
            int r = NthOutside(same, (int)(Philox.Word(seed, (ulong)j, 0) % (uint)candidates));
            var c = similar[j];
            pairs.Add(new AptPair("similar", c.Id, c.Prompt, c.Gold, similar[r].Gold, c.Conversational, similar[r].Id));
        }
        foreach (var (c, response) in bad)
        {
            var answer = Normalize(response);
            if (answer.Length == 0 || answer == Normalize(c.Gold)) { droppedBad++; continue; }
            pairs.Add(new AptPair("bad", c.Id, c.Prompt, c.Gold, response, c.Conversational));
        }
        return new AptPairSet(pairs, droppedBad, droppedSimilar);
    }

    /// <summary>Trimmed, whitespace runs collapsed: what "the same text" means for chosen and rejected.</summary>
    public static string Normalize(string text) => string.Join(' ', text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));

    /// <summary>The n-th (0-based) index in 0, 1, 2, ... that is not in <paramref name="excluded"/> (ascending).</summary>
    internal static int NthOutside(int[] excluded, int n)
    {
        int idx = n;
        foreach (var e in excluded)
        {
            if (e <= idx) idx++;
            else break;
        }
        return idx;
    }
}
