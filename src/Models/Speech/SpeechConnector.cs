using Engine.Models.Checkpoints;
using Engine.Models.Transformer;
using Engine.Runtime;

namespace Engine.Models.Speech;

/// <summary>
/// Encoder states → speech tokens for the LLM: LayerNorm over the encoder width, windows of frames
/// (<see cref="SpeechWindows"/>), a window-level Q-Former whose learned queries cross-attend to one window each, and a
/// linear projection to the LLM's hidden size. An item with W real windows yields W·nq tokens, in time order.
/// Parameter names follow the SALMONN / BLIP-2 convention (ln_speech, speech_query_tokens, speech_Qformer.bert.…,
/// speech_llama_proj).
/// </summary>
public sealed class SpeechConnector
{
    private const string Bert = "speech_Qformer.bert.";

    public SpeechConnectorConfig Config { get; }
    public Device Device { get; }
    public DType DType { get; }
    public Tensor SpeechNormWeight { get; }
    public Tensor SpeechNormBias { get; }
    /// <summary>[1, nq, H]: the learned queries shared by every window.</summary>
    public Tensor QueryTokens { get; }
    public Tensor QueryNormWeight { get; }
    public Tensor QueryNormBias { get; }
    public IReadOnlyList<QFormerLayer> Layers { get; }
    public LinearLayer Projection { get; }
    private readonly SortedDictionary<string, Tensor> _parameters = new(StringComparer.Ordinal);

    public IReadOnlyDictionary<string, Tensor> Parameters => _parameters;
    public long ParameterCount => _parameters.Values.Sum(t => t.NumElements);

    private SpeechConnector(SpeechConnectorConfig cfg, Func<string, int[], Tensor?> get, Device device, DType dtype)
    {
        cfg.Validate();
        Config = cfg; Device = device; DType = dtype;
        int h = cfg.HiddenSize, e = cfg.EncoderWidth;
        Tensor Need(string name, int[] shape)
        {
            var t = get(name, shape) ?? throw new InvalidDataException($"Speech connector checkpoint lacks tensor '{name}' [{string.Join(", ", shape)}].");
            if (!t.Shape.SequenceEqual(shape)) throw new InvalidDataException($"Speech connector tensor '{name}' has shape {t.ShapeString}, config implies [{string.Join(", ", shape)}].");
            return _parameters[name] = t;
        }
        LinearLayer Lin(string n, int o, int i) => new(n, Need(n + ".weight", [o, i]), Need(n + ".bias", [o]));
        SpeechNormWeight = Need("ln_speech.weight", [e]);
        SpeechNormBias = Need("ln_speech.bias", [e]);
        QueryTokens = Need("speech_query_tokens", [1, cfg.NumQueries, h]);
        QueryNormWeight = Need(Bert + "embeddings.LayerNorm.weight", [h]);
        QueryNormBias = Need(Bert + "embeddings.LayerNorm.bias", [h]);
        var layers = new List<QFormerLayer>();
        for (int i = 0; i < cfg.NumLayers; i++)
        {
            string p = $"{Bert}encoder.layer.{i}.";
            layers.Add(new QFormerLayer
            {
                SelfQ = Lin(p + "attention.self.query", h, h), SelfK = Lin(p + "attention.self.key", h, h), SelfV = Lin(p + "attention.self.value", h, h),
                SelfOut = Lin(p + "attention.output.dense", h, h),
                SelfNormWeight = Need(p + "attention.output.LayerNorm.weight", [h]), SelfNormBias = Need(p + "attention.output.LayerNorm.bias", [h]),
                CrossQ = Lin(p + "crossattention.self.query", h, h), CrossK = Lin(p + "crossattention.self.key", h, e), CrossV = Lin(p + "crossattention.self.value", h, e),
                CrossOut = Lin(p + "crossattention.output.dense", h, h),
                CrossNormWeight = Need(p + "crossattention.output.LayerNorm.weight", [h]), CrossNormBias = Need(p + "crossattention.output.LayerNorm.bias", [h]),
                Intermediate = Lin(p + "intermediate_query.dense", cfg.IntermediateSize, h),
                Output = Lin(p + "output_query.dense", h, cfg.IntermediateSize),
                OutputNormWeight = Need(p + "output_query.LayerNorm.weight", [h]), OutputNormBias = Need(p + "output_query.LayerNorm.bias", [h]),
            });
        }
        Layers = layers;
        Projection = Lin("speech_llama_proj", cfg.LlmHiddenSize, h);
    }

    /// <summary>Random initialisation as BERT's: N(0, initializer_range) weights and queries, zero biases, unit norms; deterministic for a seed.</summary>
    public static SpeechConnector CreateRandom(SpeechConnectorConfig cfg, ulong seed, DType dtype = DType.F32, Device? device = null)
    {
        var dev = device ?? Device.Cpu;
        int index = 0;
        return new SpeechConnector(cfg, (name, shape) =>
        {
            index++;
            bool norm = name.Contains("LayerNorm", StringComparison.Ordinal) || name.StartsWith("ln_speech", StringComparison.Ordinal);
            Tensor t = norm && name.EndsWith(".weight", StringComparison.Ordinal) ? Tensor.Full(shape, 1.0, dtype)
                : name.EndsWith(".bias", StringComparison.Ordinal) ? Tensor.Zeros(shape, dtype)
                : Tensor.RandN(shape, seed + (ulong)index * 0x9E3779B97F4A7C15UL, cfg.InitializerRange, dtype);
            return dev.IsCpu ? t : t.To(dev);
        }, dev, dtype);
    }

    /// <summary>Load from a folder written by <see cref="Save"/> (speech_connector.json + model.safetensors).</summary>
    public static SpeechConnector Load(string dir, Device? device = null, DType dtype = DType.F32)
    {
        var cfg = SpeechConnectorConfig.Load(dir);
        using var ckpt = CheckpointFolder.Open(dir);
        var dev = device ?? Device.Cpu;
        return new SpeechConnector(cfg, (name, _) =>
        {
            if (!ckpt.Contains(name)) return null;
            var t = ckpt.Load(name, dtype);
            return dev.IsCpu ? t : t.To(dev);
        }, dev, dtype);
    }

    public void Save(string dir)
    {
        Config.Save(dir);
        using var _ = Autograd.NoGrad();
        CheckpointFolder.Save(dir, _parameters.Select(kv => new KeyValuePair<string, Tensor>(kv.Key, kv.Value.To(Device.Cpu))),
            CheckpointFolder.DefaultMaxShardBytes, new Dictionary<string, string> { ["format"] = "pt" });
    }

    public void RequireGrad(bool on = true)
    {
        foreach (var p in _parameters.Values) p.RequiresGrad = on;
    }

    /// <summary>
    /// Speech tokens for encoder states [B, T, D_enc] of which the first <paramref name="validFrames"/>[b] frames of row b
    /// are real audio (<c>WhisperEncoder.EncodedLength</c> of the real mel frames).
    /// </summary>
    public SpeechTokens Forward(Tensor encoderStates, int[] validFrames)
    {
        if (encoderStates.Rank != 3 || encoderStates.Size(2) != Config.EncoderWidth)
            throw new ArgumentException($"Speech connector input must be encoder states [batch, frames, {Config.EncoderWidth}], got {encoderStates.ShapeString}.");
        if (validFrames.Length != encoderStates.Size(0))
            throw new ArgumentException($"Speech connector: {validFrames.Length} valid-frame counts for a batch of {encoderStates.Size(0)}.");
        int b = encoderStates.Size(0), nq = Config.NumQueries, h = Config.HiddenSize;
        var plan = SpeechWindows.Plan(Config, validFrames, encoderStates.Size(1));
        var states = Ops.LayerNorm(encoderStates, SpeechNormWeight, SpeechNormBias, Config.SpeechNormEps);
        var frames = plan.Cut(states);                                                  // [B·L, k, D_enc]
        int n = frames.Size(0);
        Tensor? mask = plan.Mask.All(m => m == 1) ? null : Tensor.FromArray(plan.Mask, n, plan.Size);
        if (mask is not null && !Device.IsCpu) mask = mask.To(Device);
        var queries = Ops.LayerNorm(QueryTokens, QueryNormWeight, QueryNormBias, Config.LayerNormEps);
        var x = Ops.Add(Tensor.Zeros([n, nq, h], queries.DType, queries.Device), queries);  // one copy per window
        foreach (var layer in Layers) x = layer.Forward(x, frames, mask, Config.NumHeads, Config.LayerNormEps);
        var tokens = Projection.Forward(x).Reshape(b, plan.Count * nq, Config.LlmHiddenSize);
        return new SpeechTokens(tokens, plan.WindowsPerItem.Select(w => w * nq).ToArray());
    }
}
