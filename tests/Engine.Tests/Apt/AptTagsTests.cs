using System.Text.Json.Nodes;
using Engine.Methods.Synthesis.APT;

namespace Engine.Tests.Apt;

public class AptTagsTests
{
    [Fact]
    public void RecordTagsAreFlattenedAndNormalised()
    {
        var cdt = new Dictionary<string, IReadOnlyList<string>>
        {
            ["task"] = ["Closed Book QA"], ["cognition"] = ["NM", "RQ"], ["domain"] = ["Mathematics"],
        };
        Assert.Equal(["cognition:nm", "cognition:rq", "domain:mathematics", "task:closed book qa"], AptTags.FromFields(cdt));
        var list = new Dictionary<string, IReadOnlyList<string>> { [""] = ["  Math ", "math", "Word   Problem", ""] };
        Assert.Equal(["math", "word problem"], AptTags.FromFields(list));
        Assert.Empty(AptTags.FromFields(new Dictionary<string, IReadOnlyList<string>>()));
    }

    [Theory]
    [InlineData("""["Arithmetic", "word problem", "arithmetic"]""", "arithmetic|word problem")]
    [InlineData("""[{"tag": "Logic", "explanation": "needs deduction"}, {"tag": "syllogism"}]""", "logic|syllogism")]
    [InlineData("""{"tags": ["Translation"]}""", "translation")]
    public void TaggerRepliesInTheUsualShapesAreRead(string json, string expected)
    {
        Assert.True(AptTags.TryRead(JsonNode.Parse(json)!, out var tags, out _));
        Assert.Equal(expected.Split('|'), tags);
    }

    [Theory]
    [InlineData("""{"label": "math"}""", "JSON array")]
    [InlineData("""[1, 2]""", "tag string")]
    [InlineData("""["  "]""", "no tags")]
    public void UnusableTaggerRepliesSayWhy(string json, string why) => Assert.Contains(why, AptTags.Problem(JsonNode.Parse(json)!));
}
