using Engine.Methods.Speech.SelfPowered;

namespace Engine.Tests.Speech;

/// <summary>The method's small rules, checked by hand, and its data files against the wording of the released code.</summary>
public class SelfPoweredRulesTests
{
    [Fact]
    public void TheDrawIsAFunctionOfSeedAndIndexAndSharesCategoriesEqually()
    {
        int[] templates = [5, 5, 5, 5, 5, 5, 5];
        Assert.Equal(SelfPoweredRules.Draw(3, 41, templates), SelfPoweredRules.Draw(3, 41, templates));
        var counts = new int[7, 5];
        const int n = 35_000;
        for (long i = 0; i < n; i++) { var (c, j) = SelfPoweredRules.Draw(3, i, templates); counts[c, j]++; }
        // Each of the 35 cells expects 1000; a χ² with 34 degrees of freedom above 65 has p < 0.001.
        double chi2 = 0;
        foreach (var c in counts) chi2 += (c - 1000.0) * (c - 1000.0) / 1000.0;
        Assert.True(chi2 < 65, $"χ² = {chi2:F1}: the draw is not uniform");
        // Another seed draws other instructions for the same records.
        int same = 0;
        for (long i = 0; i < 200; i++) if (SelfPoweredRules.Draw(3, i, templates) == SelfPoweredRules.Draw(4, i, templates)) same++;
        Assert.InRange(same, 0, 30);   // 1/35 expected by chance
        // A category with fewer templates never gets an out-of-range template.
        for (long i = 0; i < 500; i++) { var (c, j) = SelfPoweredRules.Draw(9, i, [1, 3]); Assert.InRange(j, 0, c == 0 ? 0 : 2); }
    }

    [Fact]
    public void FillingIsOnePassAndNeedsItsValues()
    {
        Assert.Equal("Sort them: {instruction} and {speech}", SelfPoweredRules.Fill("{instruction}: {transcript}", "Sort them", "{instruction} and {speech}"));
        Assert.Throws<ArgumentException>(() => SelfPoweredRules.Fill("{instruction}: {transcript}", "x"));
        Assert.Equal(("ab", "cd"), SelfPoweredRules.SplitAtSpeech("ab<S>cd", "<S>"));
        Assert.Throws<ArgumentException>(() => SelfPoweredRules.SplitAtSpeech("ab<S>c<S>d", "<S>"));
        Assert.Throws<ArgumentException>(() => SelfPoweredRules.SplitAtSpeech("abcd", "<S>"));
    }

    [Theory]
    [InlineData("The answer is here.", true)]
    [InlineData("Is it?  \n", true)]                     // trailing whitespace is ignored
    [InlineData("a list: 1, 2, 3", false)]
    [InlineData("他说：“好”", true)]                      // wide punctuation
    [InlineData("这是一个故事。", true)]
    [InlineData("Answer: 7", false)]
    [InlineData("x~", true)]                              // every ASCII punctuation character of Python's string.punctuation
    [InlineData("x$", true)]
    [InlineData("", false)]
    public void ThePunctuationFilterIsTheReleasedRule(string text, bool kept) => Assert.Equal(kept, SelfPoweredRules.EndsWithPunctuation(text));

    [Fact]
    public void FiltersAndLimits()
    {
        Assert.True(SelfPoweredRules.Keeps(TargetFilter.Finished, "Answer: 7", "eos"));
        Assert.False(SelfPoweredRules.Keeps(TargetFilter.Finished, "Answer: 7 7 7", "length"));
        Assert.False(SelfPoweredRules.Keeps(TargetFilter.Finished, "  ", "eos"));
        Assert.False(SelfPoweredRules.Keeps(TargetFilter.Punctuation, "Answer: 7", "eos"));
        Assert.True(SelfPoweredRules.Keeps(TargetFilter.None, "", "length"));
        // The released code: 0 < prompt tokens < 150 and 5 < target tokens < 2048.
        Assert.False(SelfPoweredRules.PromptFits(0, 150));
        Assert.True(SelfPoweredRules.PromptFits(149, 150));
        Assert.False(SelfPoweredRules.PromptFits(150, 150));
        Assert.False(SelfPoweredRules.TargetFits(5, 5, 2048));
        Assert.True(SelfPoweredRules.TargetFits(6, 5, 2048));
        Assert.False(SelfPoweredRules.TargetFits(2048, 5, 2048));
    }

    [Fact]
    public void TheInstructionPoolIsTheMethodsSevenTimesFive()
    {
        var pool = InstructionPool.Default;
        Assert.Equal(["asr", "repeat", "keywords", "intent", "sentiment", "continuation_zh", "translation_zh"], pool.Categories.Select(c => c.Name));
        Assert.All(pool.Categories, c => Assert.Equal(5, c.Templates.Count));
        Assert.True(pool["asr"].IsTranscription);
        Assert.False(pool["repeat"].IsTranscription);
        // Spot checks against the released wording (verbatim, typos and all).
        Assert.Equal("Provide the English transcription according to the speech", pool["asr"].Templates[0]);
        Assert.Equal("Echo the content of the text, maintaining its exact purpose and details", pool["repeat"].Templates[3]);
        Assert.Equal("Extract significant words or phrases that appear often in the text, exclude basic stopwords, to uncover the main subjects", pool["keywords"].Templates[4]);
        Assert.Equal("Write a fluent and engaging continuation in Chinese of the English text, limited to 50 words", pool["continuation_zh"].Templates[4]);
        Assert.Equal("Translate the provided English material into the Chinese language", pool["translation_zh"].Templates[4]);
        Assert.Equal(["asr", "sentiment"], pool.Select(["sentiment", "asr"]).Select(c => c.Name));
        Assert.Contains("Unknown instruction category 'poems'", Assert.Throws<ArgumentException>(() => pool.Select(["poems"])).Message);
    }

    [Fact]
    public void APoolFileIsCheckedLineByLine()
    {
        var p = InstructionPool.Parse("# c\n[a]\nx\n\n[b]\ny\nz\n", "t");
        Assert.Equal(2, p["b"].Templates.Count);
        Assert.Contains("t:1: template before the first [category]", Assert.Throws<InvalidDataException>(() => InstructionPool.Parse("x\n[a]\ny", "t")).Message);
        Assert.Contains("category [a] has no templates", Assert.Throws<InvalidDataException>(() => InstructionPool.Parse("[a]\n[b]\ny", "t")).Message);
        Assert.Contains("t:3: category [a] appears twice", Assert.Throws<InvalidDataException>(() => InstructionPool.Parse("[a]\ny\n[a]\nz", "t")).Message);
    }

    [Fact]
    public void TheVicunaPromptsAreTheReleasedStrings()
    {
        // Written out from the method's description: ": " between instruction and transcript, " \n" before ASSISTANT.
        const string sys = "A chat between a curious user and an artificial intelligence assistant. The assistant gives helpful, detailed, and polite answers to the user's questions.";
        var f = SpeechPromptFormat.Vicuna;
        Assert.Equal(SpeechPromptKind.Raw, f.Kind);
        Assert.True(f.AddBos);
        Assert.Equal(sys + " \n\nUSER: Render the English text into Chinese: it is cold \nASSISTANT:", SelfPoweredRules.Fill(f.Generation!, "Render the English text into Chinese", "it is cold"));
        var (prefix, suffix) = SelfPoweredRules.SplitAtSpeech(SelfPoweredRules.Fill(f.Speech, "Transcribe it", speech: "\u0001"), "\u0001");
        Assert.Equal(sys + " \n\nUSER: Transcribe it\nSPEECH:", prefix);
        Assert.Equal("\nASSISTANT:", suffix);
        Assert.Equal("Transcribe it: hello", SelfPoweredRules.Fill(f.User, "Transcribe it", "hello"));
    }

    [Fact]
    public void AFormatFileIsValidated()
    {
        Assert.Contains("'speech' lacks {speech}", Assert.Throws<InvalidDataException>(() => SpeechPromptFormat.Parse("""{"kind":"chat","user":"{instruction} {transcript}","speech":"{instruction}"}""", "x")).Message);
        Assert.Contains("a raw format needs 'generation'", Assert.Throws<InvalidDataException>(() => SpeechPromptFormat.Parse("""{"kind":"raw","user":"{instruction} {transcript}","speech":"{instruction}{speech}"}""", "x")).Message);
        Assert.Contains("not raw or chat", Assert.Throws<InvalidDataException>(() => SpeechPromptFormat.Parse("""{"kind":"jinja","user":"","speech":""}""", "x")).Message);
        Assert.Contains("more than once", Assert.Throws<InvalidDataException>(() => SpeechPromptFormat.Parse("""{"kind":"chat","user":"{instruction} {transcript}","speech":"{instruction}{speech}{speech}"}""", "x")).Message);
        Assert.Equal(SpeechPromptKind.Chat, SpeechPromptFormat.Resolve("chat").Kind);
        Assert.Throws<ArgumentException>(() => SpeechPromptFormat.Resolve("no-such-format"));
    }
}
