using Engine.Methods.Selection.SelectIT;

namespace Engine.Tests.SelectIT;

/// <summary>Hand-computed values (worked by hand from the paper's formulas; see docs/methods/selectit.md).</summary>
public class SelectItFormulaTests
{
    [Theory]
    [InlineData(new[] { .05, .10, .50, .25, .10 }, 3, 1.125)]
    [InlineData(new[] { .02, .03, .30, .10, .05 }, 3, 1.5)]       // sums to 0.5: normalised first
    [InlineData(new[] { 0.0, 0, 0, 0, 1 }, 5, 5.0)]
    [InlineData(new[] { .2, .2, .2, .2, .2 }, 1, 0.0)]           // uniform: no confidence, ties to the smallest k
    public void TokenLevelPaperNormalisation(double[] p, int sBase, double sToken)
    {
        var (b, s) = SelectItScores.Token(p);
        Assert.Equal(sBase, b);
        Assert.Equal(sToken, s, 9);
    }

    [Theory]
    [InlineData(new[] { .05, .10, .50, .25, .10 }, 0.24812)]
    [InlineData(new[] { .02, .03, .30, .10, .05 }, 0.34304)]
    [InlineData(new[] { 0.0, 0, 0, 0, 1 }, 1.27881)]
    public void TokenLevelCodeCompatNormalisation(double[] p, double sToken)
    {
        var (_, s) = SelectItScores.Token(p, RatingNormalization.CodeCompat);
        Assert.Equal(sToken, s, 4);
    }

    [Fact]
    public void SentenceLevelUsesPopulationStd()
    {
        // mean 1.838, population std 0.446112 → 1.838 / (1 + 0.2·0.446112)
        Assert.Equal(1.687442, SelectItScores.Sentence([1.13, 2.38, 1.95, 2.17, 1.56], 0.2), 5);
        Assert.Equal(1.838, SelectItScores.Sentence([1.13, 2.38, 1.95, 2.17, 1.56], 0), 9);
    }

    [Fact]
    public void ModelLevelWeightsByParameterShare()
    {
        Assert.Equal(1.901333, SelectItScores.Model([1.59, 2.13, 1.89], [7, 13, 70]), 5);
        Assert.Equal(2.5, SelectItScores.Model([2.5], [123]), 12);
        Assert.Throws<ArgumentException>(() => SelectItScores.Model([1, 2], [0, 0]));
    }

    [Fact]
    public void SelectionIsDescendingWithTiesToTheLargerIndex()
    {
        double[] s = [0.5, 2.0, 1.0, 2.0, -1.0];
        Assert.Equal([3, 1, 2], SelectItScores.Select(s, 3));
        Assert.Equal(2, SelectItScores.CountForRatio(10, 0.2));
        Assert.Equal(10400, SelectItScores.CountForRatio(52002, 0.2));
    }

    [Fact]
    public void RatingInputKeepsThePaperStructure()
    {
        var text = RatingPrompts.Build("Rate it.", "Add 2 and 3.", "5");
        Assert.Equal("Rate it.\n\nInstruction:Add 2 and 3.\nResponse:5\nThe answer is: \n", text);
    }
}

public class ScoreHistogramTests
{
    [Fact]
    public void BinsCountEveryScoreOnce()
    {
        double[] s = [0, 0.1, 0.5, 0.99, 1.0, 1.0];
        var (edges, counts) = ScoreHistogram.Bins(s, 4);
        Assert.Equal([0.0, 0.25, 0.5, 0.75, 1.0], edges);
        Assert.Equal([2, 0, 1, 3], counts);
    }
}
