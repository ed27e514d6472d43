using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Engine.Methods.Core.Data;
using Engine.Methods.Training.Data;
using Engine.Models;
using Engine.Models.Chat;
using Engine.Models.Generation;

namespace Engine.Methods.Evaluation.Testbed;

public sealed record EvalOptions
{
    public IReadOnlyList<ITaskFamily> Tasks { get; init; } = TaskRegistry.All;
    public int N { get; init; } = 300;
    public int MinDifficulty { get; init; } = 1;
    public int MaxDifficulty { get; init; } = 1;
    public bool Cot { get; init; }
    public ulong Seed { get; init; } = 1;
    public TestbedSplit Split { get; init; } = TestbedSplit.Test;
    public int MaxNewTokens { get; init; } = 48;
    public int BatchSize { get; init; } = 16;
    public int Resamples { get; init; } = 2000;
}

public sealed record ItemResult(string Id, string Task, string Domain, int Difficulty, string Expected, string? Extracted, bool Correct, string Output);
public sealed record GroupAccuracy(string By, string Key, int N, int Correct, double Accuracy, double Lo, double Hi);

public sealed record EvalReport(string Model, int N, int Correct, double Accuracy, double Lo, double Hi, IReadOnlyList<GroupAccuracy> Groups, IReadOnlyList<ItemResult> Items)
{
    public string ToMarkdown()
    {
        var sb = new StringBuilder();
        sb.AppendLine(CultureInfo.InvariantCulture, $"Testbed accuracy of `{Model}`: **{Accuracy:P1}** ({Correct}/{N}), 95% CI [{Lo:P1}, {Hi:P1}]");
        sb.AppendLine();
        sb.AppendLine("| by | group | n | correct | accuracy | 95% CI |");
        sb.AppendLine("|---|---|---:|---:|---:|---|");
        foreach (var g in Groups)
            sb.AppendLine(CultureInfo.InvariantCulture, $"| {g.By} | {g.Key} | {g.N} | {g.Correct} | {g.Accuracy:P1} | [{g.Lo:P1}, {g.Hi:P1}] |");
        return sb.ToString();
    }

    public JsonObject ToJson() => new()
    {
        ["model"] = Model, ["n"] = N, ["correct"] = Correct, ["accuracy"] = Accuracy, ["ci95"] = new JsonArray(Lo, Hi),
        ["groups"] = new JsonArray(Groups.Select(g => (JsonNode)new JsonObject
        {
            ["by"] = g.By, ["key"] = g.Key, ["n"] = g.N, ["correct"] = g.Correct, ["accuracy"] = g.Accuracy, ["ci95"] = new JsonArray(g.Lo, g.Hi),
        }).ToArray()),
    };
}

/// <summary>
/// The testbed's evaluation harness: generates held-out items, asks the model (greedy, prompt rendered exactly as
/// SFT renders it: the chat template, else the plain fallback), checks each answer exactly, and reports accuracy
/// overall and per task, domain and difficulty with percentile-bootstrap confidence intervals.
/// </summary>
public static class TestbedEvaluator
{
    public static EvalReport Evaluate(ModelBundle bundle, EvalOptions o, Action<int>? progress = null)
    {
        var items = TestbedGenerator.Generate(new TestbedOptions
        {
            Tasks = o.Tasks, N = o.N, MinDifficulty = o.MinDifficulty, MaxDifficulty = o.MaxDifficulty, Cot = o.Cot, Seed = o.Seed, Split = o.Split,
        });
        return Evaluate(bundle, items, o, progress);
    }

    /// <summary>The same on given items (e.g. a fixed number per domain); generation length, batch and resamples from <paramref name="o"/>.</summary>
    public static EvalReport Evaluate(ModelBundle bundle, IReadOnlyList<TestbedRecord> items, EvalOptions o, Action<int>? progress = null)
    {
        var et = ExampleTokenizer.FromModel(bundle);
        var prompts = items.Select(r => PromptIds(et, r)).ToArray();
        var gen = new TextGenerator(bundle.Model, bundle.Tokenizer);
        var sampling = new SamplingOptions { MaxNewTokens = o.MaxNewTokens, Temperature = 0, EosTokenIds = bundle.EosTokenIds };
        var results = new List<ItemResult>();
        for (int start = 0; start < items.Count; start += o.BatchSize)
        {
            var batch = Enumerable.Range(start, Math.Min(o.BatchSize, items.Count - start)).ToArray();
            var outs = gen.Generate(batch.Select(i => prompts[i]).ToArray(), sampling);
            for (int j = 0; j < batch.Length; j++)
            {
                var r = items[batch[j]];
                var check = TestbedChecker.Check(r, outs[j].Text);
                results.Add(new ItemResult(r.Id, r.Task, r.Domain, r.Difficulty, check.Expected, check.Extracted, check.Correct, outs[j].Text));
            }
            progress?.Invoke(batch.Length);
        }
        return Summarise(bundle.Directory, results, o.Resamples);
    }

    public static int[] PromptIds(ExampleTokenizer et, TestbedRecord r)
    {
        var user = string.IsNullOrEmpty(r.Input) ? r.Instruction : r.Instruction + RecordParser.InstructionInputJoiner + r.Input;
        var text = et.Renderer.Render([new ChatMessage(RecordParser.User, user)], addGenerationPrompt: true);
        var ids = et.Tokenizer.Encode(text, addSpecialTokens: false);
        return et.BosId is { } bos && (ids.Length == 0 || ids[0] != bos) ? [bos, .. ids] : ids;
    }

    public static EvalReport Summarise(string model, IReadOnlyList<ItemResult> results, int resamples)
    {
        var all = results.Select(r => r.Correct).ToArray();
        var (lo, hi) = Bootstrap.Interval(all, resamples);
        var groups = new List<GroupAccuracy>();
        void By(string name, Func<ItemResult, string> key)
        {
            foreach (var g in results.GroupBy(key).OrderBy(g => g.Key, StringComparer.Ordinal))
            {
                var outcomes = g.Select(r => r.Correct).ToArray();
                var (l, h) = Bootstrap.Interval(outcomes, resamples);
                int c = outcomes.Count(x => x);
                groups.Add(new GroupAccuracy(name, g.Key, outcomes.Length, c, (double)c / outcomes.Length, l, h));
            }
        }
        By("task", r => r.Task);
        By("domain", r => r.Domain);
        By("difficulty", r => r.Difficulty.ToString(CultureInfo.InvariantCulture));
        int correct = all.Count(x => x);
        return new EvalReport(model, all.Length, correct, all.Length == 0 ? 0 : (double)correct / all.Length, lo, hi, groups, results);
    }
}
