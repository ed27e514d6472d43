using Engine.Models.Checkpoints;
using Engine.Models.Config;
using Engine.Runtime;

namespace Engine.Models.Transformer;

/// <summary>
/// A Llama-family causal LM (llama, qwen2, mistral, qwen3) written once against the op surface.
/// Parameters are kept under their Hugging Face names so checkpoints load and save as they are.
///
/// Precision: <see cref="DType"/> is how the weights are stored. Activations (residual stream, norms, attention,
/// rotary tables, KV cache) are f32 whatever the weights (f64 for an f64 model). With bf16 (or f16) weights the
/// forward runs under <see cref="Autocast"/> (<see cref="ComputeDType"/>): matmuls take bf16 operands with f32
/// accumulation, so the bf16 weights are consumed as they are, on every device.
/// </summary>
public sealed class TransformerModel
{
    public ModelConfig Config { get; }
    public Device Device { get; }
    public DType DType { get; }
    public Tensor EmbedTokens { get; }
    public IReadOnlyList<DecoderLayer> Layers { get; }
    public Tensor FinalNorm { get; }
    /// <summary>The output projection; the embedding matrix itself when embeddings are tied.</summary>
    public Tensor LmHead { get; }
    public RotaryEmbedding Rotary { get; }
    private readonly SortedDictionary<string, Tensor> _parameters;

    /// <summary>
    /// The dtype matmul operands are rounded to in <see cref="ForwardHidden"/> and <see cref="Logits"/> (an autocast
    /// scope the model opens itself), or null for plain math in the tensors' dtypes. Defaults to the weights' dtype when
    /// that is bf16/f16; a trainer's own scope (f32 masters, bf16 compute) applies without setting this.
    /// </summary>
    public DType? ComputeDType { get; set; }

    /// <summary>The dtype of activations, rotary tables and the KV cache: f32 (f64 for an f64 model).</summary>
    public DType ActivationDType => DType == DType.F64 ? DType.F64 : DType.F32;

    private TransformerModel(ModelConfig cfg, Func<string, int[], Tensor?> get, Device device, DType dtype)
    {
        Config = cfg; Device = device; DType = dtype;
        ComputeDType = dtype is DType.BF16 or DType.F16 ? dtype : null;
        _parameters = new(StringComparer.Ordinal);
        Tensor Need(string name, int[] shape) => Keep(name, get(name, shape) ?? throw new InvalidDataException($"Checkpoint lacks tensor '{name}' {Shape(shape)} needed by a {cfg.ModelType} model."), shape);
        Tensor? Opt(string name, int[] shape, bool wanted) => wanted ? Need(name, shape) : null;
        Tensor Keep(string name, Tensor t, int[] shape)
        {
            if (!t.Shape.SequenceEqual(shape)) throw new InvalidDataException($"Tensor '{name}' has shape {t.ShapeString}, config implies {Shape(shape)}.");
            _parameters[name] = t;
            return t;
        }
        int h = cfg.HiddenSize, q = cfg.NumHeads * cfg.HeadDim, kv = cfg.NumKvHeads * cfg.HeadDim, im = cfg.IntermediateSize;
        EmbedTokens = Need("model.embed_tokens.weight", [cfg.VocabSize, h]);
        var layers = new List<DecoderLayer>();
        for (int i = 0; i < cfg.NumLayers; i++)
        {
            string p = $"model.layers.{i}.";
            LinearLayer Lin(string n, int o, int inF, bool bias) => new(p + n, Need(p + n + ".weight", [o, inF]), Opt(p + n + ".bias", [o], bias));
            layers.Add(new DecoderLayer
            {
                Index = i,
                InputNorm = Need(p + "input_layernorm.weight", [h]),
                PostAttentionNorm = Need(p + "post_attention_layernorm.weight", [h]),
                Q = Lin("self_attn.q_proj", q, h, cfg.QkvBias),
                K = Lin("self_attn.k_proj", kv, h, cfg.QkvBias),
                V = Lin("self_attn.v_proj", kv, h, cfg.QkvBias),
                O = Lin("self_attn.o_proj", h, q, cfg.OutputBias),
                QNorm = Opt(p + "self_attn.q_norm.weight", [cfg.HeadDim], cfg.QkNorm),
                KNorm = Opt(p + "self_attn.k_norm.weight", [cfg.HeadDim], cfg.QkNorm),
                Gate = Lin("mlp.gate_proj", im, h, cfg.MlpBias),
                Up = Lin("mlp.up_proj", im, h, cfg.MlpBias),
                Down = Lin("mlp.down_proj", h, im, cfg.MlpBias),
            });
        }
        Layers = layers;
        FinalNorm = Need("model.norm.weight", [h]);
        LmHead = cfg.TieWordEmbeddings ? EmbedTokens : Need("lm_head.weight", [cfg.VocabSize, h]);
        Rotary = new RotaryEmbedding(cfg.HeadDim, cfg.RopeTheta, cfg.RopeScaling);
    }

    private static string Shape(int[] s) => "[" + string.Join(", ", s) + "]";

    /// <summary>All parameters by Hugging Face name (lm_head omitted when tied).</summary>
    public IReadOnlyDictionary<string, Tensor> Parameters => _parameters;

    public long ParameterCount => _parameters.Values.Sum(t => t.NumElements);

    /// <summary>Load a Hugging Face model folder (config.json + safetensors, single or sharded).</summary>
    public static TransformerModel Load(string dir, Device? device = null, DType dtype = DType.F32)
    {
        var cfg = ModelConfig.Load(dir);
        using var ckpt = CheckpointFolder.Open(dir);
        var dev = device ?? Device.Cpu;
        var model = new TransformerModel(cfg, (name, _) =>
        {
            if (!ckpt.Contains(name)) return null;
            // 16-bit weights stored as asked are used in place (zero-copy over the copy-on-write mapping) on the CPU.
            var t = dev.IsCpu && (dtype is DType.BF16 or DType.F16) && ckpt.Entry(name).DType == dtype ? ckpt.View(name) : ckpt.Load(name, dtype);
            return dev.IsCpu ? t : t.To(dev);
        }, dev, dtype);
        return model;
    }

    /// <summary>A freshly initialised model: N(0, initializer_range) weights, unit norms, zero biases; deterministic for a seed.</summary>
    public static TransformerModel CreateRandom(ModelConfig cfg, ulong seed, DType dtype = DType.F32, Device? device = null)
    {
        int index = 0;
        var dev = device ?? Device.Cpu;
        return new TransformerModel(cfg, (name, shape) =>
        {
            index++;
            Tensor t = name.EndsWith("norm.weight", StringComparison.Ordinal) ? Tensor.Full(shape, 1.0, dtype)
                : name.EndsWith(".bias", StringComparison.Ordinal) ? Tensor.Zeros(shape, dtype)
                : Tensor.RandN(shape, seed + (ulong)index * 0x9E3779B97F4A7C15UL, cfg.InitializerRange, dtype);
            return dev.IsCpu ? t : t.To(dev);
        }, dev, dtype);
    }

    /// <summary>Write config.json and model.safetensors in the Hugging Face format.</summary>
    public void Save(string dir, DType? dtype = null, long maxShardBytes = 5_000_000_000)
    {
        Directory.CreateDirectory(dir);
        var saveType = dtype ?? DType;
        var cfg = Config with { TorchDtype = saveType switch { DType.BF16 => "bfloat16", DType.F16 => "float16", _ => "float32" } };
        cfg.Save(dir);
        using var _ = Autograd.NoGrad();
        CheckpointFolder.Save(dir, _parameters.Select(kv => new KeyValuePair<string, Tensor>(kv.Key, kv.Value.To(Device.Cpu).To(saveType))),
            maxShardBytes, new Dictionary<string, string> { ["format"] = "pt" });
    }

    public void RequireGrad(bool on = true)
    {
        foreach (var p in _parameters.Values) p.RequiresGrad = on;
    }

    /// <summary>
    /// Final hidden states [B, T, H] for token ids [B, T]. <paramref name="keyMask"/> [B, Tpast+T] (1 keep, 0 pad) and
    /// <paramref name="positions"/> [B, T] default to no padding and positions Tpast..Tpast+T−1.
    /// </summary>
    public Tensor ForwardHidden(Tensor ids, Tensor? keyMask = null, long[]? positions = null, IKvCache? cache = null)
    {
        if (ids.Rank != 2) throw new ArgumentException($"ids must be [batch, time], got {ids.ShapeString}.");
        int b = ids.Size(0), t = ids.Size(1), past = cache?.Length ?? 0;
        if (keyMask is not null && (keyMask.Size(0) != b || keyMask.Size(1) != past + t))
            throw new ArgumentException($"keyMask must be [{b}, {past + t}], got {keyMask.ShapeString}.");
        positions ??= DefaultPositions(b, t, past);
        var pos = Tensor.FromArray(positions, b, t);
        using var scope = ComputeDType is { } cd ? Autocast.Enable(cd) : null;
        var (cos, sin) = Rotary.Tables(pos, ActivationDType);
        if (!Device.IsCpu) { cos = cos.To(Device); sin = sin.To(Device); }
        var x = Ops.Embedding(EmbedTokens, ids);
        if (x.DType != ActivationDType) x = x.To(ActivationDType);
        foreach (var layer in Layers) x = layer.Forward(x, cos, sin, keyMask, cache, Config);
        cache?.Commit();
        return Ops.RmsNorm(x, FinalNorm, Config.RmsNormEps);
    }

    /// <summary>Logits [.., V] from hidden states [.., H].</summary>
    public Tensor Logits(Tensor hidden)
    {
        using var scope = ComputeDType is { } cd ? Autocast.Enable(cd) : null;
        return Ops.Linear(hidden, LmHead);
    }

    /// <summary>Logits [B, T, V] for token ids [B, T].</summary>
    public Tensor Forward(Tensor ids, Tensor? keyMask = null, long[]? positions = null, IKvCache? cache = null)
        => Logits(ForwardHidden(ids, keyMask, positions, cache));

    public KvCache NewCache(int batch, int capacity) =>
        new(Config.NumLayers, batch, Config.NumKvHeads, capacity, Config.HeadDim, ActivationDType, Device);

    public static long[] DefaultPositions(int b, int t, int past)
    {
        var p = new long[b * t];
        for (int i = 0; i < b; i++) for (int j = 0; j < t; j++) p[i * t + j] = past + j;
        return p;
    }
}
