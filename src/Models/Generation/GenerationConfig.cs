using System.Text.Json.Nodes;

namespace Engine.Models.Generation;

/// <summary>generation_config.json: the model's default decoding settings and end-of-sequence ids.</summary>
public sealed record GenerationConfig
{
    public int[] EosTokenIds { get; init; } = [];
    public int? BosTokenId { get; init; }
    public int? PadTokenId { get; init; }
    public bool DoSample { get; init; }
    public double? Temperature { get; init; }
    public int? TopK { get; init; }
    public double? TopP { get; init; }
    public double? MinP { get; init; }
    public double? RepetitionPenalty { get; init; }
    public int? MaxNewTokens { get; init; }

    public static GenerationConfig? Load(string dir)
    {
        var path = Path.Combine(dir, "generation_config.json");
        if (!File.Exists(path)) return null;
        var o = JsonNode.Parse(File.ReadAllText(path)) as JsonObject ?? throw new InvalidDataException($"{path} is not a JSON object.");
        int? I(string k) => o[k] is JsonValue v && v.TryGetValue<int>(out var i) ? i : null;
        double? D(string k) => o[k] is JsonValue v && v.TryGetValue<double>(out var d) ? d : null;
        return new GenerationConfig
        {
            EosTokenIds = o["eos_token_id"] switch { JsonArray a => a.Select(n => n!.GetValue<int>()).ToArray(), JsonValue v => [v.GetValue<int>()], _ => [] },
            BosTokenId = I("bos_token_id"),
            PadTokenId = I("pad_token_id"),
            DoSample = o["do_sample"] is JsonValue ds && ds.TryGetValue<bool>(out var b) && b,
            Temperature = D("temperature"), TopK = I("top_k"), TopP = D("top_p"), MinP = D("min_p"),
            RepetitionPenalty = D("repetition_penalty"), MaxNewTokens = I("max_new_tokens"),
        };
    }

    public void Save(string dir)
    {
        var o = new JsonObject { ["_from_model_config"] = false };
        if (BosTokenId is { } b) o["bos_token_id"] = b;
        if (EosTokenIds.Length == 1) o["eos_token_id"] = EosTokenIds[0];
        else if (EosTokenIds.Length > 1) o["eos_token_id"] = new JsonArray(EosTokenIds.Select(e => (JsonNode)e).ToArray());
        if (PadTokenId is { } p) o["pad_token_id"] = p;
        o["do_sample"] = DoSample;
        if (Temperature is { } t) o["temperature"] = t;
        if (TopK is { } k) o["top_k"] = k;
        if (TopP is { } tp) o["top_p"] = tp;
        if (MaxNewTokens is { } m) o["max_new_tokens"] = m;
        File.WriteAllText(Path.Combine(dir, "generation_config.json"), o.ToJsonString(new() { WriteIndented = true }) + "\n");
    }

    /// <summary>The model's defaults as sampling options (do_sample false → greedy).</summary>
    public SamplingOptions ToSamplingOptions() => new()
    {
        Temperature = DoSample ? Temperature ?? 1.0 : 0,
        TopK = DoSample ? TopK ?? 0 : 0,
        TopP = DoSample ? TopP ?? 1.0 : 1.0,
        MinP = DoSample ? MinP ?? 0 : 0,
        RepetitionPenalty = RepetitionPenalty ?? 1.0,
        MaxNewTokens = MaxNewTokens ?? 128,
        EosTokenIds = EosTokenIds.Length > 0 ? EosTokenIds : null,
    };
}
