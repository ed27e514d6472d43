using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Engine.Methods.Synthesis.APT;

/// <summary>How a judged set came out: records, scored, skipped (with the most common reasons), below the threshold, per-score counts.</summary>
public sealed record AptJudgedSet(int Records, int Scored, int Skipped, int Bad, int[] ScoreCounts, IReadOnlyList<string> SkipReasons)
{
    /// <summary>Share of the scored records at or above the threshold (the judge's accuracy); NaN when none was scored.</summary>
    public double Accuracy => Scored == 0 ? double.NaN : (double)(Scored - Bad) / Scored;
    public double MeanScore => Scored == 0 ? double.NaN : Enumerable.Range(1, 5).Sum(s => s * ScoreCounts[s - 1]) / (double)Scored;

    public JsonObject ToJson() => new()
    {
        ["records"] = Records, ["scored"] = Scored, ["skipped"] = Skipped, ["below_threshold"] = Bad,
        ["accuracy"] = Num(Accuracy), ["mean_score"] = Num(MeanScore),
        ["score_counts"] = new JsonArray(ScoreCounts.Select(c => (JsonNode)c).ToArray()),
        ["skip_reasons"] = new JsonArray(SkipReasons.Select(r => (JsonNode)r).ToArray()),
    };

    internal static JsonNode? Num(double v) => double.IsFinite(v) ? v : null;
}

/// <summary>
/// One iteration t: the evaluation of the model M_t it starts from (bad-case count, domain accuracy on the evaluation
/// set, general accuracy when a general set is given) and, unless it is the last, what M_t was trained on (bad cases
/// that drive retrieval, similar cases retrieved, pairs built and dropped) and how training went.
/// </summary>
public sealed record AptIterationReport
{
    public required int Iteration { get; init; }
    public required string Model { get; init; }
    public required AptJudgedSet Domain { get; init; }
    public AptJudgedSet? General { get; init; }
    /// <summary>Bad cases without a gold response (they cannot be a pair).</summary>
    public int BadWithoutGold { get; init; }
    public int RetrievalCases { get; init; }
    public int Retrieved { get; init; }
    public int Pairs { get; init; }
    public int SimilarPairs { get; init; }
    public int BadPairs { get; init; }
    public int DroppedBadPairs { get; init; }
    public int DroppedSimilarPairs { get; init; }
    public long TrainSteps { get; init; }
    public double? TrainLoss { get; init; }
    /// <summary>Why the loop stopped after this evaluation (null: it trained and went on).</summary>
    public string? Stop { get; init; }

    public JsonObject ToJson() => new()
    {
        ["iteration"] = Iteration, ["model"] = Model, ["bad_cases"] = Domain.Bad,
        ["domain_accuracy"] = AptJudgedSet.Num(Domain.Accuracy), ["general_accuracy"] = General is null ? null : AptJudgedSet.Num(General.Accuracy),
        ["domain"] = Domain.ToJson(), ["general"] = General?.ToJson(),
        ["bad_without_gold"] = BadWithoutGold, ["retrieval_cases"] = RetrievalCases, ["retrieved"] = Retrieved,
        ["pairs"] = Pairs, ["similar_pairs"] = SimilarPairs, ["bad_pairs"] = BadPairs,
        ["dropped_bad_pairs"] = DroppedBadPairs, ["dropped_similar_pairs"] = DroppedSimilarPairs,
        ["train_steps"] = TrainSteps, ["train_loss"] = TrainLoss is { } l ? AptJudgedSet.Num(l) : null, ["stop"] = Stop,
    };

    public static string Markdown(IReadOnlyList<AptIterationReport> reports)
    {
        var sb = new StringBuilder();
        sb.AppendLine("| iteration | bad cases | domain accuracy (judge) | general accuracy (judge) | skipped | retrieved | pairs (similar + bad) | dropped | train steps | loss | note |");
        sb.AppendLine("|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|---|");
        foreach (var r in reports)
            sb.AppendLine(CultureInfo.InvariantCulture,
                $"| {r.Iteration} | {r.Domain.Bad} | {Pct(r.Domain.Accuracy)} ({r.Domain.Scored}) | {(r.General is { } g ? $"{Pct(g.Accuracy)} ({g.Scored})" : "–")} | {r.Domain.Skipped} | {r.Retrieved} | {r.Pairs} ({r.SimilarPairs} + {r.BadPairs}) | {r.DroppedBadPairs + r.DroppedSimilarPairs} | {r.TrainSteps} | {(r.TrainLoss is { } l ? l.ToString("F4", CultureInfo.InvariantCulture) : "–")} | {r.Stop ?? ""} |");
        return sb.ToString();
    }

    private static string Pct(double v) => double.IsFinite(v) ? v.ToString("P1", CultureInfo.InvariantCulture) : "–";

    public static void Write(string path, JsonNode node)
    {
        var tmp = path + ".tmp";
        File.WriteAllText(tmp, node.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n", new UTF8Encoding(false));
        File.Move(tmp, path, overwrite: true);
    }
}
