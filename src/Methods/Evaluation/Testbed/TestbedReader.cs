using System.Text.Json.Nodes;

namespace Engine.Methods.Evaluation.Testbed;

/// <summary>One line of a key file: the hidden truth about a record.</summary>
public sealed record KeyEntry(string Id, bool Corrupted, CorruptionKind? Corruption, string Task, string Domain, int Difficulty, string Answer);

/// <summary>Reads back alpaca-format records (the full record schema, hidden fields optional) and key files.</summary>
public static class TestbedReader
{
    public static IEnumerable<TestbedRecord> ReadRecords(string path)
    {
        foreach (var (line, no) in Lines(path))
        {
            var o = Parse(line, path, no);
            var tags = o["tags"] as JsonObject;
            RecordMeta? meta = null;
            if (o["meta"] is JsonObject m)
            {
                var kind = m["corruption"]?.GetValue<string>();
                meta = new RecordMeta(m["corrupted"]!.GetValue<bool>(), kind is null ? null : CorruptionKinds.Parse(kind),
                    m["clean_output"]!.GetValue<string>(), m["seed"]!.GetValue<ulong>(), m["negative_output"]!.GetValue<string>(),
                    CorruptionKinds.Parse(m["negative_kind"]!.GetValue<string>()));
            }
            yield return new TestbedRecord(Str(o, "id", path, no), Str(o, "task", path, no), Str(o, "domain", path, no),
                o["difficulty"]?.GetValue<int>() ?? 0, Str(o, "instruction", path, no), o["input"]?.GetValue<string>() ?? "",
                Str(o, "output", path, no), o["answer"]?.GetValue<string>(),
                new CdtTags(List(tags?["cognition"]), List(tags?["domain"]), List(tags?["task"])), meta);
        }
    }

    public static Dictionary<string, KeyEntry> ReadKey(string path)
    {
        var key = new Dictionary<string, KeyEntry>(StringComparer.Ordinal);
        foreach (var (line, no) in Lines(path))
        {
            var o = Parse(line, path, no);
            var kind = o["corruption"]?.GetValue<string>();
            var e = new KeyEntry(Str(o, "id", path, no), o["corrupted"]!.GetValue<bool>(), kind is null ? null : CorruptionKinds.Parse(kind),
                Str(o, "task", path, no), Str(o, "domain", path, no), o["difficulty"]!.GetValue<int>(), Str(o, "answer", path, no));
            if (!key.TryAdd(e.Id, e)) throw new FormatException($"{path}:{no}: duplicate id '{e.Id}' in key file.");
        }
        return key;
    }

    /// <summary>Reads "id" → "score" from a JSONL file of {"id": ..., "score": number}.</summary>
    public static Dictionary<string, double> ReadScores(string path)
    {
        var scores = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var (line, no) in Lines(path))
        {
            var o = Parse(line, path, no);
            var id = Str(o, "id", path, no);
            var score = o["score"]?.GetValue<double>() ?? throw new FormatException($"{path}:{no}: missing numeric 'score'.");
            if (!scores.TryAdd(id, score)) throw new FormatException($"{path}:{no}: duplicate id '{id}' in scores.");
        }
        return scores;
    }

    private static IEnumerable<(string Line, int No)> Lines(string path)
    {
        int no = 0;
        foreach (var line in File.ReadLines(path))
        {
            no++;
            if (!string.IsNullOrWhiteSpace(line)) yield return (line, no);
        }
    }

    private static JsonObject Parse(string line, string path, int no) =>
        JsonNode.Parse(line) as JsonObject ?? throw new FormatException($"{path}:{no}: not a JSON object.");

    private static string Str(JsonObject o, string name, string path, int no) =>
        o[name]?.GetValue<string>() ?? throw new FormatException($"{path}:{no}: missing string field '{name}'.");

    private static List<string> List(JsonNode? node) => node is JsonArray a ? a.Select(x => x!.GetValue<string>()).ToList() : [];
}
