using System.Text.Json.Nodes;

namespace Engine.Methods.Synthesis.SeaPO;

/// <summary>
/// From injection lines to the unpaired KTO data set, as pure functions. Every record with an accepted negative
/// gives two rows: (prompt, correct response, true) and (prompt, negative, false). Targeted: the negative of the one
/// type. Mixed: one negative per record, picked once (a static data set, deterministic from the seed and the record's
/// index) uniformly among the record's accepted negatives. A record whose negative is refused gives no rows at all, so
/// the data stays 1:1 desirable/undesirable, as the paper's is.
/// </summary>
public static class SeaPoKto
{
    /// <summary>The position in [0, count) that the mixed mode picks for record <paramref name="index"/> (SplitMix64 of seed and index).</summary>
    public static int PickMixed(ulong seed, long index, int count)
    {
        if (count < 1) throw new ArgumentOutOfRangeException(nameof(count));
        ulong z = seed + 0x9E3779B97F4A7C15UL * (ulong)(index + 1);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        z ^= z >> 31;
        return (int)(z % (ulong)count);
    }

    /// <summary>The negative a record contributes (type and text), or null when none of the wanted types was accepted.</summary>
    public static (SeaPoErrorType Type, string Negative)? Choose(JsonObject line, SeaPoMode mode, IReadOnlyList<SeaPoErrorType> types, ulong seed)
    {
        var accepted = new List<(SeaPoErrorType, string)>();
        foreach (var inj in line["injections"]!.AsArray())
        {
            var type = SeaPoErrorTypes.Parse((string)inj!["type"]!);
            if (!types.Contains(type) || inj["rejected"] is not null) continue;
            accepted.Add((type, (string)inj["negative"]!));
        }
        // Order by the requested type order, so the pick does not depend on the order the injection run used.
        accepted.Sort((a, b) => IndexOf(types, a.Item1).CompareTo(IndexOf(types, b.Item1)));
        if (accepted.Count == 0) return null;
        if (mode == SeaPoMode.Targeted)
        {
            if (types.Count != 1) throw new ArgumentException("SeaPO: targeted mode takes one error type.");
            return accepted[0];
        }
        return accepted[PickMixed(seed, IndexOf(line), accepted.Count)];
    }

    /// <summary>The record's index, whether the line was built in memory (any integer type) or read from a file.</summary>
    private static long IndexOf(JsonObject line) =>
        long.Parse(line["index"]?.ToJsonString() ?? throw new ArgumentException("SeaPO: an injection line has no \"index\"."), System.Globalization.CultureInfo.InvariantCulture);

    private static int IndexOf(IReadOnlyList<SeaPoErrorType> types, SeaPoErrorType t) { for (int i = 0; i < types.Count; i++) if (types[i] == t) return i; return -1; }

    /// <summary>The two KTO rows of a record (desirable, undesirable): prompt/completion/label in the community format (message lists for chat records, strings otherwise).</summary>
    public static JsonObject[] Rows(JsonObject line, SeaPoErrorType type, string negative)
    {
        bool chat = (bool)line["conversational"]!;
        var prompt = line["prompt"]!.AsArray();
        JsonNode Prompt() => chat ? prompt.DeepClone() : JsonValue.Create((string)prompt[^1]!["content"]!)!;
        JsonNode Completion(string text) => chat ? new JsonArray(new JsonObject { ["role"] = "assistant", ["content"] = text }) : JsonValue.Create(text)!;
        JsonObject Row(string text, bool label)
        {
            var o = new JsonObject();
            if (line["id"] is { } id) o["id"] = id.DeepClone();
            o["prompt"] = Prompt();
            o["completion"] = Completion(text);
            o["label"] = label;
            o["error_type"] = type.Name();
            return o;
        }
        return [Row((string)line["response"]!, true), Row(negative, false)];
    }
}
