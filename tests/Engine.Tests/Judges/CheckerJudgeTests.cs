using System.Text.Json.Nodes;
using Engine.Methods.Core.Data;
using Engine.Methods.Evaluation.Testbed;
using Engine.Methods.Teachers.Judges;

namespace Engine.Tests.Judges;

/// <summary>The testbed's exact checker as a judge: the 1–5 mapping against the generator's own ground truth, and counted skips for records it cannot grade.</summary>
public class CheckerJudgeTests
{
    private static DataRecord Parse(string json) => DataRecord.Parse(new DataRow("eval.jsonl", 1, JsonNode.Parse(json)!.AsObject()));

    /// <summary>Testbed records as chat lines, with or without the hidden answer, each served output judged against the clean one.</summary>
    private static IEnumerable<(TestbedRecord Record, Judgement J)> Judge(TestbedOptions o, bool hide)
    {
        var records = TestbedGenerator.Generate(o);
        using var ms = new MemoryStream();
        TestbedWriter.Write(records, ms, TestbedFormat.Chat, hideHidden: hide);
        var lines = System.Text.Encoding.UTF8.GetString(ms.ToArray()).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        for (int i = 0; i < records.Count; i++)
        {
            var row = JsonNode.Parse(lines[i])!.AsObject();
            // The gold response is the clean one (the served output may be corrupted); the response to grade is the served output.
            row["messages"]![1]!["content"] = records[i].Meta!.CleanOutput;
            var rec = DataRecord.Parse(new DataRow("eval.jsonl", i + 1, row));
            yield return (records[i], CheckerJudge.Judge(JudgeJob.Request(rec, records[i].Output)));
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]   // hidden fields stripped: the gold comes from the reference's "Answer:" line
    public void ScoresFollowTheGeneratorsGroundTruth(bool hide)
    {
        var o = new TestbedOptions
        {
            Tasks = TaskRegistry.Parse("arith,word_problem,unit_convert,syllogism,list_ops"), N = 200, Noise = 0.6, Cot = true, Seed = 11,
            NoiseKinds = [CorruptionKind.WrongAnswer, CorruptionKind.Truncated, CorruptionKind.LogicError],
        };
        int checkedLogic = 0;
        foreach (var (r, j) in Judge(o, hide))
        {
            Assert.NotNull(j.Score);
            switch (r.Meta!.Corruption)
            {
                case null: Assert.Equal(CheckerJudge.Correct, j.Score); break;
                case CorruptionKind.WrongAnswer: Assert.Equal(CheckerJudge.WrongAnswer, j.Score); break;
                case CorruptionKind.Truncated: Assert.True(j.Score <= CheckerJudge.WrongAnswer, $"{r.Id}: truncated scored {j.Score}"); break;
                case CorruptionKind.LogicError:
                    // The answer stays right; in the numeric families every step is an equation, so the broken one is seen.
                    if (r.Task is "arith" or "word_problem" or "unit_convert") { Assert.Equal(CheckerJudge.CorrectWithBrokenStep, j.Score); checkedLogic++; }
                    else Assert.True(j.Score >= 3, $"{r.Id}: a logic error keeps the answer right, scored {j.Score}");
                    break;
            }
        }
        Assert.True(checkedLogic > 5, $"only {checkedLogic} numeric logic errors were generated");
    }

    [Fact]
    public void NoAnswerLineIsTheLowestScore()
    {
        var rec = Parse("""{"task":"arith","answer":"58","messages":[{"role":"user","content":"12 + 46"},{"role":"assistant","content":"Answer: 58"}]}""");
        Assert.Equal(CheckerJudge.NoAnswer, CheckerJudge.Judge(JudgeJob.Request(rec, "58")).Score);
        Assert.Equal(CheckerJudge.WrongAnswer, CheckerJudge.Judge(JudgeJob.Request(rec, "Answer: 57")).Score);
        Assert.Equal(CheckerJudge.Correct, CheckerJudge.Judge(JudgeJob.Request(rec, "Answer: 58")).Score);
        // A number too long for 64 bits in the reasoning is not a step that holds, and not a crash.
        Assert.Equal(CheckerJudge.CorrectWithBrokenStep, CheckerJudge.Judge(JudgeJob.Request(rec, "99999999999999999999 + 1 = 2\nAnswer: 58")).Score);
    }

    [Theory]
    [InlineData("""{"answer":"58","messages":[{"role":"user","content":"12 + 46"},{"role":"assistant","content":"Answer: 58"}]}""", "no \"task\" field")]
    [InlineData("""{"task":"poetry","answer":"58","messages":[{"role":"user","content":"12 + 46"},{"role":"assistant","content":"Answer: 58"}]}""", "unknown testbed task 'poetry'")]
    [InlineData("""{"task":"arith","messages":[{"role":"user","content":"12 + 46"}]}""", "no gold answer")]
    [InlineData("""{"task":"arith","prompt":"12 + 46","completion":"fifty-eight"}""", "no gold answer")]
    public void RecordsItCannotGradeAreSkippedWithTheReason(string json, string reason)
    {
        var j = CheckerJudge.Judge(JudgeJob.Request(Parse(json), "Answer: 58"));
        Assert.Null(j.Score);
        Assert.Contains(reason, j.SkipReason);
    }
}
