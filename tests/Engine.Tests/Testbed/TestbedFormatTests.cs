using System.Text;
using System.Text.Json;
using Engine.Methods.Evaluation.Testbed;

namespace Engine.Tests.Testbed;

/// <summary>The four JSONL formats use the community field names and carry the noise the documented way.</summary>
public class TestbedFormatTests
{
    private static readonly TestbedOptions Options = new() { N = 120, Noise = 0.3, MaxDifficulty = 3, Cot = true, Seed = 17 };
    private static readonly List<TestbedRecord> Records = TestbedGenerator.Generate(Options);

    private static List<JsonElement> Lines(TestbedFormat format, bool hide = false)
    {
        using var ms = new MemoryStream();
        TestbedWriter.Write(Records, ms, format, hide);
        var text = Encoding.UTF8.GetString(ms.ToArray());
        Assert.EndsWith("\n", text);
        return text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement.Clone()).ToList();
    }

    private static string S(JsonElement e, string name) => e.GetProperty(name).GetString()!;

    [Fact]
    public void Alpaca()
    {
        var lines = Lines(TestbedFormat.Alpaca);
        Assert.Equal(Records.Count, lines.Count);
        for (int i = 0; i < lines.Count; i++)
        {
            var (e, r) = (lines[i], Records[i]);
            Assert.Equal(r.Instruction, S(e, "instruction"));
            Assert.Equal(r.Input, S(e, "input"));
            Assert.Equal(r.Output, S(e, "output"));
            Assert.Equal(r.Answer, S(e, "answer"));
            Assert.Equal(r.Task, S(e, "task"));
            Assert.Equal(r.Difficulty, e.GetProperty("difficulty").GetInt32());
            Assert.Equal(JsonValueKind.Array, e.GetProperty("tags").GetProperty("cognition").ValueKind);
            var meta = e.GetProperty("meta");
            Assert.Equal(r.Meta!.Corrupted, meta.GetProperty("corrupted").GetBoolean());
            Assert.Equal(r.Meta.Corruption?.Name(), meta.GetProperty("corruption").GetString());
            Assert.Equal(r.Meta.CleanOutput, S(meta, "clean_output"));
            Assert.Equal(r.Meta.Seed, meta.GetProperty("seed").GetUInt64());
        }
    }

    [Fact]
    public void Chat()
    {
        var lines = Lines(TestbedFormat.Chat);
        Assert.Equal(Records.Count, lines.Count);
        for (int i = 0; i < lines.Count; i++)
        {
            var msgs = lines[i].GetProperty("messages").EnumerateArray().ToList();
            Assert.Equal(2, msgs.Count);
            Assert.Equal("user", S(msgs[0], "role"));
            Assert.Equal(Records[i].Instruction + (Records[i].Input.Length > 0 ? "\n" + Records[i].Input : ""), S(msgs[0], "content"));
            Assert.Equal("assistant", S(msgs[1], "role"));
            Assert.Equal(Records[i].Output, S(msgs[1], "content"));
        }
    }

    [Fact]
    public void PreferenceChosenIsCleanUnlessTheRecordIsNoise()
    {
        var lines = Lines(TestbedFormat.Preference);
        Assert.Equal(Records.Count, lines.Count);
        for (int i = 0; i < lines.Count; i++)
        {
            var (e, r) = (lines[i], Records[i]);
            Assert.Equal(r.Prompt, S(e, "prompt"));
            var (chosen, rejected) = (S(e, "chosen"), S(e, "rejected"));
            Assert.NotEqual(chosen, rejected);
            var (good, bad) = r.Meta!.Corrupted ? (rejected, chosen) : (chosen, rejected);
            Assert.Equal(r.Meta.CleanOutput, good);
            Assert.True(TestbedChecker.Check(r, good).Correct);
            // The bad side fails the answer check, or (logic_error) has a broken step.
            Assert.True(!TestbedChecker.Check(r, bad).Correct || ReasoningVerifier.StepsDiffer(r, bad));
        }
    }

    [Fact]
    public void KtoGivesTwoLinesPerRecordWithFlippedLabelsForNoise()
    {
        var lines = Lines(TestbedFormat.Kto);
        Assert.Equal(2 * Records.Count, lines.Count);
        for (int i = 0; i < Records.Count; i++)
        {
            var r = Records[i];
            foreach (var e in new[] { lines[2 * i], lines[2 * i + 1] })
            {
                Assert.Equal(r.Id, S(e, "id"));
                Assert.Equal(r.Prompt, S(e, "prompt"));
                bool isClean = S(e, "completion") == r.Meta!.CleanOutput;
                Assert.Equal(isClean != r.Meta.Corrupted, e.GetProperty("label").GetBoolean());
            }
            Assert.NotEqual(S(lines[2 * i], "completion"), S(lines[2 * i + 1], "completion"));
        }
    }

    [Theory]
    [InlineData(TestbedFormat.Alpaca)]
    [InlineData(TestbedFormat.Chat)]
    [InlineData(TestbedFormat.Preference)]
    [InlineData(TestbedFormat.Kto)]
    public void HideStripsAnswerAndMetaAndTheKeyKeepsThem(TestbedFormat format)
    {
        foreach (var e in Lines(format, hide: true))
        {
            Assert.False(e.TryGetProperty("meta", out _));
            Assert.False(e.TryGetProperty("answer", out _));
            Assert.True(e.TryGetProperty("tags", out _));
        }
        var keyPath = Path.GetTempFileName();
        try
        {
            TestbedWriter.WriteKey(Records, keyPath);
            var key = TestbedReader.ReadKey(keyPath);
            Assert.Equal(Records.Count, key.Count);
            Assert.Equal(TestbedGenerator.CorruptedCount(Options.N, Options.Noise), key.Values.Count(k => k.Corrupted));
            foreach (var r in Records)
            {
                Assert.Equal(r.Meta!.Corrupted, key[r.Id].Corrupted);
                Assert.Equal(r.Meta.Corruption, key[r.Id].Corruption);
                Assert.True(TestbedChecker.Check(key[r.Id], r.Meta.CleanOutput).Correct);
            }
        }
        finally { File.Delete(keyPath); }
    }

    [Fact]
    public void AlpacaRoundTripsThroughTheReader()
    {
        var path = Path.GetTempFileName();
        try
        {
            TestbedWriter.Write(Records, path, TestbedFormat.Alpaca);
            var back = TestbedReader.ReadRecords(path).ToList();
            Assert.Equal(Records.Count, back.Count);
            for (int i = 0; i < back.Count; i++)
            {
                var (a, b) = (Records[i], back[i]);
                Assert.Equal((a.Id, a.Task, a.Domain, a.Difficulty, a.Instruction, a.Input, a.Output, a.Answer), (b.Id, b.Task, b.Domain, b.Difficulty, b.Instruction, b.Input, b.Output, b.Answer));
                Assert.Equal(a.Tags.Cognition, b.Tags.Cognition);
                Assert.Equal(a.Meta, b.Meta);
            }
            TestbedWriter.Write(Records, path, TestbedFormat.Alpaca, hideHidden: true);
            var hidden = TestbedReader.ReadRecords(path).First();
            Assert.Null(hidden.Answer);
            Assert.Null(hidden.Meta);
            Assert.Throws<ArgumentException>(() => TestbedChecker.Check(hidden, "Answer: 1"));
        }
        finally { File.Delete(path); }
    }
}
