using Engine.Methods.Training;
using Engine.Methods.Training.Optimization;
using Engine.Models.Speech;
using Engine.Models.Whisper;
using Engine.Runtime;

namespace Engine.Methods.Speech.SelfPowered;

/// <summary>
/// Trains a <see cref="SpeechLanguageModel"/> on speech examples: each micro-batch's clips go through the encoder and
/// the connector, the speech tokens are spliced into the prompts, and the loss is the LLM's next-token cross-entropy on
/// the target tokens (the end token included), averaged over the step's target tokens (transformers' loss). The
/// connector is always trained (its own parameter groups, clipped with the model, in every checkpoint); the LLM trains as
/// its <see cref="TrainableModel"/> says (frozen, the method's default here, or LoRA); the encoder stays frozen unless
/// <paramref name="trainEncoder"/> (the speech testbed's ASR pre-training of a stand-in encoder).
/// </summary>
public sealed class SelfPoweredTrainer : TrainerBase<SpeechExample>
{
    private readonly Dictionary<SpeechExample, WhisperFeatures> _features = new(ReferenceEqualityComparer.Instance);
    private readonly Dictionary<SpeechExample, Tensor> _states = new(ReferenceEqualityComparer.Instance);
    private readonly Dictionary<SpeechExample, int> _valid = new(ReferenceEqualityComparer.Instance);
    private readonly bool _cache;

    public SpeechLanguageModel Speech { get; }
    public bool TrainEncoder { get; }

    /// <param name="cacheInMemory">Keep each clip's features (or, with a frozen encoder, its encoder states) in memory after first use: fast for small data, memory ≈ examples × states.</param>
    public SelfPoweredTrainer(SpeechLanguageModel speech, TrainableModel llm, IReadOnlyList<SpeechExample> train, TrainerOptions options,
        IReadOnlyList<SpeechExample>? eval = null, bool trainEncoder = false, bool cacheInMemory = false)
        : base(llm, train, options, null, eval)
    {
        if (!ReferenceEquals(llm.Model, speech.Llm)) throw new ArgumentException("The trainable model is not the speech model's LLM.");
        Speech = speech; TrainEncoder = trainEncoder; _cache = cacheInMemory;
        speech.Encoder.RequireGrad(trainEncoder);
        AddGroups("connector", speech.Connector.Parameters, options);
        if (trainEncoder) AddGroups("encoder", speech.Encoder.Parameters.Where(kv => !kv.Key.EndsWith("embed_positions.weight", StringComparison.Ordinal)), options);
    }

    public override string Method => "lsm";

    /// <summary>transformers' rule for weight decay: none on biases and LayerNorm weights.</summary>
    public static bool Decays(string name) =>
        !(name.EndsWith(".bias", StringComparison.Ordinal) || name.Contains("norm", StringComparison.OrdinalIgnoreCase) || name.StartsWith("ln_", StringComparison.Ordinal));

    private void AddGroups(string name, IEnumerable<KeyValuePair<string, Tensor>> tensors, TrainerOptions o)
    {
        var all = tensors.ToList();
        var decay = all.Where(kv => Decays(kv.Key)).ToList();
        var rest = all.Where(kv => !Decays(kv.Key)).ToList();
        if (decay.Count > 0) AddParameterGroup(new ParameterGroup { Name = name, Parameters = decay, LearningRate = o.LearningRate, WeightDecay = o.WeightDecay });
        if (rest.Count > 0) AddParameterGroup(new ParameterGroup { Name = name + "_no_decay", Parameters = rest, LearningRate = o.LearningRate });
    }

    protected override double NormalizerUnits(IReadOnlyList<SpeechExample> stepExamples) => stepExamples.Sum(e => (double)e.Prompt.TargetIds.Length);

    protected override MicroBatchLoss ComputeLoss(IReadOnlyList<SpeechExample> micro, double stepUnits, TrainingStepContext ctx)
    {
        var (states, valid) = Encode(micro);
        var batch = Speech.Splice(states, valid, micro.Select(e => e.Prompt).ToArray(), padLeft: false);
        var logits = Speech.Logits(batch);
        int b = logits.Size(0), t = logits.Size(1), v = logits.Size(2);
        // transformers' shift: position j predicts the label at j + 1.
        var targets = new long[b * t];
        var w = new float[b * t];
        var plain = new float[b * t];
        double denom = Math.Max(1, stepUnits);
        long counted = 0;
        for (int i = 0; i < b; i++)
            for (int j = 0; j < t; j++)
            {
                long label = j + 1 < t ? batch.Labels[i * t + j + 1] : SpeechPromptSplicer.IgnoreIndex;
                targets[i * t + j] = label;
                if (label == SpeechPromptSplicer.IgnoreIndex) continue;
                counted++;
                plain[i * t + j] = (float)(1 / denom);
                w[i * t + j] = (float)(ctx.ExampleWeights[i] / denom);
            }
        var perToken = Ops.CrossEntropy(logits.Reshape(b * t, v), OnDevice(Tensor.FromArray(targets, b * t), logits), (int)SpeechPromptSplicer.IgnoreIndex, Reduction.None).Reshape(b, t);
        var loss = Ops.Sum(Ops.Mul(perToken, OnDevice(Tensor.FromArray(w, b, t).To(perToken.DType), perToken)));
        ctx.Logits = logits; ctx.PerTokenLoss = perToken;
        double ce;
        using (Autograd.NoGrad()) ce = Ops.Sum(Ops.Mul(perToken.Detach(), OnDevice(Tensor.FromArray(plain, b, t).To(perToken.DType), perToken))).Item();
        return new MicroBatchLoss(loss, batch.Lengths.Sum(), counted / denom, new Dictionary<string, double> { ["ce"] = ce });
    }

    private static Tensor OnDevice(Tensor x, Tensor like) => like.Device.IsCpu ? x : x.To(like.Device);

    /// <summary>
    /// Encoder states [B, T', d] and real frames per row. A trained encoder runs with its graph on the batch; a frozen one
    /// without, and with the cache each clip's states are computed once, alone (a clip's numbers then never depend on
    /// the batch it first appeared in, so a resumed run computes the same cache).
    /// </summary>
    private (Tensor States, int[] Valid) Encode(IReadOnlyList<SpeechExample> micro)
    {
        if (TrainEncoder || !_cache)
        {
            var clips = micro.Select(e => _cache && _features.TryGetValue(e, out var f) ? f : Remember(e, Speech.Features.FromFile(e.Audio))).ToArray();
            if (TrainEncoder) return (Speech.EncoderStates(clips), SpeechLanguageModel.ValidStates(clips));
            using var __ = Autograd.NoGrad();
            return (Speech.EncoderStates(clips), SpeechLanguageModel.ValidStates(clips));
        }
        using var _ = Autograd.NoGrad();
        foreach (var e in micro)
        {
            if (_states.ContainsKey(e)) continue;
            var clip = Speech.Features.FromFile(e.Audio);
            _states[e] = Speech.EncoderStates([clip]);
            _valid[e] = WhisperEncoder.EncodedLength(clip.ValidFrames);
        }
        var states = micro.Count == 1 ? _states[micro[0]] : Ops.Cat(micro.Select(e => _states[e]).ToArray(), 0);
        return (states, micro.Select(e => _valid[e]).ToArray());
    }

    private WhisperFeatures Remember(SpeechExample e, WhisperFeatures f)
    {
        if (_cache) _features[e] = f;
        return f;
    }
}
