namespace Engine.Models.Generation;

/// <summary>The k most likely tokens of a logits row with their log-probabilities (log softmax in double).</summary>
public static class TopLogProbs
{
    /// <summary>Ordered by probability, ties by lower id (the order greedy decoding uses).</summary>
    public static (int TokenId, double LogProb)[] Of(ReadOnlySpan<float> logits, int k)
    {
        k = Math.Min(k, logits.Length);
        if (k <= 0) return [];
        double max = double.NegativeInfinity;
        foreach (var l in logits) max = Math.Max(max, l);
        double sum = 0;
        foreach (var l in logits) sum += Math.Exp(l - max);
        double lse = max + Math.Log(sum);
        // A bounded insertion list: k is small (OpenAI allows 20), the vocabulary is large.
        var best = new List<int>(k + 1);
        for (int i = 0; i < logits.Length; i++)
        {
            if (best.Count == k && !(logits[i] > logits[best[^1]])) continue;
            int at = best.Count;
            while (at > 0 && logits[i] > logits[best[at - 1]]) at--;
            best.Insert(at, i);
            if (best.Count > k) best.RemoveAt(k);
        }
        var result = new (int, double)[best.Count];
        for (int j = 0; j < best.Count; j++) result[j] = (best[j], logits[best[j]] - lse);
        return result;
    }
}
