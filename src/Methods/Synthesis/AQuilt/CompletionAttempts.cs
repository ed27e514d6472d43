namespace Engine.Methods.Synthesis.AQuilt;

/// <summary>One output unit's result after its attempts: the parsed value, or the last reason and raw text.</summary>
public sealed record AttemptResult<T>(T? Value, int Attempts, string? Error, string Raw) where T : class;

/// <summary>
/// Sampling with a bounded retry: every unit is completed; those whose text does not parse are sampled again, up to
/// the maximum. Attempt a of unit u draws from row u·maxAttempts + a, so a retry is a fresh sample and every unit's
/// result depends only on itself (its prompt and its unit number), never on which other units failed.
/// </summary>
public static class CompletionAttempts
{
    /// <summary>Row numbers live in the top 40 bits of a Philox counter (the low 24 count decode steps).</summary>
    public const ulong MaxRow = (1UL << 40) - 1;

    public static AttemptResult<T>[] Run<T>(ICompleter completer, IReadOnlyList<string> prompts, IReadOnlyList<ulong> units, int maxAttempts,
        CompletionSettings settings, Func<string, Parsed<T>> parse, Action<int, int, long>? done = null) where T : class
    {
        var results = new AttemptResult<T>?[prompts.Count];
        var pending = Enumerable.Range(0, prompts.Count).ToList();
        for (int attempt = 0; attempt < maxAttempts && pending.Count > 0; attempt++)
        {
            int a = attempt;
            var requests = pending.Select(u =>
            {
                if (units[u] > (MaxRow - (ulong)a) / (ulong)maxAttempts)
                    throw new InvalidOperationException($"AQuilt: unit {units[u]} with {maxAttempts} attempts exceeds the {MaxRow} random streams.");
                return new CompletionRequest(prompts[u], units[u] * (ulong)maxAttempts + (ulong)a);
            }).ToList();
            var texts = completer.Complete(requests, settings, (n, tokens) => done?.Invoke(a, n, tokens));
            var failed = new List<int>();
            for (int j = 0; j < pending.Count; j++)
            {
                int u = pending[j];
                var parsed = parse(texts[j]);
                results[u] = new AttemptResult<T>(parsed.Value, attempt + 1, parsed.Error, texts[j]);
                if (!parsed.Ok) failed.Add(u);
            }
            pending = failed;
        }
        return results.Select(r => r!).ToArray();
    }
}
