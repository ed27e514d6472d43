using System.Text.Json.Nodes;
using Engine.Methods.Evaluation.Testbed;
using Engine.Methods.Synthesis.AQuilt;

namespace Engine.Methods.Evaluation.Experiments;

/// <summary>
/// One finished seed of the AQuilt experiment on disk (<c>seed-N/result.json</c>): the synthesis counts and every
/// student's per-item outcomes, so a later run skips the seed (a run cut short resumes at the next seed) and seeds run
/// as separate processes pool into one table.
/// </summary>
public static class AQuiltSeedResultFile
{
    public const string Name = "result.json";

    /// <summary>The options a seed's result depends on (not the seed count or the first seed, so seeds may run as separate processes).</summary>
    public static string OptionsKey(AQuiltExperimentOptions o) => (o with { Seeds = 0, FirstSeed = 0 }).ToString();

    public static void Write(string seedDir, AQuiltSeedResult r, AQuiltExperimentOptions options)
    {
        var st = r.Synthesis;
        var o = new JsonObject
        {
            ["options"] = OptionsKey(options), ["seed"] = (long)r.Seed, ["elapsed_s"] = r.Elapsed.TotalSeconds,
            ["synthesis"] = new JsonObject
            {
                ["samples"] = st.Samples, ["parsed"] = st.Parsed, ["parsed_correct"] = st.ParsedCorrect, ["kept"] = st.Kept, ["kept_correct"] = st.KeptCorrect,
                ["score_buckets"] = new JsonArray(st.ScoreBuckets.Select(b => (JsonNode)b).ToArray()),
                ["filter"] = st.Filter.ToJson(),
                ["correct_by_score"] = new JsonObject(st.CorrectByScore.OrderBy(kv => kv.Key).Select(kv =>
                    KeyValuePair.Create(kv.Key.ToString(System.Globalization.CultureInfo.InvariantCulture), (JsonNode?)new JsonArray(kv.Value.N, kv.Value.Correct)))),
            },
            ["arms"] = new JsonArray(r.Arms.Select(a => (JsonNode)new JsonObject
            {
                ["name"] = a.Name, ["extra"] = a.ExtraExamples, ["model"] = a.Eval.Model,
                ["items"] = new JsonArray(a.Eval.Items.Select(i => (JsonNode)new JsonObject
                {
                    ["id"] = i.Id, ["task"] = i.Task, ["domain"] = i.Domain, ["difficulty"] = i.Difficulty, ["expected"] = i.Expected,
                    ["extracted"] = i.Extracted, ["correct"] = i.Correct, ["output"] = i.Output,
                }).ToArray()),
            }).ToArray()),
        };
        var path = Path.Combine(seedDir, Name);
        File.WriteAllText(path + ".tmp", o.ToJsonString() + "\n");
        File.Move(path + ".tmp", path, overwrite: true);
    }

    /// <summary>The seed's result, or null when it has not finished; a result made with other options is an error (never mixed in).</summary>
    public static AQuiltSeedResult? TryRead(string seedDir, AQuiltExperimentOptions options)
    {
        var path = Path.Combine(seedDir, Name);
        if (!File.Exists(path)) return null;
        var o = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
        var made = o["options"]?.GetValue<string>();
        if (made != OptionsKey(options))
            throw new InvalidOperationException($"{path} was made with other options ({made}); use another --work folder or delete it.");
        var s = o["synthesis"]!.AsObject();
        var f = s["filter"]!.AsObject();
        KeepDecision? decision = f["keep_rule"] is JsonObject k
            ? new KeepDecision([0, .. k["buckets"]!.AsArray().Select(b => b!.GetValue<int>())], k["scored"]!.GetValue<int>(), k["low_share"]!.GetValue<double>(), k["min_score"]!.GetValue<int>())
            : null;
        var filter = new FilterReport(f["read"]!.GetValue<long>(), f["kept"]!.GetValue<long>(),
            f["dropped"]!.AsObject().ToDictionary(kv => kv.Key, kv => kv.Value!.GetValue<long>()), decision);
        var byScore = s["correct_by_score"]!.AsObject().ToDictionary(kv => int.Parse(kv.Key, System.Globalization.CultureInfo.InvariantCulture),
            kv => (kv.Value![0]!.GetValue<int>(), kv.Value![1]!.GetValue<int>()));
        var stats = new AQuiltSynthesisStats(s["samples"]!.GetValue<int>(), s["parsed"]!.GetValue<int>(), s["parsed_correct"]!.GetValue<int>(),
            s["kept"]!.GetValue<int>(), s["kept_correct"]!.GetValue<int>(), s["score_buckets"]!.AsArray().Select(b => b!.GetValue<int>()).ToArray(), filter, byScore);
        var arms = o["arms"]!.AsArray().Select(a => new AQuiltArm(a!["name"]!.GetValue<string>(), a["extra"]!.GetValue<int>(),
            TestbedEvaluator.Summarise(a["model"]!.GetValue<string>(), a["items"]!.AsArray().Select(i => new ItemResult(i!["id"]!.GetValue<string>(), i["task"]!.GetValue<string>(),
                i["domain"]!.GetValue<string>(), i["difficulty"]!.GetValue<int>(), i["expected"]!.GetValue<string>(), i["extracted"]?.GetValue<string>(),
                i["correct"]!.GetValue<bool>(), i["output"]!.GetValue<string>())).ToList(), new EvalOptions().Resamples))).ToList();
        return new AQuiltSeedResult(o["seed"]!.GetValue<ulong>(), stats, arms, TimeSpan.FromSeconds(o["elapsed_s"]!.GetValue<double>()));
    }
}
