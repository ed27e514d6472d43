namespace Engine.Methods.Synthesis.LongMT;

/// <summary>A page: source lines [First, First + Count) of the document.</summary>
public sealed record Page(int Index, int First, int Count)
{
    public IReadOnlyList<string> Of(IReadOnlyList<string> lines) => lines.Skip(First).Take(Count).ToList();
}

/// <summary>
/// Pages of consecutive sentences, filled greedily up to a token budget and a sentence count (Loong uses fixed
/// 10-sentence pages; a token budget keeps pages of long sentences inside a small context). A sentence alone over the
/// budget gets a page of its own; the translator deals with it (<see cref="PageTranslator"/>).
/// </summary>
public static class PageSplitter
{
    public static List<Page> Split(IReadOnlyList<string> lines, Func<string, int> countTokens, int pageTokens, int maxSentences)
    {
        if (pageTokens < 1) throw new ArgumentOutOfRangeException(nameof(pageTokens), "pageTokens must be ≥ 1.");
        if (maxSentences < 1) throw new ArgumentOutOfRangeException(nameof(maxSentences), "maxSentences must be ≥ 1.");
        var pages = new List<Page>();
        int first = 0, count = 0, tokens = 0;
        for (int i = 0; i < lines.Count; i++)
        {
            int t = countTokens(lines[i]);
            if (count > 0 && (tokens + t > pageTokens || count == maxSentences))
            {
                pages.Add(new Page(pages.Count, first, count));
                first = i; count = 0; tokens = 0;
            }
            count++;
            tokens += t;
        }
        if (count > 0) pages.Add(new Page(pages.Count, first, count));
        return pages;
    }
}
