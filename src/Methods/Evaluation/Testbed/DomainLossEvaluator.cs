using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Engine.Methods.Core.Data;
using Engine.Methods.Training;
using Engine.Methods.Training.Data;
using Engine.Models;
using Engine.Models.Chat;
using Engine.Runtime;

namespace Engine.Methods.Evaluation.Testbed;

/// <summary>One domain's held-out loss: token-mean cross-entropy of the reference responses, with a bootstrap CI over items.</summary>
public sealed record DomainLoss(string Domain, int Items, long Tokens, double Loss, double Lo, double Hi);

/// <summary>Held-out loss per domain, the worst domain and the mean over domains.</summary>
public sealed record DomainLossReport(string Model, IReadOnlyList<DomainLoss> Domains)
{
    public DomainLoss Worst => Domains.MaxBy(d => d.Loss)!;
    /// <summary>The mean of the per-domain losses (each domain counts once, whatever its size).</summary>
    public double Average => Domains.Average(d => d.Loss);

    public string ToMarkdown()
    {
        var sb = new StringBuilder();
        sb.AppendLine(CultureInfo.InvariantCulture, $"Held-out loss of `{Model}` per domain (token-mean cross-entropy of the reference responses): average **{Average:F4}**, worst **{Worst.Loss:F4}** ({Worst.Domain})");
        sb.AppendLine();
        sb.AppendLine("| domain | items | tokens | loss | 95% CI |");
        sb.AppendLine("|---|---:|---:|---:|---|");
        foreach (var d in Domains)
            sb.AppendLine(CultureInfo.InvariantCulture, $"| {d.Domain} | {d.Items} | {d.Tokens} | {d.Loss:F4} | [{d.Lo:F4}, {d.Hi:F4}] |");
        return sb.ToString();
    }

    public JsonObject ToJson() => new()
    {
        ["model"] = Model, ["average"] = Average, ["worst"] = Worst.Loss, ["worst_domain"] = Worst.Domain,
        ["domains"] = new JsonArray(Domains.Select(d => (JsonNode)new JsonObject
        {
            ["domain"] = d.Domain, ["items"] = d.Items, ["tokens"] = d.Tokens, ["loss"] = d.Loss, ["ci95"] = new JsonArray(d.Lo, d.Hi),
        }).ToArray()),
    };
}

/// <summary>
/// Held-out loss per domain on testbed items: each item's clean reference response is scored (teacher forcing, the
/// prompt rendered exactly as SFT renders it, loss on the response tokens only) and the token-mean cross-entropy is
/// reported per domain with a percentile-bootstrap interval over items.
/// </summary>
public static class DomainLossEvaluator
{
    public static DomainLossReport Evaluate(ModelBundle bundle, EvalOptions o, Action<int>? progress = null)
    {
        var items = TestbedGenerator.Generate(new TestbedOptions
        {
            Tasks = o.Tasks, N = o.N, MinDifficulty = o.MinDifficulty, MaxDifficulty = o.MaxDifficulty, Cot = o.Cot, Seed = o.Seed, Split = o.Split,
        });
        return Evaluate(bundle, items, o.BatchSize, o.Resamples, progress);
    }

    /// <summary>The per-domain loss of <paramref name="items"/> (their clean responses).</summary>
    public static DomainLossReport Evaluate(ModelBundle bundle, IReadOnlyList<TestbedRecord> items, int batchSize = 16, int resamples = 2000, Action<int>? progress = null)
    {
        var et = ExampleTokenizer.FromModel(bundle);
        var examples = items.Select((r, i) =>
        {
            var user = string.IsNullOrEmpty(r.Input) ? r.Instruction : r.Instruction + RecordParser.InstructionInputJoiner + r.Input;
            var response = r.Meta?.CleanOutput ?? r.Output;
            var record = new SftRecord(DatasetFormat.Messages, null, [new ChatMessage(RecordParser.User, user), new ChatMessage(RecordParser.Assistant, response)],
                true, r.Id, new DataRow("testbed", i + 1, []));
            return et.ToSft(record) ?? throw new InvalidOperationException($"Testbed item {r.Id} has no response tokens to score.");
        }).ToArray();
        var (sums, counts) = TokenLosses(bundle, examples, batchSize, progress);
        var domains = new List<DomainLoss>();
        foreach (var g in Enumerable.Range(0, items.Count).GroupBy(i => items[i].Domain).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            var num = g.Select(i => sums[i]).ToArray();
            var den = g.Select(i => (double)counts[i]).ToArray();
            var (lo, hi) = RatioBootstrap.Interval(num, den, resamples);
            domains.Add(new DomainLoss(g.Key, num.Length, (long)den.Sum(), num.Sum() / den.Sum(), lo, hi));
        }
        return new DomainLossReport(bundle.Directory, domains);
    }

    /// <summary>Σ token cross-entropy and the number of scored tokens of each example (no gradients, the model's device).</summary>
    public static (double[] Sums, int[] Counts) TokenLosses(ModelBundle bundle, IReadOnlyList<SftExample> examples, int batchSize, Action<int>? progress = null)
    {
        var model = bundle.Model;
        int pad = bundle.Tokenizer.PadTokenId ?? bundle.Tokenizer.EosTokenId ?? 0;
        var sums = new double[examples.Count]; var counts = new int[examples.Count];
        using var _ = Autograd.NoGrad();
        for (int start = 0; start < examples.Count; start += batchSize)
        {
            int n = Math.Min(batchSize, examples.Count - start);
            var batch = TokenBatch.FromSft(examples.Skip(start).Take(n).ToArray(), 0, pad).To(model.Device);
            var logits = model.Forward(batch.Ids, batch.KeyMask);
            int b = batch.Rows, t = batch.Time, v = logits.Size(-1);
            var rows = Ops.Sum(Ops.CrossEntropy(logits.Reshape(b * t, v), batch.Targets.Reshape(b * t), LabelMask.Ignore, Reduction.None).Reshape(b, t), 1).ToDoubleArray();
            for (int i = 0; i < n; i++) { sums[start + i] = rows[i]; counts[start + i] = batch.CountedTokens[i]; }
            progress?.Invoke(n);
        }
        return (sums, counts);
    }
}
