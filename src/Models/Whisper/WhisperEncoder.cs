using Engine.Models.Checkpoints;
using Engine.Models.Transformer;
using Engine.Runtime;

namespace Engine.Models.Whisper;

/// <summary>
/// The Whisper audio encoder, loaded unchanged from a Hugging Face WhisperForConditionalGeneration / WhisperModel
/// folder (tensors under "model.encoder." or "encoder."; the decoder's tensors are ignored):
/// log-mel [B, n_mels, T] → GELU(conv1 k3 p1) → GELU(conv2 k3 s2 p1) → + positions → pre-LN blocks → LayerNorm,
/// giving [B, ⌊(T − 1)/2⌋ + 1, d_model]. Whisper itself insists on T = 3000 (30 s); this encoder accepts any
/// T ≤ 2·max_source_positions and uses the first positions, so short clips need not be padded (padding changes what
/// the bidirectional attention sees; callers that want Whisper's numbers pass 3000 frames).
/// </summary>
public sealed class WhisperEncoder
{
    public const string Prefix = "model.encoder.";

    public WhisperConfig Config { get; }
    public Device Device { get; }
    public DType DType { get; }
    public Tensor Conv1Weight { get; }
    public Tensor Conv1Bias { get; }
    public Tensor Conv2Weight { get; }
    public Tensor Conv2Bias { get; }
    /// <summary>[max_source_positions, d_model]: the checkpoint's (Whisper stores its sinusoids), else computed.</summary>
    public Tensor Positions { get; }
    public IReadOnlyList<WhisperEncoderLayer> Layers { get; }
    public Tensor FinalNormWeight { get; }
    public Tensor FinalNormBias { get; }
    private readonly SortedDictionary<string, Tensor> _parameters = new(StringComparer.Ordinal);

    /// <summary>All parameters under their Hugging Face names ("model.encoder.…").</summary>
    public IReadOnlyDictionary<string, Tensor> Parameters => _parameters;
    public long ParameterCount => _parameters.Values.Sum(t => t.NumElements);

    private WhisperEncoder(WhisperConfig cfg, Func<string, int[], Tensor?> get, Device device, DType dtype)
    {
        Config = cfg; Device = device; DType = dtype;
        int d = cfg.DModel, f = cfg.EncoderFfnDim;
        Tensor Need(string name, int[] shape)
        {
            var t = get(Prefix + name, shape) ?? throw new InvalidDataException($"Checkpoint lacks tensor '{Prefix + name}' [{string.Join(", ", shape)}] needed by the Whisper encoder.");
            if (!t.Shape.SequenceEqual(shape)) throw new InvalidDataException($"Tensor '{Prefix + name}' has shape {t.ShapeString}, config implies [{string.Join(", ", shape)}].");
            return _parameters[Prefix + name] = t;
        }
        LinearLayer Lin(string n, int o, int i, bool bias) => new(Prefix + n, Need(n + ".weight", [o, i]), bias ? Need(n + ".bias", [o]) : null);
        Conv1Weight = Need("conv1.weight", [d, cfg.NumMelBins, 3]);
        Conv1Bias = Need("conv1.bias", [d]);
        Conv2Weight = Need("conv2.weight", [d, d, 3]);
        Conv2Bias = Need("conv2.bias", [d]);
        Positions = get(Prefix + "embed_positions.weight", [cfg.MaxSourcePositions, d]) is { } pos
            ? Need("embed_positions.weight", [cfg.MaxSourcePositions, d])
            : _parameters[Prefix + "embed_positions.weight"] = OnDevice(WhisperSinusoids.Create(cfg.MaxSourcePositions, d, dtype), device);
        var layers = new List<WhisperEncoderLayer>();
        for (int i = 0; i < cfg.EncoderLayers; i++)
        {
            string p = $"layers.{i}.";
            layers.Add(new WhisperEncoderLayer
            {
                AttnNormWeight = Need(p + "self_attn_layer_norm.weight", [d]),
                AttnNormBias = Need(p + "self_attn_layer_norm.bias", [d]),
                Q = Lin(p + "self_attn.q_proj", d, d, true),
                K = Lin(p + "self_attn.k_proj", d, d, false),
                V = Lin(p + "self_attn.v_proj", d, d, true),
                Out = Lin(p + "self_attn.out_proj", d, d, true),
                FfnNormWeight = Need(p + "final_layer_norm.weight", [d]),
                FfnNormBias = Need(p + "final_layer_norm.bias", [d]),
                Fc1 = Lin(p + "fc1", f, d, true),
                Fc2 = Lin(p + "fc2", d, f, true),
            });
        }
        Layers = layers;
        FinalNormWeight = Need("layer_norm.weight", [d]);
        FinalNormBias = Need("layer_norm.bias", [d]);
    }

    private static Tensor OnDevice(Tensor t, Device dev) => dev.IsCpu ? t : t.To(dev);

    /// <summary>Load the encoder of a Hugging Face Whisper folder (config.json + safetensors, single or sharded).</summary>
    public static WhisperEncoder Load(string dir, Device? device = null, DType dtype = DType.F32)
    {
        var cfg = WhisperConfig.Load(dir);
        using var ckpt = CheckpointFolder.Open(dir);
        // WhisperForConditionalGeneration saves "model.encoder.…"; a bare WhisperModel/WhisperEncoder saves "encoder.…".
        string stored = ckpt.Contains(Prefix + "conv1.weight") ? Prefix : ckpt.Contains("encoder.conv1.weight") ? "encoder." : Prefix;
        var dev = device ?? Device.Cpu;
        return new WhisperEncoder(cfg, (name, _) =>
        {
            var key = stored + name[Prefix.Length..];
            return ckpt.Contains(key) ? OnDevice(ckpt.Load(key, dtype), dev) : null;
        }, dev, dtype);
    }

    /// <summary>A freshly initialised encoder (N(0, init_std) weights, zero biases, unit norms, sinusoidal positions); deterministic for a seed.</summary>
    public static WhisperEncoder CreateRandom(WhisperConfig cfg, ulong seed, DType dtype = DType.F32, Device? device = null)
    {
        var dev = device ?? Device.Cpu;
        int index = 0;
        return new WhisperEncoder(cfg, (name, shape) =>
        {
            index++;
            if (name.EndsWith("embed_positions.weight", StringComparison.Ordinal)) return null;
            Tensor t = name.Contains("norm") && name.EndsWith(".weight", StringComparison.Ordinal) ? Tensor.Full(shape, 1.0, dtype)
                : name.EndsWith(".bias", StringComparison.Ordinal) ? Tensor.Zeros(shape, dtype)
                : Tensor.RandN(shape, seed + (ulong)index * 0x9E3779B97F4A7C15UL, cfg.InitStd, dtype);
            return OnDevice(t, dev);
        }, dev, dtype);
    }

    /// <summary>Write config.json and model.safetensors (tensors under "model.encoder.", as WhisperForConditionalGeneration names them).</summary>
    public void Save(string dir)
    {
        Config.Save(dir);
        using var _ = Autograd.NoGrad();
        CheckpointFolder.Save(dir, _parameters.Select(kv => new KeyValuePair<string, Tensor>(kv.Key, kv.Value.To(Device.Cpu))),
            CheckpointFolder.DefaultMaxShardBytes, new Dictionary<string, string> { ["format"] = "pt" });
    }

    /// <summary>Trainable (the testbed's ASR pre-training) or frozen (the method): positions stay fixed either way.</summary>
    public void RequireGrad(bool on = true)
    {
        foreach (var (name, p) in _parameters) p.RequiresGrad = on && !name.EndsWith("embed_positions.weight", StringComparison.Ordinal);
    }

    /// <summary>Encoder states [B, ⌊(T − 1)/2⌋ + 1, d_model] for log-mel features [B, n_mels, T], T ≤ 2·max_source_positions.</summary>
    public Tensor Forward(Tensor features)
    {
        if (features.Rank != 3 || features.Size(1) != Config.NumMelBins)
            throw new ArgumentException($"Whisper encoder input must be log-mel [batch, {Config.NumMelBins}, frames], got {features.ShapeString}.");
        if (features.Size(2) > Config.MaxMelFrames)
            throw new ArgumentException($"Whisper encoder input has {features.Size(2)} frames; this model takes at most {Config.MaxMelFrames} (max_source_positions {Config.MaxSourcePositions} × 2).");
        bool tanh = Config.ActivationFunction != "gelu";
        var x = Ops.Gelu(Ops.Conv1d(features, Conv1Weight, Conv1Bias, stride: 1, padding: 1), tanh);
        x = Ops.Gelu(Ops.Conv1d(x, Conv2Weight, Conv2Bias, stride: 2, padding: 1), tanh);
        x = x.Transpose(1, 2);                                       // [B, T', d]
        x = Ops.Add(x, Positions.Narrow(0, 0, x.Size(1)));
        foreach (var layer in Layers) x = layer.Forward(x, Config.EncoderAttentionHeads, tanh);
        return Ops.LayerNorm(x, FinalNormWeight, FinalNormBias, WhisperEncoderLayer.LayerNormEps);
    }

    /// <summary>Encoder frames that hold real audio for <paramref name="melFrames"/> real mel frames: ⌊(n − 1)/2⌋ + 1 (conv2's stride).</summary>
    public static int EncodedLength(int melFrames) => melFrames <= 0 ? 0 : (melFrames - 1) / 2 + 1;
}
