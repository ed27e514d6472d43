using System.Text.Json;
using System.Text.Json.Nodes;

namespace Engine.Models.Whisper;

/// <summary>
/// The encoder half of a Hugging Face Whisper config.json (model_type "whisper"), under transformers' names.
/// Unknown keys (the decoder's among them) are kept in <see cref="Raw"/> and written back by <see cref="Save"/>.
/// </summary>
public sealed record WhisperConfig
{
    public int NumMelBins { get; init; } = 80;
    public int DModel { get; init; }
    public int EncoderLayers { get; init; }
    public int EncoderAttentionHeads { get; init; }
    public int EncoderFfnDim { get; init; }
    /// <summary>Encoder positions after the stride-2 conv: 1500 for 30 s (3000 mel frames).</summary>
    public int MaxSourcePositions { get; init; } = 1500;
    public string ActivationFunction { get; init; } = "gelu";
    public bool ScaleEmbedding { get; init; }
    public double InitStd { get; init; } = 0.02;
    public JsonObject Raw { get; init; } = [];

    public int HeadDim => DModel / EncoderAttentionHeads;
    /// <summary>Mel frames the encoder accepts at most: twice the positions (conv2 has stride 2).</summary>
    public int MaxMelFrames => 2 * MaxSourcePositions;

    public static WhisperConfig Load(string path)
    {
        if (Directory.Exists(path)) path = Path.Combine(path, "config.json");
        if (!File.Exists(path)) throw new FileNotFoundException($"No config.json at {path}.", path);
        JsonObject obj;
        try { obj = JsonNode.Parse(File.ReadAllText(path)) as JsonObject ?? throw new InvalidDataException("config.json is not a JSON object."); }
        catch (JsonException e) { throw new InvalidDataException($"{path}: invalid JSON: {e.Message}", e); }
        try { return FromJson(obj); }
        catch (Exception e) when (e is InvalidDataException or FormatException or InvalidOperationException) { throw new InvalidDataException($"{path}: {e.Message}", e); }
    }

    public static WhisperConfig FromJson(JsonObject obj)
    {
        var type = obj["model_type"]?.GetValue<string>() ?? throw new InvalidDataException("config.json has no model_type.");
        if (type != "whisper") throw new InvalidDataException($"model_type is '{type}', not 'whisper': this is not a Whisper checkpoint.");
        int Req(string k) => obj[k] is JsonValue v ? v.GetValue<int>() : throw new InvalidDataException($"config.json lacks '{k}'.");
        var cfg = new WhisperConfig
        {
            NumMelBins = obj["num_mel_bins"]?.GetValue<int>() ?? 80,
            DModel = Req("d_model"),
            EncoderLayers = Req("encoder_layers"),
            EncoderAttentionHeads = Req("encoder_attention_heads"),
            EncoderFfnDim = Req("encoder_ffn_dim"),
            MaxSourcePositions = obj["max_source_positions"]?.GetValue<int>() ?? 1500,
            ActivationFunction = obj["activation_function"]?.GetValue<string>() ?? "gelu",
            ScaleEmbedding = obj["scale_embedding"]?.GetValue<bool>() ?? false,
            InitStd = obj["init_std"] is JsonValue s ? s.GetValue<double>() : 0.02,
            Raw = obj,
        };
        if (cfg.DModel % cfg.EncoderAttentionHeads != 0) throw new InvalidDataException($"d_model {cfg.DModel} is not divisible by encoder_attention_heads {cfg.EncoderAttentionHeads}.");
        if (cfg.ActivationFunction is not ("gelu" or "gelu_new" or "gelu_pytorch_tanh"))
            throw new InvalidDataException($"activation_function '{cfg.ActivationFunction}' is not supported (gelu, gelu_new, gelu_pytorch_tanh).");
        return cfg;
    }

    /// <summary>config.json with this record's values over <see cref="Raw"/>.</summary>
    public void Save(string dir)
    {
        var o = (JsonObject)Raw.DeepClone();
        o["model_type"] = "whisper";
        o["num_mel_bins"] = NumMelBins;
        o["d_model"] = DModel;
        o["encoder_layers"] = EncoderLayers;
        o["encoder_attention_heads"] = EncoderAttentionHeads;
        o["encoder_ffn_dim"] = EncoderFfnDim;
        o["max_source_positions"] = MaxSourcePositions;
        o["activation_function"] = ActivationFunction;
        o["scale_embedding"] = ScaleEmbedding;
        o["init_std"] = InitStd;
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "config.json"), o.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");
    }
}
