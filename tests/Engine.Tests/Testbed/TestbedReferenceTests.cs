using Engine.Methods.Evaluation.Testbed;

namespace Engine.Tests.Testbed;

/// <summary>Generated answers equal what independent solvers compute from the prompt alone.</summary>
public class TestbedReferenceTests
{
    public static TheoryData<string> Families() => new(TaskRegistry.All.Select(f => f.Name));

    [Theory, MemberData(nameof(Families))]
    public void AnswersMatchAnIndependentSolver(string family)
    {
        var records = TestbedGenerator.Generate(new TestbedOptions
        {
            Tasks = [TaskRegistry.Get(family)], N = 150, MinDifficulty = 1, MaxDifficulty = 3, Seed = 31,
        });
        foreach (var r in records)
        {
            var solved = TestbedReferenceSolvers.Solve(r.Instruction, r.Input);
            Assert.True(TaskRegistry.Get(family).Matches(r.Answer!, solved), $"{r.Id}: generated '{r.Answer}', solver '{solved}' for\n{r.Prompt}");
        }
    }

    [Fact]
    public void GloshIsAFixedBijectionDisjointFromEnglish()
    {
        var g = Engine.Methods.Evaluation.Testbed.Families.TranslateFamily.Glosh;
        Assert.Equal(32, g.Count);
        Assert.Equal(g.Count, g.Values.Distinct().Count());
        Assert.Empty(g.Values.Intersect(g.Keys));
    }

    [Fact]
    public void TranslationDocumentsKeepNamesAcrossPages()
    {
        var records = TestbedGenerator.Generate(new TestbedOptions { Tasks = [TaskRegistry.Get("translate")], N = 60, MinDifficulty = 3, MaxDifficulty = 3, Seed = 4 });
        foreach (var r in records)
        {
            Assert.StartsWith("[1] ", r.Input);
            Assert.Contains("[2] ", r.Input);
            var names = r.Input.Split(' ').Where(w => w.Length > 1 && char.IsUpper(w[0]) && w != "The").Select(w => w.TrimEnd('.')).Distinct().ToList();
            Assert.NotEmpty(names);
            foreach (var n in names)
                Assert.Equal(r.Input.Split(' ').Count(w => w.TrimEnd('.') == n), r.Answer!.Split(' ').Count(w => w.TrimEnd('.') == n));
        }
    }
}
