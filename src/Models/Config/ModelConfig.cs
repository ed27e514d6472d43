using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Engine.Runtime;

namespace Engine.Models.Config;

/// <summary>
/// The parts of a Hugging Face config.json that define a Llama-family decoder (llama, qwen2, mistral, qwen3).
/// Unknown keys are kept in <see cref="Raw"/> and written back unchanged by <see cref="Save"/>.
/// </summary>
public sealed record ModelConfig
{
    public static readonly string[] SupportedModelTypes = ["llama", "qwen2", "mistral", "qwen3"];

    public string ModelType { get; init; } = "llama";
    public int HiddenSize { get; init; }
    public int IntermediateSize { get; init; }
    public int NumLayers { get; init; }
    public int NumHeads { get; init; }
    public int NumKvHeads { get; init; }
    public int HeadDim { get; init; }
    public int VocabSize { get; init; }
    public double RmsNormEps { get; init; } = 1e-6;
    public double RopeTheta { get; init; } = 10000;
    public RopeScaling? RopeScaling { get; init; }
    public int MaxPositionEmbeddings { get; init; } = 2048;
    public bool TieWordEmbeddings { get; init; }
    /// <summary>Bias on q/k/v projections (qwen2 always; llama/qwen3 when attention_bias).</summary>
    public bool QkvBias { get; init; }
    /// <summary>Bias on the output projection (llama/qwen3 attention_bias; never qwen2).</summary>
    public bool OutputBias { get; init; }
    public bool MlpBias { get; init; }
    /// <summary>Qwen3: RMSNorm on each query/key head before RoPE.</summary>
    public bool QkNorm { get; init; }
    public int? SlidingWindow { get; init; }
    public bool UseSlidingWindow { get; init; }
    public string HiddenAct { get; init; } = "silu";
    public int? BosTokenId { get; init; }
    public int[] EosTokenIds { get; init; } = [];
    public int? PadTokenId { get; init; }
    public string? TorchDtype { get; init; }
    public double InitializerRange { get; init; } = 0.02;
    /// <summary>
    /// Dropout on the attention probabilities (config.json <c>attention_dropout</c>, as transformers' Llama/Qwen2 read
    /// it); active only in training mode (<see cref="Transformer.TransformerModel.Training"/>).
    /// </summary>
    public double AttentionDropout { get; init; }
    /// <summary>
    /// Dropout on each sub-block's output before it joins the residual stream (o_proj and down_proj outputs, where
    /// GPT-2's <c>resid_pdrop</c> sits). Llama-family configs have no such key: Engine reads <c>hidden_dropout</c>
    /// (or <c>resid_pdrop</c>) and writes <c>hidden_dropout</c> when non-zero, which transformers ignores.
    /// </summary>
    public double HiddenDropout { get; init; }
    public JsonObject Raw { get; init; } = [];

    public int KvGroups => NumHeads / NumKvHeads;

    public static ModelConfig Load(string path)
    {
        if (Directory.Exists(path)) path = Path.Combine(path, "config.json");
        if (!File.Exists(path)) throw new FileNotFoundException($"No config.json at {path}.", path);
        JsonObject obj;
        try { obj = JsonNode.Parse(File.ReadAllText(path)) as JsonObject ?? throw new InvalidDataException("config.json is not a JSON object."); }
        catch (JsonException e) { throw new InvalidDataException($"{path}: invalid JSON: {e.Message}", e); }
        try { return FromJson(obj); }
        catch (Exception e) when (e is not NotSupportedException) { throw new InvalidDataException($"{path}: {e.Message}", e); }
    }

    public static ModelConfig FromJson(JsonObject obj)
    {
        var type = Str(obj, "model_type") ?? throw new InvalidDataException("config.json has no model_type.");
        if (!SupportedModelTypes.Contains(type))
            throw new NotSupportedException($"Unknown architecture model_type '{type}'. Supported: {string.Join(", ", SupportedModelTypes)}.");
        int hidden = Req(obj, "hidden_size"), heads = Req(obj, "num_attention_heads");
        int kv = Int(obj, "num_key_value_heads") ?? heads;
        if (heads <= 0 || kv <= 0 || heads % kv != 0) throw new InvalidDataException($"num_attention_heads {heads} must be a positive multiple of num_key_value_heads {kv}.");
        int headDim = Int(obj, "head_dim") ?? (hidden % heads == 0 ? hidden / heads : throw new InvalidDataException($"hidden_size {hidden} not divisible by heads {heads} and no head_dim."));
        bool attnBias = Bool(obj, "attention_bias") ?? false;
        var ropeObj = obj["rope_scaling"] as JsonObject ?? obj["rope_parameters"] as JsonObject;
        double theta = Dbl(obj, "rope_theta") ?? (ropeObj is null ? null : Dbl(ropeObj, "rope_theta")) ?? 10000;
        var eos = obj["eos_token_id"] switch
        {
            JsonArray a => a.Select(n => n!.GetValue<int>()).ToArray(),
            JsonValue v => [v.GetValue<int>()],
            _ => Array.Empty<int>(),
        };
        var cfg = new ModelConfig
        {
            ModelType = type,
            HiddenSize = hidden,
            IntermediateSize = Req(obj, "intermediate_size"),
            NumLayers = Req(obj, "num_hidden_layers"),
            NumHeads = heads,
            NumKvHeads = kv,
            HeadDim = headDim,
            VocabSize = Req(obj, "vocab_size"),
            RmsNormEps = Dbl(obj, "rms_norm_eps") ?? 1e-6,
            RopeTheta = theta,
            RopeScaling = ParseScaling(ropeObj),
            MaxPositionEmbeddings = Int(obj, "max_position_embeddings") ?? 2048,
            TieWordEmbeddings = Bool(obj, "tie_word_embeddings") ?? false,
            QkvBias = type == "qwen2" || attnBias,
            OutputBias = type != "qwen2" && attnBias,
            MlpBias = Bool(obj, "mlp_bias") ?? false,
            QkNorm = type == "qwen3",
            SlidingWindow = Int(obj, "sliding_window"),
            UseSlidingWindow = Bool(obj, "use_sliding_window") ?? (type == "mistral" && Int(obj, "sliding_window") is not null),
            HiddenAct = Str(obj, "hidden_act") ?? "silu",
            BosTokenId = Int(obj, "bos_token_id"),
            EosTokenIds = eos,
            PadTokenId = Int(obj, "pad_token_id"),
            TorchDtype = Str(obj, "torch_dtype") ?? Str(obj, "dtype"),
            InitializerRange = Dbl(obj, "initializer_range") ?? 0.02,
            AttentionDropout = Probability(obj, "attention_dropout"),
            HiddenDropout = Probability(obj, "hidden_dropout", "resid_pdrop"),
            Raw = obj,
        };
        if (cfg.HiddenAct is not ("silu" or "swish"))
            throw new NotSupportedException($"hidden_act '{cfg.HiddenAct}' is not supported (Llama-family models use silu).");
        return cfg;
    }

    private static RopeScaling? ParseScaling(JsonObject? o)
    {
        if (o is null) return null;
        var type = Str(o, "rope_type") ?? Str(o, "type") ?? "default";
        if (type == "default") return null;
        if (type is not ("linear" or "llama3" or "yarn" or "dynamic"))
            throw new NotSupportedException($"rope_scaling type '{type}' is not supported (linear, llama3, yarn).");
        return new RopeScaling(type, Dbl(o, "factor") ?? 1.0, Dbl(o, "low_freq_factor"), Dbl(o, "high_freq_factor"),
            Int(o, "original_max_position_embeddings"), Dbl(o, "beta_fast"), Dbl(o, "beta_slow"), Dbl(o, "attention_factor"));
    }

    /// <summary>config.json text: the original keys plus ours, as transformers expects them.</summary>
    public JsonObject ToJson()
    {
        var o = JsonNode.Parse(Raw.ToJsonString())!.AsObject();
        o["model_type"] = ModelType;
        o["architectures"] = new JsonArray(ModelType switch { "qwen2" => "Qwen2ForCausalLM", "qwen3" => "Qwen3ForCausalLM", "mistral" => "MistralForCausalLM", _ => "LlamaForCausalLM" });
        o["hidden_size"] = HiddenSize; o["intermediate_size"] = IntermediateSize; o["num_hidden_layers"] = NumLayers;
        o["num_attention_heads"] = NumHeads; o["num_key_value_heads"] = NumKvHeads; o["head_dim"] = HeadDim;
        o["vocab_size"] = VocabSize; o["rms_norm_eps"] = RmsNormEps; o["rope_theta"] = RopeTheta;
        o["max_position_embeddings"] = MaxPositionEmbeddings; o["tie_word_embeddings"] = TieWordEmbeddings;
        o["hidden_act"] = HiddenAct; o["initializer_range"] = InitializerRange;
        if (ModelType != "qwen2" && ModelType != "mistral") o["attention_bias"] = QkvBias;
        if (ModelType == "llama") o["mlp_bias"] = MlpBias;
        if (BosTokenId is { } b) o["bos_token_id"] = b;
        if (EosTokenIds.Length == 1) o["eos_token_id"] = EosTokenIds[0];
        else if (EosTokenIds.Length > 1) o["eos_token_id"] = new JsonArray(EosTokenIds.Select(e => (JsonNode)e).ToArray());
        if (PadTokenId is { } p) o["pad_token_id"] = p;
        if (SlidingWindow is { } sw) o["sliding_window"] = sw;
        if (ModelType == "qwen2") o["use_sliding_window"] = UseSlidingWindow;
        o["torch_dtype"] = TorchDtype ?? "float32";
        o["attention_dropout"] = AttentionDropout;
        if (HiddenDropout != 0) o["hidden_dropout"] = HiddenDropout; else o.Remove("hidden_dropout");
        if (RopeScaling is { } rs)
        {
            var r = new JsonObject { ["rope_type"] = rs.Type, ["factor"] = rs.Factor };
            if (rs.LowFreqFactor is { } lf) r["low_freq_factor"] = lf;
            if (rs.HighFreqFactor is { } hf) r["high_freq_factor"] = hf;
            if (rs.OriginalMaxPositionEmbeddings is { } om) r["original_max_position_embeddings"] = om;
            if (rs.BetaFast is { } bf) r["beta_fast"] = bf;
            if (rs.BetaSlow is { } bs) r["beta_slow"] = bs;
            if (rs.AttentionFactor is { } af) r["attention_factor"] = af;
            o["rope_scaling"] = r;
        }
        else o.Remove("rope_scaling");
        o.Remove("rope_parameters");
        return o;
    }

    public void Save(string dir)
    {
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "config.json"), ToJson().ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");
    }

    /// <summary>Total parameter count implied by the config (for SelectIT's model-level weights and reports).</summary>
    public long ParameterCount()
    {
        long h = HiddenSize, q = (long)NumHeads * HeadDim, kv = (long)NumKvHeads * HeadDim, i = IntermediateSize;
        long attn = h * q + 2 * h * kv + q * h + (QkvBias ? q + 2 * kv : 0) + (OutputBias ? h : 0) + (QkNorm ? 2L * HeadDim : 0);
        long mlp = 3 * h * i + (MlpBias ? 2 * i + h : 0);
        long layer = attn + mlp + 2 * h;
        return (long)VocabSize * h * (TieWordEmbeddings ? 1 : 2) + NumLayers * layer + h;
    }

    private static string? Str(JsonObject o, string k) => o[k] is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;
    private static int? Int(JsonObject o, string k) => o[k] is JsonValue v ? (v.TryGetValue<int>(out var i) ? i : v.TryGetValue<double>(out var d) && d == Math.Floor(d) ? (int)d : null) : null;
    private static double? Dbl(JsonObject o, string k) => o[k] is JsonValue v ? (v.TryGetValue<double>(out var d) ? d : v.TryGetValue<string>(out var s) && double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var p) ? p : null) : null;
    private static bool? Bool(JsonObject o, string k) => o[k] is JsonValue v && v.TryGetValue<bool>(out var b) ? b : null;
    /// <summary>A dropout probability in [0, 1) from the first of <paramref name="keys"/> present; 0 when none is.</summary>
    private static double Probability(JsonObject o, params string[] keys)
    {
        foreach (var k in keys)
            if (Dbl(o, k) is { } p)
                return p is >= 0 and < 1 ? p : throw new InvalidDataException($"config.json: '{k}' must be in [0, 1), got {p}.");
        return 0;
    }

    private static int Req(JsonObject o, string k) => Int(o, k) is { } i && i > 0 ? i : throw new InvalidDataException($"config.json: '{k}' missing or not a positive integer.");
}
