using System.CommandLine;
using Engine.Cli.Commands;
using Engine.Methods.Evaluation.Testbed;

namespace Engine.Tests.Testbed;

/// <summary>`engine testbed make|list|score` end to end through the command-line parser.</summary>
public class TestbedCommandTests
{
    private static int Run(params string[] args)
    {
        var root = new RootCommand("test") { TestbedCommand.Create() };
        return root.Parse(args).Invoke();
    }

    [Fact]
    public void MakeWritesDataAndKeyAndScoreReadsThem()
    {
        var dir = Directory.CreateTempSubdirectory("testbed-cli");
        try
        {
            string data = Path.Combine(dir.FullName, "d.jsonl"), key = Path.Combine(dir.FullName, "k.jsonl"), scores = Path.Combine(dir.FullName, "s.jsonl");
            Assert.Equal(0, Run("testbed", "make", "--tasks", "arith,logic", "--n", "40", "--noise", "0.25", "--noise-kinds", "wrong_answer,truncated",
                "--difficulty", "1-2", "--cot", "--format", "chat", "--split", "test", "--seed", "5", "--out", data, "--key", key, "--hide"));
            Assert.Equal(40, File.ReadAllLines(data).Length);
            Assert.DoesNotContain("\"meta\"", File.ReadAllText(data));
            var k = TestbedReader.ReadKey(key);
            Assert.Equal(10, k.Values.Count(e => e.Corrupted));
            Assert.All(k.Values, e => Assert.Contains(e.Task, new[] { "arith", "syllogism", "rule_classify" }));
            Assert.All(k.Values.Where(e => e.Corrupted), e => Assert.Contains(e.Corruption, new CorruptionKind?[] { CorruptionKind.WrongAnswer, CorruptionKind.Truncated }));

            // Same arguments again: identical bytes.
            var first = File.ReadAllBytes(data);
            Assert.Equal(0, Run("testbed", "make", "--tasks", "arith,logic", "--n", "40", "--noise", "0.25", "--noise-kinds", "wrong_answer,truncated",
                "--difficulty", "1-2", "--cot", "--format", "chat", "--split", "test", "--seed", "5", "--out", data, "--key", key, "--hide"));
            Assert.Equal(first, File.ReadAllBytes(data));

            // An oracle score file separates perfectly.
            File.WriteAllLines(scores, k.Values.Select(e => $"{{\"id\":\"{e.Id}\",\"score\":{(e.Corrupted ? 0 : 1)}}}"));
            Assert.Equal(0, Run("testbed", "score", "--scores", scores, "--key", key));
            Assert.Equal(0, Run("testbed", "list"));
        }
        finally { dir.Delete(true); }
    }

    [Fact]
    public void BadArgumentsFailWithCode2()
    {
        var path = Path.Combine(Path.GetTempPath(), "testbed-bad.jsonl");
        Assert.Equal(2, Run("testbed", "make", "--tasks", "nope", "--out", path));
        Assert.Equal(2, Run("testbed", "make", "--noise", "0.5", "--noise-kinds", "logic_error", "--out", path));
        Assert.Equal(2, Run("testbed", "make", "--hide", "--out", path));
        Assert.Equal(2, Run("testbed", "make", "--format", "xml", "--out", path));
        Assert.False(File.Exists(path));
    }
}
