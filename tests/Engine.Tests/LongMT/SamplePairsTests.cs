using System.Text.Json.Nodes;
using Engine.Methods.Core.Data;
using Engine.Methods.Core.Jobs;
using Engine.Methods.Synthesis.LongMT;
using Engine.Tests.TrainingData;

namespace Engine.Tests.LongMT;

/// <summary>
/// <c>longmt sample</c> end to end with a scripted model whose translation is right only when the prompt shows earlier
/// sentence pairs (view_pages): the search must prefer view_pages, and its pairs must be standard preference records.
/// </summary>
public class SamplePairsTests
{
    private static readonly LongMtOptions Options = new()
    {
        SourceLanguage = "en", TargetLanguage = "de", PageTokens = 1000, MaxPageSentences = 2, MaxRetries = 1, Memory = MemoryWriterKind.Rules,
    };

    /// <summary>Lower case, with "karo" misspelt "caro" unless earlier pairs are in the prompt.</summary>
    private static ScriptedChatClient Client() => new()
    {
        AnswerWithPrompt = (prompt, s) => ScriptedChatClient.Render(s.Select(x => prompt.Contains("[Target]") ? x.ToLowerInvariant() : x.ToLowerInvariant().Replace("karo", "caro")).ToList()),
    };

    [Theory]
    [InlineData(SearchKind.Mcts)]
    [InlineData(SearchKind.Greedy)]
    public void TheSearchPrefersTheHelpfulModuleAndItsPairsAreStandardPreferenceRecords(SearchKind kind)
    {
        using var dir = new TempDir();
        var lines = Enumerable.Range(0, 6).Select(i => $"Karo walks to place {i} today.").ToList();
        var input = dir.Write("docs.jsonl", new JsonObject
        {
            ["id"] = "d", ["text"] = string.Join("\n", lines), ["reference"] = string.Join("\n", lines.Select(l => l.ToLowerInvariant())),
        }.ToJsonString());
        var search = new SearchOptions { Strategy = kind, Simulations = 24, SamplesPerChild = 2, EntityWeight = 0, MinGap = 0.01 };
        var agent = new LongMtAgent(Client(), Options, LongMtPrompts.Default, new ApproxPromptMeter(4096), new HashedNgramEmbedder(), search);
        var output = dir.File("sample.jsonl");
        LongMtJob.Run(agent, "scripted", new JobOptions { Input = input, Output = output });

        var doc = JsonNode.Parse(File.ReadAllLines(output).Single())!;
        var pages = doc["pages"]!.AsArray();
        Assert.Equal(3, pages.Count);
        // Pages 2 and 3 have memory: the search settles on a path with view_pages, and the page is right.
        Assert.All(pages.Skip(1), p => Assert.Contains(p!["calls"]!.AsArray(), c => c!["module"]!.GetValue<string>() == "view_pages"));
        Assert.Equal(string.Join("\n", lines.Select(l => l.ToLowerInvariant()).Skip(2)), string.Join("\n", doc["translation"]!.GetValue<string>().Split('\n').Skip(2)));

        var pairsPath = dir.File("pairs.jsonl");
        int n = LongMtPairs.Export(output, pairsPath, "module");
        Assert.True(n >= 2, $"{n} module pairs");
        int row = 0;
        foreach (var line in File.ReadLines(pairsPath))
        {
            var json = (JsonObject)JsonNode.Parse(line)!;
            var pref = DataRecord.Parse(new DataRow(pairsPath, ++row, json)).ToPreference();
            Assert.Equal("user", pref.Prompt[^1].Role);                 // the decision's prompt ends with the user's turn
            Assert.Equal("system", pref.Prompt[0].Role);
            Assert.NotEqual(pref.Chosen.Single().Content, pref.Rejected.Single().Content);
            Assert.True(json["chosen_score"]!.GetValue<double>() > json["rejected_score"]!.GetValue<double>());
            Assert.StartsWith("[Selection]", pref.Chosen.Single().Content);
        }
        // At the first decision of a page, the winner calls view_pages (directly or after summaries), never END.
        var first = File.ReadLines(pairsPath).Select(l => JsonNode.Parse(l)!).Where(j => j["level"]!.GetValue<int>() == 0).ToList();
        Assert.NotEmpty(first);
        Assert.All(first, j => Assert.NotEqual("[Selection]\nEND", j["chosen"]![0]!["content"]!.GetValue<string>()));
    }
}
