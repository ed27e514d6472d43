using Engine.Methods.Synthesis.AQuilt;

namespace Engine.Tests.AQuilt;

/// <summary>
/// ROUGE-L against values worked by hand from the reference definition (Lin, 2004; rouge-score's LCS-based F-measure):
/// P = LCS/|prediction|, R = LCS/|target|, F = 2PR/(P+R), tokens = lower-cased runs of [a-z0-9].
/// </summary>
public class RougeLTests
{
    [Theory]
    // Lin (2004), section 3.1: reference "police killed the gunman"; "police kill the gunman" shares police/the/gunman
    // (LCS 3 of 4 each: F = 3/4), "the gunman kill police" shares only "the gunman" (LCS 2: F = 1/2).
    [InlineData("police killed the gunman", "police kill the gunman", 0.75, 0.75, 0.75)]
    [InlineData("police killed the gunman", "the gunman kill police", 0.5, 0.5, 0.5)]
    // Unequal lengths: LCS(a b c d e, a c e) = 3; P = 3/3, R = 3/5, F = 2·1·0.6/1.6 = 0.75.
    [InlineData("a b c d e", "a c e", 1.0, 0.6, 0.75)]
    // Tokenisation: case and punctuation vanish; target [the cat the cat], prediction [the cat]: LCS 2, P 1, R 1/2, F 2/3.
    [InlineData("The CAT, the cat!", "the-cat", 1.0, 0.5, 2.0 / 3)]
    // "the cat sat on the mat" vs "the cat lay on a mat": LCS the·cat·on·mat = 4 of 6 each.
    [InlineData("the cat sat on the mat", "the cat lay on a mat", 4.0 / 6, 4.0 / 6, 4.0 / 6)]
    // Non-ASCII letters are separators in rouge-score ("café" → "caf").
    [InlineData("café", "caf", 1.0, 1.0, 1.0)]
    // Chinese by characters: 我爱北京天安门 (7) vs 我爱上海 (4): LCS 我爱 = 2, P 2/4, R 2/7, F 4/11.
    [InlineData("我爱北京天安门", "我爱上海", 0.5, 2.0 / 7, 4.0 / 11)]
    // No token on one side: 0.
    [InlineData("!!! ...", "a", 0.0, 0.0, 0.0)]
    [InlineData("the gunman", "", 0.0, 0.0, 0.0)]
    public void ScoresMatchHandWorkedValues(string target, string prediction, double p, double r, double f)
    {
        var s = RougeL.Score(target, prediction);
        Assert.Equal(p, s.Precision, 12);
        Assert.Equal(r, s.Recall, 12);
        Assert.Equal(f, s.F, 12);
    }

    [Fact]
    public void TokenizerFollowsRougeScoreRules()
    {
        Assert.Equal(new[] {"hello", "world", "42", "abc", "x1"}, RougeL.Tokenize("Hello, World! 42-abc\tX1"));
        Assert.Equal(new[] {"a", "中", "文", "b"}, RougeL.Tokenize("a中文b"));
        Assert.Empty(RougeL.Tokenize(" -- "));
    }

    [Fact]
    public void LcsOfKnownSequences()
    {
        // ABCBDAB / BDCABA: the textbook pair (CLRS), LCS length 4 (e.g. BCBA).
        Assert.Equal(4, RougeL.Lcs("ABCBDAB".ToCharArray(), "BDCABA".ToCharArray()));
        Assert.Equal(0, RougeL.Lcs("abc".ToCharArray(), "xyz".ToCharArray()));
        Assert.Equal(3, RougeL.Lcs("abc".ToCharArray(), "abc".ToCharArray()));
    }

    [Fact]
    public void TheIndexFindsExactlyWhatABruteForceScanFinds()
    {
        var rng = new Random(7);
        string[] words = ["what", "is", "the", "orbit", "tail", "of", "adok", "bemo", "calu", "comet", "a", "wide"];
        string Sentence() => string.Join(' ', Enumerable.Range(0, rng.Next(1, 9)).Select(_ => words[rng.Next(words.Length)]));
        var index = new RougeLIndex();
        var kept = new List<string>();
        int hits = 0;
        for (int i = 0; i < 300; i++)
        {
            var s = Sentence();
            var brute = kept.Select(k => RougeL.F1(k, s)).FirstOrDefault(f => f >= 0.7, -1);
            var found = index.FirstAtLeast(s, 0.7);
            Assert.Equal(brute >= 0, found is not null);
            if (found is { } f) Assert.Equal(brute, f, 12);
            if (found is null) { index.Add(s); kept.Add(s); }
            else hits++;
        }
        Assert.InRange(hits, 20, 290);   // both branches were exercised
        Assert.Equal(kept.Count, index.Count);
    }
}
