using System.Text.Json;
using System.Text.Json.Nodes;

namespace Engine.Models.Speech;

/// <summary>How encoder frames are cut into the Q-Former's windows.</summary>
public enum QFormerWindowing
{
    /// <summary>
    /// Fixed windows of <see cref="SpeechConnectorConfig.WindowFrames"/> frames every <see cref="SpeechConnectorConfig.WindowStride"/>
    /// (17 = 0.34 s of Whisper frames): an item of n real frames gets ⌈max(n − k, 0)/s⌉ + 1 windows, the last one
    /// covering its tail; frames past n are masked out of cross-attention. The default.
    /// </summary>
    Fixed,
    /// <summary>
    /// The released code's behaviour: k = s = round(T/90) for the batch's longest real length T, ⌊(T − k)/s⌋ + 1 windows
    /// for every item, no mask (short items attend to padding), about 88 speech tokens whatever the duration.
    /// </summary>
    BatchRelative,
}

/// <summary>
/// The window-level Q-Former and projection between a speech encoder and an LLM. Defaults are the method's:
/// a BERT-base-sized Q-Former (hidden 768, 12 heads, FFN 3072) of 2 layers with cross-attention in every layer,
/// 1 learned query per window, windows of 17 encoder frames (0.34 s), random initialisation N(0, 0.02).
/// </summary>
public sealed record SpeechConnectorConfig
{
    /// <summary>Width of the encoder states (Whisper's d_model: 1280 for large-v2).</summary>
    public int EncoderWidth { get; init; }
    /// <summary>The LLM's hidden size: the width of the speech tokens.</summary>
    public int LlmHiddenSize { get; init; }
    public int HiddenSize { get; init; } = 768;
    public int NumLayers { get; init; } = 2;
    public int NumHeads { get; init; } = 12;
    public int IntermediateSize { get; init; } = 3072;
    public int NumQueries { get; init; } = 1;
    public QFormerWindowing Windowing { get; init; } = QFormerWindowing.Fixed;
    public int WindowFrames { get; init; } = 17;
    public int WindowStride { get; init; } = 17;
    /// <summary>BERT's LayerNorm epsilon, inside the Q-Former.</summary>
    public double LayerNormEps { get; init; } = 1e-12;
    /// <summary>Epsilon of the LayerNorm on the encoder states before windowing (torch's default).</summary>
    public double SpeechNormEps { get; init; } = 1e-5;
    public double InitializerRange { get; init; } = 0.02;

    public void Validate()
    {
        if (EncoderWidth <= 0 || LlmHiddenSize <= 0) throw new ArgumentException($"Speech connector: encoder width {EncoderWidth} and LLM hidden size {LlmHiddenSize} must be positive.");
        if (HiddenSize % NumHeads != 0) throw new ArgumentException($"Speech connector: hidden size {HiddenSize} is not divisible by {NumHeads} heads.");
        if (NumLayers < 1 || NumQueries < 1 || WindowFrames < 1 || WindowStride < 1) throw new ArgumentException("Speech connector: layers, queries, window frames and stride must be ≥ 1.");
    }

    public const string FileName = "speech_connector.json";

    public void Save(string dir)
    {
        var o = new JsonObject
        {
            ["model_type"] = "speech_window_qformer",
            ["encoder_width"] = EncoderWidth, ["llm_hidden_size"] = LlmHiddenSize, ["hidden_size"] = HiddenSize,
            ["num_hidden_layers"] = NumLayers, ["num_attention_heads"] = NumHeads, ["intermediate_size"] = IntermediateSize,
            ["num_query_tokens"] = NumQueries, ["windowing"] = Windowing == QFormerWindowing.Fixed ? "fixed" : "batch_relative",
            ["window_frames"] = WindowFrames, ["window_stride"] = WindowStride, ["layer_norm_eps"] = LayerNormEps,
            ["speech_norm_eps"] = SpeechNormEps, ["initializer_range"] = InitializerRange,
        };
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, FileName), o.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");
    }

    public static SpeechConnectorConfig Load(string dir)
    {
        var path = Path.Combine(dir, FileName);
        if (!File.Exists(path)) throw new FileNotFoundException($"No {FileName} in {dir}.", path);
        try
        {
            var o = JsonNode.Parse(File.ReadAllText(path)) as JsonObject ?? throw new InvalidDataException("not a JSON object");
            int I(string k) => o[k]?.GetValue<int>() ?? throw new InvalidDataException($"missing '{k}'");
            double D(string k) => o[k]?.GetValue<double>() ?? throw new InvalidDataException($"missing '{k}'");
            var w = o["windowing"]?.GetValue<string>();
            var cfg = new SpeechConnectorConfig
            {
                EncoderWidth = I("encoder_width"), LlmHiddenSize = I("llm_hidden_size"), HiddenSize = I("hidden_size"),
                NumLayers = I("num_hidden_layers"), NumHeads = I("num_attention_heads"), IntermediateSize = I("intermediate_size"),
                NumQueries = I("num_query_tokens"), WindowFrames = I("window_frames"), WindowStride = I("window_stride"),
                Windowing = w switch { "fixed" => QFormerWindowing.Fixed, "batch_relative" => QFormerWindowing.BatchRelative, _ => throw new InvalidDataException($"'windowing' is '{w}', not fixed or batch_relative") },
                LayerNormEps = D("layer_norm_eps"), SpeechNormEps = D("speech_norm_eps"), InitializerRange = D("initializer_range"),
            };
            cfg.Validate();
            return cfg;
        }
        catch (Exception e) when (e is JsonException or InvalidDataException or InvalidOperationException or FormatException or ArgumentException)
        {
            throw new InvalidDataException($"{path}: {e.Message}", e);
        }
    }
}
