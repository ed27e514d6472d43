using Engine.Methods.Synthesis.LongMT;

namespace Engine.Tests.LongMT;

/// <summary>
/// chrF and chrF++ against values worked out by hand from sacreBLEU 2.x's definition: per order [hyp, ref, match]
/// counts (hypothesis n-grams not counted for an order the reference lacks), precision and recall averaged over the
/// orders where both sides have n-grams, F_β with β = 2, ×100; whitespace removed for character n-grams; chrF++ adds
/// word uni- and bigrams with one edge punctuation mark split off.
/// </summary>
public class ChrFTests
{
    private static double F2(double p, double r) => 100 * 5 * p * r / (4 * p + r);

    [Fact]
    public void PartialMatchEqualsTheHandComputation()
    {
        // hyp "abcd", ref "abd":
        //  1-grams: hyp a,b,c,d (4) ref a,b,d (3) match 3 → P 3/4 R 1
        //  2-grams: hyp ab,bc,cd (3) ref ab,bd (2) match 1 → P 1/3 R 1/2
        //  3-grams: hyp abc,bcd (2) ref abd (1) match 0 → P 0 R 0
        //  4-grams: the reference has none, so the hypothesis' one is not counted: not an effective order.
        double p = (3.0 / 4 + 1.0 / 3 + 0) / 3, r = (1 + 0.5 + 0) / 3;
        Assert.Equal(F2(p, r), ChrF.Sentence("abcd", "abd"), 10);
        Assert.Equal(100.0 * 13 / 28, ChrF.Sentence("abcd", "abd"), 10); // the same, as a fraction
        var stats = ChrF.Statistics("abcd", "abd");
        Assert.Equal([4L, 3, 3, 3, 2, 1, 2, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], stats);
    }

    [Fact]
    public void WhitespaceIsIgnoredByChrFButNotByTheWordNgramsOfChrFpp()
    {
        // Characters: "abc" both sides, orders 1–3 perfect, 4–6 empty on both sides.
        Assert.Equal(100, ChrF.Sentence("ab c", "abc"), 10);
        Assert.Equal(100, ChrF.Sentence("a\tb\nc", "abc"), 10);
        // chrF++ adds word 1-grams: hyp {ab, c} vs ref {abc}: P 0, R 0 (effective); word 2-grams: the reference has none.
        // P = R = (1 + 1 + 1 + 0) / 4 = 3/4 → F = 3/4.
        Assert.Equal(75, ChrF.Sentence("ab c", "abc", ChrF.WordOrderPlusPlus), 10);
    }

    [Fact]
    public void ChrFppWordsSplitOneEdgePunctuationMark()
    {
        Assert.Equal(["Hello", ",", "world", "!", "(hi", ")", "'", "x"], ChrF.Words("Hello, world! (hi) ' x"));
        Assert.Equal(["(", "a"], ChrF.Words("(a"));
        // "a." vs "a": characters {a,.} vs {a}: 1-grams P 1/2 R 1; 2-grams: reference has none. Words: hyp {a, .} ref {a}:
        // 1-grams P 1/2 R 1; 2-grams hyp {"a ."}, reference none. So P = 1/2, R = 1 over two effective orders.
        Assert.Equal(F2(0.5, 1), ChrF.Sentence("a.", "a", ChrF.WordOrderPlusPlus), 10);
    }

    [Fact]
    public void CorpusSumsStatisticsBeforeScoring()
    {
        // Segment 1 as above; segment 2 "ab c" vs "abc" (characters abc = abc).
        // Summed: 1-grams (4+3, 3+3, 3+3) = (7, 6, 6); 2-grams (3+2, 2+2, 1+2) = (5, 4, 3); 3-grams (2+1, 1+1, 0+1) = (3, 2, 1).
        double p = (6.0 / 7 + 3.0 / 5 + 1.0 / 3) / 3, r = (6.0 / 6 + 3.0 / 4 + 1.0 / 2) / 3;
        double corpus = ChrF.Corpus(["abcd", "ab c"], ["abd", "abc"]);
        Assert.Equal(F2(p, r), corpus, 10);
        Assert.Equal(100.0 * 2820 / 3953, corpus, 10);
        // Not the mean of the sentence scores.
        Assert.NotEqual((ChrF.Sentence("abcd", "abd") + ChrF.Sentence("ab c", "abc")) / 2, corpus, 3);
    }

    [Fact]
    public void CharactersAreCodePointsAsInPython()
    {
        // "😀" (one code point, two UTF-16 units) vs "😀😀": 1-grams (1, 2, 1) → P 1, R 1/2; the hypothesis has no
        // 2-grams, so order 2 is not effective. F = 5·1·½ / (4·1 + ½) = 5/9. Counting UTF-16 units would give 47.2.
        Assert.Equal(500.0 / 9, ChrF.Sentence("😀", "😀😀"), 10);
    }

    [Fact]
    public void EmptySidesScoreZero()
    {
        Assert.Equal(0, ChrF.Sentence("", "abc"));
        Assert.Equal(0, ChrF.Sentence("abc", ""));
        Assert.Equal(0, ChrF.Sentence("", ""));
        Assert.Equal(0, ChrF.Sentence("xyz", "abc"));
        Assert.Throws<ArgumentException>(() => ChrF.Corpus(["a"], ["a", "b"]));
    }
}
