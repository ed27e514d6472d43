using Engine.Methods.Curriculum.CCL;

namespace Engine.Tests.Curriculum;

/// <summary>CCL's weight, proficiency and difficulty formulas against hand-computed values and the paper figure's example.</summary>
public class CclFormulaTests
{
    [Theory]
    // (C, S) → w: the specification's test vectors; the first is the paper figure's worked example (0.95).
    [InlineData(0.56, 0.23, 0.954237)]
    [InlineData(0.0, 0.0, 1.718282)]
    [InlineData(1.0, 0.0, 0.0)]
    [InlineData(0.5, 0.5, 1.718282)]
    public void WeightMatchesTheSpecificationVectors(double c, double s, double expected) =>
        Assert.Equal(expected, CclFormulas.Weight(c, s), 6);

    [Fact]
    public void WeightPeaksWhereDifficultyMatchesProficiencyAndIsSymmetric()
    {
        Assert.Equal(Math.E - 1, CclFormulas.MaxWeight, 12);
        Assert.Equal(CclFormulas.Weight(0.4, 0.1), CclFormulas.Weight(0.4, 0.7), 12);
        Assert.True(CclFormulas.Weight(0.4, 0.4) > CclFormulas.Weight(0.4, 0.5));
        Assert.True(CclFormulas.Weight(0.4, 0.5) > CclFormulas.Weight(0.4, 0.9));
        // The slides' misreading exp(1 − |C − S| − 1) would give 0.72 on the figure's example, not 0.95.
        Assert.NotEqual(Math.Exp(-0.33), CclFormulas.Weight(0.56, 0.23), 2);
    }

    [Fact]
    public void ProficiencyIsTheGapOverLambdaCappedAtOne()
    {
        // Figure: train 0.23, valid 0.68 → C = 0.56 with λ = 0.8 (0.45 / 0.8 = 0.5625).
        Assert.Equal(0.5625, CclFormulas.Proficiency(0.23, 0.68, 0.8), 12);
        Assert.Equal(0.5625, CclFormulas.Proficiency(0.68, 0.23, 0.8), 12);
        Assert.Equal(1.0, CclFormulas.Proficiency(0.1, 2.0, 0.8));
        Assert.Throws<ArgumentOutOfRangeException>(() => CclFormulas.Proficiency(0.1, 0.2, 0));
    }

    [Fact]
    public void DifficultyNormalisesOverTheTrainingSet()
    {
        double[] l = [0.3, 0.1, 0.5, 0.2];
        // (L − min)/max = (0.2, 0, 0.4, 0.1)/0.5; (L − min)/(max − min) = (0.2, 0, 0.4, 0.1)/0.4.
        Assert.Equal([0.4, 0.0, 0.8, 0.2], CclFormulas.Difficulties(l), new Tol(1e-12));
        Assert.Equal([0.5, 0.0, 1.0, 0.25], CclFormulas.Difficulties(l, DifficultyNormalization.MinMax), new Tol(1e-12));
        Assert.Equal([0.0, 0.0], CclFormulas.Difficulties([0.7, 0.7]));
        Assert.Throws<ArgumentException>(() => CclFormulas.Difficulties([0.1, double.NaN]));
    }

    [Fact]
    public void OptionsRejectBadValues()
    {
        Assert.Throws<ArgumentException>(() => new CclOptions { Alpha = -1 }.Validate());
        Assert.Throws<ArgumentException>(() => new CclOptions { Lambda = 0 }.Validate());
        Assert.Throws<ArgumentException>(() => new CclOptions { Dropout = 1 }.Validate());
        Assert.Throws<ArgumentException>(() => new CclOptions { ValidationFraction = 0 }.Validate());
        new CclOptions().Validate();
    }

    private sealed class Tol(double eps) : IEqualityComparer<double>
    {
        public bool Equals(double a, double b) => Math.Abs(a - b) <= eps;
        public int GetHashCode(double x) => 0;
    }
}
