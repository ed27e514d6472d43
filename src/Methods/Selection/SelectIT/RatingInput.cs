using Engine.Models.Tokenizers;

namespace Engine.Methods.Selection.SelectIT;

/// <summary>
/// The token ids of one rating input (<see cref="RatingPrompts.Build"/>) within a token budget. One that is too long
/// keeps what the rating needs: BOS, the rating prompt, the head of the instruction, the head and tail of the response
/// and the fixed suffix ("The answer is: ") after which the rating token is read. The response loses its middle
/// first; only when the instruction alone leaves the response less than half the room is the instruction's tail cut
/// too. Cuts are marked with " … ".
/// </summary>
public static class RatingInput
{
    private const string Cut = " … ";

    public static (int[] Ids, bool Truncated) Encode(ITokenizer tokenizer, string prompt, InstructionPair pair, int maxTokens)
    {
        int[] Full(string instruction, string response) => tokenizer.Encode(RatingPrompts.Build(prompt, instruction, response), addSpecialTokens: true);
        var ids = Full(pair.Instruction, pair.Response);
        if (ids.Length <= maxTokens) return (ids, false);

        int fixedLength = Full(Cut, Cut).Length;
        if (fixedLength > maxTokens)
            throw new InvalidOperationException($"--max-tokens {maxTokens} is too small for SelectIT's rating input: the rating prompt and its fixed parts alone are {fixedLength} tokens.");
        int room = maxTokens - fixedLength;
        int instructionTokens = Count(tokenizer, pair.Instruction), responseTokens = Count(tokenizer, pair.Response);
        // The response keeps what it needs if the instruction leaves it that, else at least half the room.
        int responseShare = Math.Min(responseTokens, Math.Max(room / 2, room - instructionTokens));
        int instructionShare = room - responseShare;
        while (true)
        {
            var instruction = instructionTokens <= instructionShare ? pair.Instruction : KeepHead(tokenizer, pair.Instruction, instructionShare) + Cut;
            var response = responseTokens <= responseShare ? pair.Response : KeepEnds(tokenizer, pair.Response, responseShare);
            ids = Full(instruction, response);
            if (ids.Length <= maxTokens) return (ids, true);
            // Pieces tokenised apart can merge differently in place: shrink by the overflow and try again.
            int over = ids.Length - maxTokens;
            int fromResponse = Math.Min(responseShare, (over + 1) / 2);
            responseShare -= fromResponse;
            instructionShare = Math.Max(0, instructionShare - (over - fromResponse));
            if (responseShare == 0 && instructionShare == 0) return (Full(Cut, Cut), true);
        }
    }

    private static int Count(ITokenizer tokenizer, string text) => text.Length == 0 ? 0 : tokenizer.Encode(text).Length;

    /// <summary>The longest prefix (whole characters) that encodes to at most <paramref name="tokens"/> tokens.</summary>
    private static string KeepHead(ITokenizer tokenizer, string text, int tokens)
    {
        int lo = 0, hi = text.Length;
        while (lo < hi)
        {
            int mid = (lo + hi + 1) / 2;
            if (Count(tokenizer, Prefix(text, mid)) <= tokens) lo = mid; else hi = mid - 1;
        }
        return Prefix(text, lo);
    }

    /// <summary>Head and tail (equal characters each, joined by the cut mark) encoding to at most <paramref name="tokens"/> tokens.</summary>
    private static string KeepEnds(ITokenizer tokenizer, string text, int tokens)
    {
        string Ends(int k) => Prefix(text, k) + Cut + Suffix(text, k);
        int lo = 0, hi = text.Length / 2;
        while (lo < hi)
        {
            int mid = (lo + hi + 1) / 2;
            if (Count(tokenizer, Ends(mid)) <= tokens) lo = mid; else hi = mid - 1;
        }
        return lo == 0 ? Cut.Trim() : Ends(lo);
    }

    // Never split a surrogate pair.
    private static string Prefix(string s, int n) => n > 0 && n < s.Length && char.IsHighSurrogate(s[n - 1]) ? s[..(n - 1)] : s[..n];
    private static string Suffix(string s, int n) => n > 0 && n < s.Length && char.IsLowSurrogate(s[^n]) ? s[^(n - 1)..] : s[^n..];
}
