using Engine.Methods.Synthesis.LongMT;

namespace Engine.Tests.LongMT;

public class EntityConsistencyTests
{
    [Fact]
    public void ScoreIsTheMeanShareOfTheMostFrequentRendering()
    {
        // A: X, X, Y → 2/3. B: Z, missing → 1/2 (a missing rendering never agrees). C occurs once: not counted.
        var score = EntityConsistency.Score([["X", "X", "Y"], ["Z", null], ["W"]]);
        Assert.Equal((2.0 / 3 + 1.0 / 2) / 2, score!.Value, 12);
        Assert.Null(EntityConsistency.Score([["W"]]));
        Assert.Equal(0, EntityConsistency.Score([[null, null]])!.Value);
    }

    [Fact]
    public void RenderingsAreFoundBySimilarityToTheExpectedForm()
    {
        string[] src = ["Karo sees the fox.", "The fox sees Karo.", "Nobody here.", "Karo meets Bel."];
        string[] hyp = ["Karoa fox sees.", "fox Karoe sees.", "nobody.", "Bel meets."];
        // Occurrences of Karo: sentences 0, 1, 3. Renderings: "Karoa" (exact), "Karoe" (Ka ar ro shared: Dice 6/8), none in
        // sentence 3 (no word has Dice ≥ 0.5 with "Karoa").
        var r = EntityConsistency.Renderings(src, hyp, "Karo", "Karoa");
        Assert.Equal(["Karoa", "Karoe", null], r);
        Assert.Equal(1.0 / 3, EntityConsistency.Document(src, hyp, [new EntityGloss("Karo", "Karoa")])!.Value, 12);
        // "Karo" inside another word is not an occurrence.
        Assert.Empty(EntityConsistency.Renderings(["Karola sings."], ["x."], "Karo", "Karoa"));
    }

    [Fact]
    public void DiceOfCharacterBigrams()
    {
        // karoa: ka ar ro oa; kalora: ka al lo or ra → common: ka → 2·1/9.
        Assert.Equal(2.0 / 9, EntityConsistency.Dice("karoa", "kalora"), 12);
        Assert.Equal(1, EntityConsistency.Dice("abc", "abc"), 12);
    }

    [Fact]
    public void EntityAgreementWithMemoryAndTheReward()
    {
        string[] src = ["Karo sees Bel.", "Bel sleeps.", "A fox."];
        string[] hyp = ["Karoa Pela sees.", "Bela sleeps.", "fox."];
        // Occurrences: Karo (sentence 0: kept), Bel (sentences 0: kept, 1: "Bela" ≠ "Pela") → 2/3.
        var a = LongMtScores.EntityAgreement(src, hyp, [new("Karo", "Karoa"), new("Bel", "Pela")]);
        Assert.Equal(2.0 / 3, a!.Value, 12);
        Assert.Null(LongMtScores.EntityAgreement(src, hyp, [new("Zed", "Set")]));
        Assert.Equal(0.8 * 50 + 0.2 * 100 * (2.0 / 3), LongMtScores.PageReward(50, a, 0.2), 12);
        Assert.Equal(50, LongMtScores.PageReward(50, null, 0.2));
    }
}
