using Engine.Methods.Synthesis.LongMT;

namespace Engine.Tests.LongMT;

/// <summary>The alignment check, retries, page halving and over-long sentences, with a scripted model.</summary>
public class PageTranslatorTests
{
    private static readonly LongMtOptions Options = new() { SourceLanguage = "en", TargetLanguage = "de", MaxRetries = 2 };

    private static PageTranslator Translator(ScriptedChatClient chat, int context = 4096, LongMtOptions? o = null) =>
        new(chat, LongMtPrompts.Default, o ?? Options, new ApproxPromptMeter(context));

    [Fact]
    public void MarkupParsesLikeLoongAndCountsSentences()
    {
        Assert.Equal(["a", "b"], PageMarkup.Parse("#0 <s>a</s>\n#1 <s>b"));          // a missing final </s> is added
        Assert.Equal(["a", "b"], PageMarkup.Parse("noise #0<s> a </s> more 1 <s>b</s>"));
        Assert.Empty(PageMarkup.Parse("no markers at all"));
        Assert.Equal("#0 <s>x</s>\n#1 <s>y</s>", PageMarkup.Render(["x", "y"]));
        Assert.True(PageMarkup.IsAligned(["a", "b"], 2));
        Assert.False(PageMarkup.IsAligned(["a"], 2));
    }

    [Fact]
    public async Task AnAlignedAnswerIsTakenAtOnce()
    {
        var chat = new ScriptedChatClient();
        var t = await Translator(chat).TranslateAsync(["one.", "two.", "three."], AuxContext.None, 1);
        Assert.Equal(["ONE.", "TWO.", "THREE."], t.Lines);
        Assert.Equal(1, t.Calls);
        Assert.Empty(t.Problems);
    }

    [Fact]
    public async Task AMisalignedPageIsRetriedThenHalved()
    {
        // The model merges the last two sentences of any page longer than 2: never aligned for 4 sentences.
        var chat = new ScriptedChatClient
        {
            Answer = s => ScriptedChatClient.Render(s.Count > 2 ? [.. s.Take(s.Count - 2).Select(x => x.ToUpperInvariant()), (s[^2] + " " + s[^1]).ToUpperInvariant()] : s.Select(x => x.ToUpperInvariant()).ToList()),
        };
        var t = await Translator(chat).TranslateAsync(["a.", "b.", "c.", "d."], AuxContext.None, 1);
        Assert.Equal(["A.", "B.", "C.", "D."], t.Lines);
        Assert.Equal(3 + 2, t.Calls);                  // 1 + MaxRetries attempts of 4 sentences, then two halves of 2
        Assert.Equal([4, 4, 4, 2, 2], chat.PageSizes);
        Assert.Contains(t.Problems, p => p.Contains("halved"));
    }

    [Fact]
    public async Task ASentenceThatNeverAlignsKeepsTheRawAnswer()
    {
        var chat = new ScriptedChatClient { Answer = _ => "I cannot translate this." };
        var t = await Translator(chat).TranslateAsync(["a.", "b."], AuxContext.None, 1);
        Assert.Equal(["I cannot translate this.", "I cannot translate this."], t.Lines);
        Assert.Equal(3 + 3 + 3, t.Calls);
        Assert.Contains(t.Problems, p => p.Contains("kept the raw answer"));
    }

    [Fact]
    public async Task BlankLinesStayBlankAndAreNotSent()
    {
        var chat = new ScriptedChatClient();
        var t = await Translator(chat).TranslateAsync(["a.", "", "b."], AuxContext.None, 1);
        Assert.Equal(["A.", "", "B."], t.Lines);
        Assert.Equal([2], chat.PageSizes);
    }

    [Fact]
    public async Task APageOverTheContextIsHalvedBeforeAnyCall()
    {
        var chat = new ScriptedChatClient();
        var lines = Enumerable.Range(0, 8).Select(i => $"sentence number {i} with a few more words in it.").ToList();
        // The context is set between what half the page needs (prompt + expected answer) and what the whole page needs.
        var meter = new ApproxPromptMeter(100_000);
        int Needs(List<string> l) => meter.CountMessages([new Microsoft.Extensions.AI.ChatMessage(Microsoft.Extensions.AI.ChatRole.User, LongMtPrompts.Default.Translate(new Languages("en", "de"), l, AuxContext.None))])
            + Translator(chat, 100_000).Expected(l);
        int whole = Needs(lines), half = Needs(lines[..4]);
        Assert.True(half < whole - 1);
        var t = await Translator(chat, context: (half + whole) / 2).TranslateAsync(lines, AuxContext.None, 1);
        Assert.Equal(lines.Select(l => l.ToUpperInvariant()), t.Lines);
        Assert.DoesNotContain(8, chat.PageSizes);
        Assert.Contains(t.Problems, p => p.Contains("do not fit the context"));
    }

    [Fact]
    public async Task ASentenceLongerThanTheContextIsTranslatedInPiecesAndReported()
    {
        var chat = new ScriptedChatClient();
        var longSentence = string.Join(" ", Enumerable.Range(0, 600).Select(i => "w" + i)) + ".";
        var t = await Translator(chat, context: 700).TranslateAsync(["short one.", longSentence], AuxContext.None, 1);
        Assert.Equal(2, t.Lines.Count);
        Assert.Equal("SHORT ONE.", t.Lines[0]);
        Assert.Equal(longSentence.ToUpperInvariant(), t.Lines[1]);    // every piece translated, in order
        Assert.Contains(t.Problems, p => p.Contains("longer than the context"));
        Assert.True(chat.PageSizes.Count(n => n == 1) >= 3);
    }
}
