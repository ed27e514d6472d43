using Engine.Methods.Selection.CDT;

namespace Engine.Tests.Cdt;

/// <summary>The tolerant extractor on the answers small and unaligned taggers actually give.</summary>
public class CdtAnswerParserTests
{
    private static CdtParsedAnswer Parse(CdtDimension d, string answer) => CdtAnswerParser.Parse(answer, CdtLabelSet.Default[d]);

    [Theory]
    [InlineData("{\"domain\": \"Physics\"}", "Physics")]                                       // the asked-for format
    [InlineData("{'domain': 'physics'}", "Physics")]                                           // Python quotes, wrong case
    [InlineData("Sure! Here is my answer: {\"domain\": \"Earth Science\"} Hope this helps.", "Earth Science")]   // extra words around it
    [InlineData("The subdomain is \"Computer Science\".", "Computer Science")]                  // label in quotes, no key
    [InlineData("“History”", "History")]                                                      // typographic quotes
    [InlineData("domain: mathematics", "Mathematics")]                                        // bare key and value
    [InlineData("{\"domain\": \"Natural Science: Astronomy\"}", "Astronomy")]                  // main domain prefixed to the subdomain
    [InlineData("  LOGIC  ", "Logic")]
    public void DomainAnswersAreReadToTheCanonicalLabel(string answer, string expected)
    {
        var p = Parse(CdtDimension.Domain, answer);
        Assert.Equal([expected], p.Labels);
        Assert.Empty(p.Unknown);
    }

    [Theory]
    [InlineData("{\"task\": \"closed book qa\"}", "Closed Book QA")]
    [InlineData("**Task:** Multiple Choice QA", "Multiple Choice QA")]
    [InlineData("I would call this natural language inference, since it asks whether one claim follows.", "Natural Language Inference")]
    [InlineData("{\"task_type\": \"Extractive QA\"}", "Extractive QA")]
    public void TaskAnswersAreReadToTheCanonicalLabel(string answer, string expected) =>
        Assert.Equal([expected], Parse(CdtDimension.Task, answer).Labels);

    [Fact]
    public void CognitionKeepsTheOrderOfImportanceAndAtMostTwo()
    {
        var p = Parse(CdtDimension.Cognition, "[{'skill': 'RQ', 'explanation': 'a maths problem'}, {'skill': 'nm', 'explanation': 'adding numbers'}]");
        Assert.Equal(["RQ", "NM"], p.Labels);
        Assert.True(p.Keyed);
        var three = Parse(CdtDimension.Cognition, "[{\"skill\": \"PR\"}, {\"skill\": \"CA\"}, {\"skill\": \"HP\"}]");
        Assert.Equal(["PR", "CA"], three.Labels);
        Assert.Equal(1, three.Dropped);
    }

    [Fact]
    public void TwoLetterCodesInProseCountOnlyInUpperCase()
    {
        // "pr", "na", "fe", "ca" are words or fragments here, not skills.
        Assert.False(Parse(CdtDimension.Cognition, "I'd say na, it needs no pr or fe skills; ca. one step").HasLabel);
        Assert.Equal(["RG", "LA"], Parse(CdtDimension.Cognition, "Mainly RG (rules), then LA.").Labels);
    }

    [Theory]
    [InlineData("")]
    [InlineData("I am not sure which subdomain this is.")]
    [InlineData("{\"answer\": 42}")]
    [InlineData("<|im_end|><|im_end|>")]
    public void AnAnswerWithoutALabelGivesNone(string answer)
    {
        var p = Parse(CdtDimension.Domain, answer);
        Assert.False(p.HasLabel);
        Assert.Empty(p.Labels);
    }

    [Fact]
    public void ValuesOutsideTheLabelSetAreReportedNotUsed()
    {
        var p = Parse(CdtDimension.Domain, "{\"domain\": \"Quantum Gastronomy\"}");
        Assert.False(p.HasLabel);
        Assert.Equal(["Quantum Gastronomy"], p.Unknown);
        var mixed = Parse(CdtDimension.Cognition, "[{\"skill\": \"XX\"}, {\"skill\": \"RD\"}]");
        Assert.Equal(["RD"], mixed.Labels);
        Assert.Equal(["XX"], mixed.Unknown);
    }
}
