namespace Engine.Methods.Synthesis.AQuilt;

/// <summary>A passage as given to the model: cut to fit when needed, with its original length.</summary>
public readonly record struct FittedPassage(string Text, bool Truncated, int OriginalChars);

/// <summary>
/// Passages too long for the model: cut at the end (never inside a surrogate pair) to at most a number of characters,
/// then — for a model whose context is known — to the longest head whose whole prompt leaves room for the new tokens.
/// The cut is reported (the output says "truncated"), never an error; only a prompt that does not fit even with an
/// empty passage is, and that is checked once, before any record (<see cref="RequireRoom"/>).
/// </summary>
public static class PassageFit
{
    public static FittedPassage Fit(string passage, Func<string, string> render, ICompleter completer, int maxNewTokens, int maxChars)
    {
        int original = passage.Length;
        var text = maxChars > 0 && passage.Length > maxChars ? Head(passage, maxChars) : passage;
        if (completer.Context is { } context)
        {
            int budget = context - maxNewTokens;
            if (completer.CountTokens(render(text)) > budget)
            {
                // Longest head that fits: tokens grow with characters, so binary search over the length.
                int lo = 0, hi = text.Length - 1;
                while (lo < hi)
                {
                    int mid = (lo + hi + 1) / 2;
                    if (completer.CountTokens(render(Head(text, mid))) <= budget) lo = mid; else hi = mid - 1;
                }
                text = Head(text, lo);
            }
        }
        return new FittedPassage(text, text.Length < original, original);
    }

    /// <summary>Fails before any work when a prompt cannot fit the context even with an empty passage.</summary>
    public static void RequireRoom(Func<string, string> render, ICompleter completer, int maxNewTokens, string what)
    {
        if (completer.Context is not { } context) return;
        int empty = completer.CountTokens(render(""));
        if (empty + maxNewTokens > context)
            throw new ArgumentException($"AQuilt: the {what} prompt is {empty} tokens without any passage; with --max-new-tokens {maxNewTokens} " +
                $"that exceeds the model's context of {context}. Lower --max-new-tokens or use a model with a longer context.");
    }

    private static string Head(string s, int n)
    {
        if (n <= 0) return "";
        if (n < s.Length && char.IsHighSurrogate(s[n - 1])) n--;
        return s[..n];
    }
}
