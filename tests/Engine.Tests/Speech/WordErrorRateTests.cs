using Engine.Methods.Evaluation.Experiments;
using Engine.Methods.Evaluation.Speech;

namespace Engine.Tests.Speech;

/// <summary>WER as ASR papers count it, on cases worked out by hand, and the experiment's "transcribed instead of answering" rule.</summary>
public class WordErrorRateTests
{
    [Theory]
    [InlineData("the cat sat", "the cat sat", 0, 3)]
    [InlineData("the cat sat", "the bat sat", 1, 3)]                 // one substitution
    [InlineData("the cat sat", "the sat", 1, 3)]                     // one deletion
    [InlineData("the cat sat", "the cat sat down", 1, 3)]            // one insertion
    [InlineData("a b c d", "b c d e", 2, 4)]                         // deletion + insertion beats four substitutions
    [InlineData("3, 7, 1", "3 7 1.", 0, 3)]                          // punctuation is not a word
    [InlineData("Don't STOP", "don't stop", 0, 2)]                   // case folded, apostrophes kept
    [InlineData("one two", "", 2, 2)]
    public void CountsEditsOnWords(string reference, string hypothesis, int errors, int words) =>
        Assert.Equal(new WordErrors(errors, words), WordErrorRate.Of(reference, hypothesis));

    [Fact]
    public void TheCorpusRateSumsErrorsAndWords()
    {
        WordErrors[] items = [new(1, 2), new(0, 8)];
        Assert.Equal(0.1, WordErrorRate.Corpus(items), 12);                 // not the mean of 0.5 and 0
        var (lo, hi) = WordErrorRate.Interval(items, 500);
        Assert.InRange(lo, 0, 0.1);
        Assert.InRange(hi, 0.1, 0.5);
        Assert.True(double.IsNaN(WordErrorRate.Corpus([])));
    }

    [Fact]
    public void AnEchoIsATranscriptWithoutAnAnswerLine()
    {
        Assert.True(SelfPoweredTestbedExperiment.IsEcho("3, 7, 1, 5", "3, 7, 1, 5"));
        Assert.True(SelfPoweredTestbedExperiment.IsEcho("3, 7, 2, 5", "3, 7, 1, 5"));     // one word in four wrong
        Assert.False(SelfPoweredTestbedExperiment.IsEcho("Answer: 7", "3, 7, 1, 5"));
        Assert.False(SelfPoweredTestbedExperiment.IsEcho("3, 7\nAnswer: 7", "3, 7, 1, 5"));
        Assert.False(SelfPoweredTestbedExperiment.IsEcho("9 9 9 9", "3, 7, 1, 5"));
    }
}
