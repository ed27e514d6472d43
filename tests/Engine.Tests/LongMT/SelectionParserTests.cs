using Engine.Methods.Synthesis.LongMT;

namespace Engine.Tests.LongMT;

public class SelectionParserTests
{
    private static readonly Dictionary<MemoryModule, int> Offered = new()
    {
        [MemoryModule.ViewSummaries] = 2, [MemoryModule.ViewPages] = 4, [MemoryModule.LookUpEntities] = 1,
    };

    [Theory]
    [InlineData("[Selection]\nview_pages", MemoryModule.ViewPages)]
    [InlineData("[Analysis]\nThe page needs earlier pairs.\n\n[Selection]\nView Pages()", MemoryModule.ViewPages)]
    [InlineData("[selection]: look-up-entities", MemoryModule.LookUpEntities)]
    [InlineData("Selection:\nsummaries\n[Rejection]\nview_pages", MemoryModule.ViewSummaries)]
    [InlineData("view_pages", MemoryModule.ViewPages)]
    public void ReadsAModuleHoweverItIsWritten(string answer, MemoryModule expected)
    {
        var a = SelectionParser.Parse(answer, Offered);
        Assert.Equal(expected, a.Module);
        Assert.Null(a.Items);
        Assert.Empty(a.Problems);
    }

    [Theory]
    [InlineData("[Selection]\nEND")]
    [InlineData("[Selection]\nN/A")]
    [InlineData("[Selection]\nnone")]
    public void EndsWithoutProblem(string answer)
    {
        var a = SelectionParser.Parse(answer, Offered);
        Assert.True(a.IsEnd);
        Assert.Empty(a.Problems);
    }

    [Fact]
    public void AModuleThatDoesNotExistIsReportedAndEndsTheCalls()
    {
        var a = SelectionParser.Parse("[Selection]\nsearch_web", Offered);
        Assert.True(a.IsEnd);
        var p = Assert.Single(a.Problems);
        Assert.Contains("does not exist", p);
        Assert.Contains("search_web", p);
    }

    [Fact]
    public void AModuleNotOfferedNowIsReported()
    {
        var offered = new Dictionary<MemoryModule, int> { [MemoryModule.LookUpEntities] = 1 };
        var a = SelectionParser.Parse("[Selection]\nview_pages", offered);
        Assert.True(a.IsEnd);
        Assert.Contains("not offered", Assert.Single(a.Problems));
    }

    [Fact]
    public void ItemsAreKeptWhenValidAndBadOnesReported()
    {
        var a = SelectionParser.Parse("[Selection]\nview_pages: 3, 1, 7", Offered);
        Assert.Equal(MemoryModule.ViewPages, a.Module);
        Assert.Equal([1, 3], a.Items);
        Assert.Contains("7", Assert.Single(a.Problems));
        var none = SelectionParser.Parse("[Selection]\nview_pages: 9", Offered);
        Assert.True(none.IsEnd);
        Assert.Equal(2, none.Problems.Count);
    }

    [Theory]
    [InlineData("")]
    [InlineData("[Selection]\n")]
    [InlineData(null)]
    public void AnEmptyAnswerIsAProblemNotACrash(string? answer)
    {
        var a = SelectionParser.Parse(answer!, Offered);
        Assert.True(a.IsEnd);
        Assert.Contains("empty", Assert.Single(a.Problems));
    }

    [Fact]
    public void RenderedAnswersParseBack()
    {
        foreach (var m in MemoryModules.All)
            Assert.Equal(m, SelectionParser.Parse(SelectionAnswer.Render(m), Offered).Module);
        Assert.True(SelectionParser.Parse(SelectionAnswer.Render(null), Offered).IsEnd);
    }
}
