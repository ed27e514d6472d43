using Engine.Methods.Evaluation.Testbed;

namespace Engine.Tests.Testbed;

/// <summary>Every family's checker accepts its clean answers and rejects each kind of corruption.</summary>
public class TestbedCorruptionTests
{
    public static TheoryData<string> Families() => new(TaskRegistry.All.Select(f => f.Name));

    // Families whose every reasoning step is an equation "a op b = c": a logic error there is caught with no hidden data.
    private static readonly HashSet<string> EquationSteps = ["arith", "word_problem", "unit_convert", "sequence"];

    private static List<TestbedRecord> Make(string family, CorruptionKind? kind, ulong seed, int n = 45) =>
        TestbedGenerator.Generate(new TestbedOptions
        {
            Tasks = [TaskRegistry.Get(family)], N = n, Noise = kind is null ? 0 : 1, NoiseKinds = kind is null ? null : [kind.Value],
            MinDifficulty = 1, MaxDifficulty = 3, Cot = true, Length = (ResponseLength)(seed % 3), Seed = seed,
        });

    [Theory, MemberData(nameof(Families))]
    public void CleanAnswersPassAndTheirReasoningIsArithmeticallyRight(string family)
    {
        foreach (var seed in new ulong[] { 1, 2, 3, 4 })
            foreach (var r in Make(family, null, seed))
            {
                Assert.False(r.Meta!.Corrupted);
                Assert.Equal(r.Meta.CleanOutput, r.Output);
                var check = TestbedChecker.Check(r, r.Output);
                Assert.True(check.Correct, $"{r.Id} {family}: clean output rejected ({check.Reason}): {r.Output}");
                Assert.Empty(ReasoningVerifier.ArithmeticErrors(r.Output));
                // The answer line is the last line, and the record's answer is what it says.
                Assert.Equal(AnswerText.Line(r.Answer!), r.Output.Split('\n')[^1]);
                Assert.Contains(r.Difficulty, new[] { 1, 2, 3 });
            }
    }

    [Theory, MemberData(nameof(Families))]
    public void AnswerChangingCorruptionsAreRejected(string family)
    {
        foreach (var kind in new[] { CorruptionKind.WrongAnswer, CorruptionKind.Hallucination, CorruptionKind.Truncated, CorruptionKind.OffTopic })
            foreach (var seed in new ulong[] { 11, 12 })
                foreach (var r in Make(family, kind, seed))
                {
                    Assert.True(r.Meta!.Corrupted);
                    Assert.Equal(kind, r.Meta.Corruption);
                    Assert.NotEqual(r.Meta.CleanOutput, r.Output);
                    Assert.True(TestbedChecker.Check(r, r.Meta.CleanOutput).Correct);
                    var check = TestbedChecker.Check(r, r.Output);
                    Assert.False(check.Correct, $"{r.Id} {family} {kind.Name()}: corrupted output accepted: {r.Output}");
                    if (kind == CorruptionKind.Truncated)
                    {
                        Assert.StartsWith(r.Output, r.Meta.CleanOutput, StringComparison.Ordinal);
                        Assert.True(r.Output.Length < r.Meta.CleanOutput.Length);
                    }
                }
    }

    [Theory, MemberData(nameof(Families))]
    public void LogicErrorsKeepTheAnswerButBreakOneStep(string family)
    {
        foreach (var seed in new ulong[] { 21, 22 })
            foreach (var r in Make(family, CorruptionKind.LogicError, seed))
            {
                Assert.True(TestbedChecker.Check(r, r.Output).Correct, $"{r.Id}: a logic error must keep the final answer");
                Assert.True(ReasoningVerifier.StepsDiffer(r, r.Output), $"{r.Id}: no step changed: {r.Output}");
                var clean = r.Meta!.CleanOutput.Split('\n');
                var bad = r.Output.Split('\n');
                Assert.Equal(clean.Length, bad.Length);
                Assert.Equal(1, clean.Zip(bad).Count(p => p.First != p.Second));
                if (EquationSteps.Contains(family))
                    Assert.NotEmpty(ReasoningVerifier.ArithmeticErrors(r.Output));
            }
    }

    [Fact]
    public void LogicErrorNeedsChainOfThought()
    {
        var e = Assert.Throws<ArgumentException>(() => TestbedGenerator.Generate(new TestbedOptions { N = 5, Noise = 0.5, NoiseKinds = [CorruptionKind.LogicError] }));
        Assert.Contains("--cot", e.Message);
        // Without --cot the default kinds leave logic_error out.
        var records = TestbedGenerator.Generate(new TestbedOptions { N = 50, Noise = 1, Seed = 3 });
        Assert.DoesNotContain(records, r => r.Meta!.Corruption == CorruptionKind.LogicError);
    }

    [Fact]
    public void AnswerExtractionRule()
    {
        Assert.Equal("42", AnswerText.Extract("step\nAnswer: 1\nmore\n  Answer:  42  "));
        Assert.Null(AnswerText.Extract("The answer is 42"));
        Assert.Equal("", AnswerText.Extract("Answer:"));
        Assert.Null(AnswerText.Extract("x Answer: 42"));
        Assert.True(TestbedChecker.Check("arith", "82", "Answer: 82.").Correct);
        Assert.False(TestbedChecker.Check("arith", "82", "Answer: 8 2").Correct);
        Assert.False(TestbedChecker.Check("arith", "82", "Answer: +82").Correct);
        Assert.True(TestbedChecker.Check("list_ops", "1, 2, 3", "Answer: 1,2 ,3").Correct);
        Assert.False(TestbedChecker.Check("list_ops", "1, 2, 3", "Answer: 1, 2,").Correct);
        Assert.False(TestbedChecker.Check("string_ops", "abcd", "Answer: ABCD").Correct);
        Assert.True(TestbedChecker.Check("syllogism", "yes", "Answer: Yes").Correct);
        Assert.False(TestbedChecker.Check("translate", "The fox.", "Answer: the fox.").Correct);
    }
}
