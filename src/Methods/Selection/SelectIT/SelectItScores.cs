namespace Engine.Methods.Selection.SelectIT;

/// <summary>How the K rating-token probabilities are normalised before scoring.</summary>
public enum RatingNormalization
{
    /// <summary>Paper Eq. 2: P'_k = P_k / Σ_j P_j (default; matches the paper's worked example).</summary>
    Paper,
    /// <summary>The released code: a further softmax over P' (flatter; same argmax).</summary>
    CodeCompat,
}

/// <summary>
/// The three SelectIT formulas (Liu et al., 2024), pure functions so they can be checked by hand:
/// token level (uncertainty-weighted rating), sentence level (mean over prompts penalised by their
/// spread) and model level (parameter-count weighted mix).
/// </summary>
public static class SelectItScores
{
    public static double[] Normalize(ReadOnlySpan<double> p, RatingNormalization mode)
    {
        double sum = 0;
        foreach (var v in p) sum += v;
        var q = new double[p.Length];
        for (int i = 0; i < p.Length; i++) q[i] = sum > 0 ? p[i] / sum : 1.0 / p.Length;
        if (mode == RatingNormalization.CodeCompat)
        {
            double z = 0;
            for (int i = 0; i < q.Length; i++) { q[i] = Math.Exp(q[i]); z += q[i]; }
            for (int i = 0; i < q.Length; i++) q[i] /= z;
        }
        return q;
    }

    /// <summary>
    /// S_base = argmax_k P'_k (1-based, ties to the smallest k); S_token = S_base · (1/(K−1)) · Σ_i |P'_i − P'_{S_base}|.
    /// </summary>
    public static (int sBase, double sToken) Token(ReadOnlySpan<double> ratingProbs, RatingNormalization mode = RatingNormalization.Paper)
    {
        int k = ratingProbs.Length;
        if (k < 2) throw new ArgumentException("SelectIT needs at least two rating levels.");
        var q = Normalize(ratingProbs, mode);
        int best = 0;
        for (int i = 1; i < k; i++) if (q[i] > q[best]) best = i;
        double spread = 0;
        for (int i = 0; i < k; i++) spread += Math.Abs(q[i] - q[best]);
        return (best + 1, (best + 1) * spread / (k - 1));
    }

    /// <summary>S_sent = mean(S_token) / (1 + α · std(S_token)), population std over the rating prompts.</summary>
    public static double Sentence(ReadOnlySpan<double> tokenScores, double alpha)
    {
        if (tokenScores.Length == 0) throw new ArgumentException("No token-level scores.");
        double mean = 0;
        foreach (var s in tokenScores) mean += s;
        mean /= tokenScores.Length;
        double var_ = 0;
        foreach (var s in tokenScores) var_ += (s - mean) * (s - mean);
        return mean / (1 + alpha * Math.Sqrt(var_ / tokenScores.Length));
    }

    /// <summary>S_model = Σ_m (θ_m / Σθ) · S_sent,m. θ are parameter counts or user weights (the paper's rule, not the released code's).</summary>
    public static double Model(ReadOnlySpan<double> sentenceScores, ReadOnlySpan<double> weights)
    {
        if (sentenceScores.Length != weights.Length) throw new ArgumentException("One weight per model.");
        double total = 0;
        foreach (var w in weights) { if (w < 0) throw new ArgumentException("Model weights must be non-negative."); total += w; }
        if (total <= 0) throw new ArgumentException("Model weights sum to zero.");
        double s = 0;
        for (int i = 0; i < weights.Length; i++) s += weights[i] / total * sentenceScores[i];
        return s;
    }

    /// <summary>
    /// Indices of the selected records in output order: sorted by (score, index) descending — ties go to the
    /// larger index, as the released code does — keeping the first <paramref name="count"/>.
    /// </summary>
    public static int[] Select(IReadOnlyList<double> scores, int count)
    {
        count = Math.Clamp(count, 0, scores.Count);
        return Enumerable.Range(0, scores.Count)
            .OrderByDescending(i => scores[i]).ThenByDescending(i => i)
            .Take(count).ToArray();
    }

    public static int CountForRatio(int n, double ratio) =>
        ratio is < 0 or > 1 ? throw new ArgumentOutOfRangeException(nameof(ratio), "ratio must be in [0, 1]") : (int)Math.Floor(n * ratio + 1e-9);
}
