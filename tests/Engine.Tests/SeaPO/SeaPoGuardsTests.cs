using Engine.Methods.Synthesis.SeaPO;

namespace Engine.Tests.SeaPO;

public class SeaPoGuardsTests
{
    private const string Clean = "12 + 40 = 52\n52 + 6 = 58\nAnswer: 58";

    [Theory]
    [InlineData("12 + 40 = 52\n52 + 6 = 58\nAnswer: 58", "unchanged")]                          // nothing injected
    [InlineData("  12 + 40 = 52\n\n52 +  6 = 58\n ANSWER: 58 ", "unchanged")]                   // only whitespace and case differ
    [InlineData("### Revised Response:\n12 + 40 = 52\n52 + 6 = 58\nAnswer: 58", "unchanged")]  // the prompt heading echoed, then the original
    [InlineData("Answer: 5", "length_ratio")]                                                    // far too short: a fragment, not an edit
    [InlineData("12 + 40 = 52\n52 + 6 = 58\n52 + 6 = 58\n52 + 6 = 58\n52 + 6 = 58\n52 + 6 = 58\nAnswer: 58", "length_ratio")]
    [InlineData("12 + 40 = 52\n52 + 6 = 59 [inserted error]\nAnswer: 58", "meta_text")]
    [InlineData("This response contains an error.\n52 + 6 = 58\nAnswer: 57", "meta_text")]
    [InlineData("Here is the response with the error\n52 + 6 = 59\nAnswer: 59", "meta_text")]   // a preamble without the colon is not stripped, and is caught
    [InlineData("", "empty")]
    [InlineData("Here is the revised response:\n", "empty")]
    public void RefusesCraftedBadInjections(string output, string guard)
    {
        var v = SeaPoGuards.Check(Clean, output);
        Assert.False(v.Accepted);
        Assert.Equal(guard, v.Rejected!.Value.Name());
    }

    [Theory]
    [InlineData("12 + 40 = 52\n52 + 6 = 58\nAnswer: 57", "12 + 40 = 52\n52 + 6 = 58\nAnswer: 57")]                                      // wrong answer
    [InlineData("12 + 40 = 53\n52 + 6 = 58\nAnswer: 58", "12 + 40 = 53\n52 + 6 = 58\nAnswer: 58")]                                      // broken step
    [InlineData("Here is the revised response with the specified error:\n12 + 40 = 52\n52 + 6 = 58\nAnswer: 68", "12 + 40 = 52\n52 + 6 = 58\nAnswer: 68")]
    [InlineData("### Revised Response:\n\n12 + 40 = 52\n52 + 6 = 48\nAnswer: 48", "12 + 40 = 52\n52 + 6 = 48\nAnswer: 48")]
    [InlineData("Sure! Here it is:\nRewritten response:\n12 + 40 = 52\n52 + 6 = 58\nAnswer: 60", "12 + 40 = 52\n52 + 6 = 58\nAnswer: 60")]
    public void KeepsGoodInjectionsAndStripsPreambles(string output, string cleaned)
    {
        var v = SeaPoGuards.Check(Clean, output);
        Assert.True(v.Accepted, $"refused by {v.Rejected}");
        Assert.Equal(cleaned, v.Cleaned);
    }

    [Fact]
    public void LengthBoundsAreTheOptions()
    {
        // "Answer: 57" is 10 characters, the clean response 12 + 1 + 11 + 1 + 10 = 35.
        var fragment = "Answer: 57";
        Assert.Equal(10.0 / 35, SeaPoGuards.LengthRatio(Clean, fragment), 12);
        Assert.Equal(SeaPoGuard.LengthRatio, SeaPoGuards.Check(Clean, fragment, 0.5, 2.0).Rejected);
        Assert.True(SeaPoGuards.Check(Clean, fragment, 0.25, 2.0).Accepted);
    }

    [Fact]
    public void AFabricatedLineDoublesAShortResponse()
    {
        // The testbed's hallucination of a two-step sum adds a ~35-character claim to a 35-character response (here 72/35):
        // refused under the default bound 2.0, kept under a wider one (the experiment uses 3.0 for this reason).
        var injected = "12 + 40 = 52\n52 + 6 = 58\nA shortcut rule says 12 + 46 = 107.\nAnswer: 107";
        Assert.Equal(72.0 / 35, SeaPoGuards.LengthRatio(Clean, injected), 12);
        Assert.Equal(SeaPoGuard.LengthRatio, SeaPoGuards.Check(Clean, injected).Rejected);
        Assert.True(SeaPoGuards.Check(Clean, injected, 0.5, 3.0).Accepted);
    }

    [Fact]
    public void NormalizeCollapsesWhitespaceAndCaseOnly()
    {
        Assert.Equal("a b c", SeaPoGuards.Normalize("  A\n\tb   C "));
        Assert.NotEqual(SeaPoGuards.Normalize("Answer: 58"), SeaPoGuards.Normalize("Answer: 58."));
    }
}
