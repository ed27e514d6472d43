using System.Text.Json.Nodes;
using Engine.Methods.Core.Data;
using Engine.Methods.Curriculum.CCL;
using Engine.Methods.Training.Data;
using Engine.Tests.TrainingData;

namespace Engine.Tests.Curriculum;

/// <summary>CCL's data-level view: a record's "paraphrase" replaces its user turn; the response tokens stay the same.</summary>
public class CclDataTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("ccl-data-").FullName;
    private static readonly ExampleTokenizer Tok = new(new CharTokenizer(), PlainChatRenderer.Instance, CharTokenizer.Eos);

    public void Dispose() => Directory.Delete(_dir, true);

    private string Write(params JsonObject[] records) => WriteAs("d.jsonl", records);

    private string WriteAs(string name, params JsonObject[] records)
    {
        var path = Path.Combine(_dir, name);
        File.WriteAllLines(path, records.Select(r => r.ToJsonString()));
        return path;
    }

    private static string Text(int[] ids) => new CharTokenizer().Decode(ids);
    private static int[] Response(SftExample e) => e.Labels.Where(l => l != LabelMask.Ignore).ToArray();

    [Fact]
    public void AParaphraseReplacesTheUserTurnAndKeepsTheResponse()
    {
        var path = Write(
            new JsonObject { ["instruction"] = "Give three tips for staying healthy.", ["input"] = "now", ["output"] = "Sleep.", ["paraphrase"] = "Give ten tips for keeping healthy." },
            new JsonObject { ["messages"] = new JsonArray(new JsonObject { ["role"] = "user", ["content"] = "Reverse abc." }, new JsonObject { ["role"] = "assistant", ["content"] = "cba" }),
                             ["paraphrase"] = "Write abc backwards." },
            new JsonObject { ["conversations"] = new JsonArray(new JsonObject { ["from"] = "human", ["value"] = "Hi?" }, new JsonObject { ["from"] = "gpt", ["value"] = "Hello." }),
                             ["paraphrase"] = "Hello?" },
            new JsonObject { ["prompt"] = "2+2=", ["completion"] = "4", ["paraphrase"] = "two plus two =" },
            new JsonObject { ["instruction"] = "No view here.", ["output"] = "Fine." });
        var (examples, report) = CclData.Load([path], Tok);
        Assert.Equal(5, report.Examples);
        Assert.Null(examples[4].View);
        string[] paraphrases = ["Give ten tips for keeping healthy.", "Write abc backwards.", "Hello?", "two plus two ="];
        for (int i = 0; i < 4; i++)
        {
            var (a, b) = (examples[i].Example, examples[i].View!);
            Assert.Equal(Response(a), Response(b));
            Assert.Contains(paraphrases[i], Text(b.InputIds));
            Assert.DoesNotContain(paraphrases[i], Text(a.InputIds));
        }
        Assert.DoesNotContain("now", Text(examples[0].View!.InputIds));   // Alpaca: the paraphrase replaces instruction and input
    }

    [Fact]
    public void ABadParaphraseIsAnErrorNamingTheLine()
    {
        var path = Write(new JsonObject { ["instruction"] = "a", ["output"] = "b" }, new JsonObject { ["instruction"] = "a", ["output"] = "b", ["paraphrase"] = 3 });
        var e = Assert.Throws<RecordFormatException>(() => CclData.Load([path], Tok));
        Assert.Contains("d.jsonl:2", e.Message);
        Assert.Contains("\"paraphrase\"", e.Message);
        var text = WriteAs("text.jsonl", new JsonObject { ["text"] = "plain", ["paraphrase"] = "other" });
        Assert.Contains("no user turn", Assert.Throws<RecordFormatException>(() => CclData.Load([text], Tok)).Message);
        // Skipping bad records reports them and keeps the good ones.
        var (kept, report) = CclData.Load([path], Tok, new DatasetOptions { SkipBadRecords = true });
        Assert.Single(kept);
        Assert.Equal(1, report.Skipped);
    }
}
