using Engine.Methods.Synthesis.AQuilt;

namespace Engine.Tests.AQuilt;

/// <summary>Reading a model's JSON: lenient about the wrapping (fences, text around, missing braces), strict about the keys and values.</summary>
public class AQuiltJsonTests
{
    private static QaPair Ok(string text, string forced = "")
    {
        var r = AQuiltJson.ParseQa(text, forced);
        Assert.True(r.Ok, r.Error);
        return r.Value!;
    }

    private static string Fails(string text, string forced = "")
    {
        var r = AQuiltJson.ParseQa(text, forced);
        Assert.False(r.Ok, $"'{text}' parsed as {r.Value}");
        return r.Error!;
    }

    [Fact]
    public void AFencedObjectWithTextAroundIt()
    {
        var qa = Ok("Sure, here it is:\n```json\n{\"question\": \"What is the tail of Adok?\", \"thinking_steps\": \"The passage says so.\", \"answer\": \"long\"}\n```\nHope this helps {not json}.");
        Assert.Equal(new QaPair("What is the tail of Adok?", "The passage says so.", "long"), qa);
    }

    [Fact]
    public void TrailingTextAfterTheObjectIsIgnoredAndBracesInStringsDoNotCount()
    {
        var qa = Ok("{\"question\": \"Is {x} a set?\", \"thinking_steps\": \"A \\\"quoted\\\" } brace\", \"answer\": \"yes\"} and then the model rambled on } {");
        Assert.Equal("Is {x} a set?", qa.Question);
        Assert.Equal("A \"quoted\" } brace", qa.ThinkingSteps);
    }

    [Fact]
    public void AMissingClosingBraceIsRepaired()
    {
        Assert.Equal("yes", Ok("```json\n{\"question\": \"Q?\", \"thinking_steps\": \"T\", \"answer\": \"yes\"").Answer);
        // Cut off inside the last string (max_new_tokens ran out): the string and the object are closed.
        Assert.Equal("the ans", Ok("{\"question\": \"Q?\", \"thinking_steps\": \"T\", \"answer\": \"the ans").Answer);
        // A dangling comma before the cut.
        Assert.Equal("a", Ok("{\"question\": \"Q?\", \"thinking_steps\": \"T\", \"answer\": \"a\",").Answer);
    }

    [Fact]
    public void AMissingOpeningBraceIsRepaired()
    {
        var qa = Ok("\"question\": \"Q?\", \"thinking_steps\": \"T\", \"answer\": \"A\"}");
        Assert.Equal(new QaPair("Q?", "T", "A"), qa);
    }

    [Fact]
    public void PrefixForcingPutsTheForcedOpeningBack()
    {
        var forced = AQuiltPrompts.ForcedOpening("What is the ", forceJson: false);
        Assert.Equal("```json\n{\"question\": \"What is the ", forced);
        var qa = Ok("orbit of Bemo?\", \"thinking_steps\": \"T\", \"answer\": \"wide\"}\n```", forced);
        Assert.Equal("What is the orbit of Bemo?", qa.Question);
        // A chat teacher that restarted the JSON itself is read without the forced part.
        Assert.Equal("Q2?", Ok("```json\n{\"question\": \"Q2?\", \"thinking_steps\": \"T\", \"answer\": \"A\"}\n```", forced).Question);
    }

    [Fact]
    public void KeysDifferingInCaseOrSeparatorAreAccepted()
    {
        var qa = Ok("{\"Question\": \"Q?\", \"thinking steps\": \"T\", \"ANSWER\": \"A\"}");
        Assert.Equal(new QaPair("Q?", "T", "A"), qa);
        // A number is taken as its text.
        Assert.Equal("42", Ok("{\"question\": \"Q?\", \"thinking_steps\": \"T\", \"answer\": 42}").Answer);
    }

    [Fact]
    public void WrongOrMissingKeysAreRefusedNamingWhatIsThere()
    {
        var e = Fails("{\"query\": \"Q?\", \"reasoning\": \"T\", \"answer\": \"A\"}");
        Assert.Contains("missing key 'question'", e);
        Assert.Contains("'query', 'reasoning', 'answer'", e);
        Assert.Contains("missing key 'thinking_steps'", Fails("{\"question\": \"Q?\", \"answer\": \"A\"}"));
        Assert.Contains("'answer' must be a string, got an array", Fails("{\"question\": \"Q?\", \"thinking_steps\": \"T\", \"answer\": [\"A\"]}"));
        Assert.Contains("'answer' is null", Fails("{\"question\": \"Q?\", \"thinking_steps\": \"T\", \"answer\": null}"));
        Assert.Contains("the question is empty", Fails("{\"question\": \"  \", \"thinking_steps\": \"T\", \"answer\": \"A\"}"));
    }

    [Fact]
    public void TextWithoutAnObjectOrWithBrokenJsonIsRefused()
    {
        Assert.Contains("no JSON object", Fails("I cannot write a question about this text."));
        Assert.Contains("empty", Fails("``` ```"));
        Assert.Contains("does not parse", Fails("{\"question\": \"Q?\" \"thinking_steps\": \"T\", \"answer\": \"A\"}"));
        Assert.Contains("no JSON object", Fails("[1, 2]"));
        // A repeated key (a tiny synthesiser wrote two answers) is a refusal with its reason, never an exception.
        Assert.Contains("repeats a key", Fails("{\"question\": \"Q?\", \"thinking_steps\": \"T\", \"answer\": \"a\", \"answer\": \"b\"}"));
        Assert.Contains("repeats a key", AQuiltJson.ParseInspection("{\"analysis_steps\": \"x\", \"score\": 3, \"score\": 4}").Error);
    }

    [Fact]
    public void InspectionScoresAsNumbersOrStringsAndNothingElse()
    {
        Assert.Equal(new Inspection("fine", 4), AQuiltJson.ParseInspection("```json\n{\"analysis_steps\": \"fine\", \"score\": \"4\"}\n```").Value);
        Assert.Equal(new Inspection("fine", 2), AQuiltJson.ParseInspection("{\"analysis_steps\": \"fine\", \"score\": 2.0} trailing").Value);
        Assert.Equal(7, AQuiltJson.ParseInspection("{\"analysis_steps\": \"x\", \"score\": 7}").Value!.Score);
        Assert.Contains("not an integer", AQuiltJson.ParseInspection("{\"analysis_steps\": \"x\", \"score\": \"four\"}").Error);
        Assert.Contains("not an integer", AQuiltJson.ParseInspection("{\"analysis_steps\": \"x\", \"score\": 3.5}").Error);
        Assert.Contains("missing key 'score'", AQuiltJson.ParseInspection("{\"analysis_steps\": \"x\", \"rating\": 3}").Error);
    }

    [Fact]
    public void WritingMatchesPythonJsonDumpsAndReadsBack()
    {
        var qa = new QaPair("Quel \"est\" le 首都?", "line1\nline2\t\\", "A\u0001");
        // json.dumps({...}, ensure_ascii=False) for these strings, written out by hand.
        Assert.Equal("{\"question\": \"Quel \\\"est\\\" le 首都?\", \"thinking_steps\": \"line1\\nline2\\t\\\\\", \"answer\": \"A\\u0001\"}", AQuiltJson.Format(qa));
        Assert.Equal(qa, Ok(AQuiltJson.Format(qa)));
        Assert.Equal("{\"analysis_steps\": \"ok\", \"score\": 5}", AQuiltJson.Format(new Inspection("ok", 5)));
    }
}
