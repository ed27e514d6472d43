using System.Text.Json.Nodes;

namespace Engine.Methods.Synthesis.SeaPO;

/// <summary>
/// What one injection run produced: per error type, how many negatives were injected, accepted and refused by each
/// guard (with a few examples of each refusal), and how many records made it into the KTO file. Written as
/// <c>&lt;output&gt;.rejections.json</c> beside the KTO file.
/// </summary>
public sealed class SeaPoReport
{
    private const int ExamplesPerGuard = 3;

    public int Records { get; private set; }
    public int KtoRecords { get; private set; }
    public int KtoRows => 2 * KtoRecords;
    public Dictionary<SeaPoErrorType, int> Injected { get; } = [];
    public Dictionary<SeaPoErrorType, int> Accepted { get; } = [];
    public Dictionary<(SeaPoErrorType, SeaPoGuard), int> Rejected { get; } = [];
    /// <summary>Records whose negative went into the KTO file, per type.</summary>
    public Dictionary<SeaPoErrorType, int> Used { get; } = [];
    private readonly Dictionary<(SeaPoErrorType, SeaPoGuard), List<JsonObject>> _examples = [];

    public void Add(JsonObject line, SeaPoErrorType? used)
    {
        Records++;
        foreach (var inj in line["injections"]!.AsArray())
        {
            var type = SeaPoErrorTypes.Parse((string)inj!["type"]!);
            Injected[type] = Injected.GetValueOrDefault(type) + 1;
            if (inj["rejected"] is { } g)
            {
                var guard = Enum.GetValues<SeaPoGuard>().First(x => x.Name() == (string)g!);
                Rejected[(type, guard)] = Rejected.GetValueOrDefault((type, guard)) + 1;
                var list = _examples.TryGetValue((type, guard), out var l) ? l : _examples[(type, guard)] = [];
                if (list.Count < ExamplesPerGuard) list.Add(new JsonObject { ["index"] = line["index"]!.DeepClone(), ["response"] = line["response"]!.DeepClone(), ["output"] = inj["output"]!.DeepClone() });
            }
            else Accepted[type] = Accepted.GetValueOrDefault(type) + 1;
        }
        if (used is { } u) { KtoRecords++; Used[u] = Used.GetValueOrDefault(u) + 1; }
    }

    public int RejectedBy(SeaPoErrorType type, SeaPoGuard guard) => Rejected.GetValueOrDefault((type, guard));

    public JsonObject ToJson()
    {
        var types = new JsonObject();
        foreach (var t in Injected.Keys.OrderBy(t => t))
        {
            var rejected = new JsonObject();
            var examples = new JsonObject();
            foreach (var g in Enum.GetValues<SeaPoGuard>())
            {
                rejected[g.Name()] = RejectedBy(t, g);
                if (_examples.TryGetValue((t, g), out var ex)) examples[g.Name()] = new JsonArray(ex.Select(e => (JsonNode)e.DeepClone()).ToArray());
            }
            types[t.Name()] = new JsonObject
            {
                ["injected"] = Injected[t], ["accepted"] = Accepted.GetValueOrDefault(t), ["rejected"] = rejected,
                ["used_in_kto"] = Used.GetValueOrDefault(t), ["examples"] = examples,
            };
        }
        return new JsonObject { ["records"] = Records, ["kto_records"] = KtoRecords, ["kto_rows"] = KtoRows, ["records_without_negative"] = Records - KtoRecords, ["types"] = types };
    }

    public override string ToString() =>
        $"{Records} records, {KtoRecords} with an accepted negative ({KtoRows} KTO rows); " +
        string.Join("; ", Injected.Keys.OrderBy(t => t).Select(t => $"{t.Name()}: {Accepted.GetValueOrDefault(t)}/{Injected[t]} accepted" +
            string.Concat(Enum.GetValues<SeaPoGuard>().Where(g => RejectedBy(t, g) > 0).Select(g => $", {RejectedBy(t, g)} {g.Name()}"))));
}
