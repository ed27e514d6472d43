using Engine.Models.Generation;
using Engine.Models.Tokenizers;
using Engine.Models.Transformer;
using Engine.Models.Whisper;
using Engine.Runtime;

namespace Engine.Models.Speech;

/// <summary>
/// A speech LLM: Whisper encoder → <see cref="SpeechConnector"/> (LayerNorm, window Q-Former, projection) → speech
/// tokens spliced between the prompt's prefix and suffix embeddings → the LLM. Which parts train is the trainer's
/// business (<c>RequireGrad</c> on each); this class only composes the forward and greedy/sampled generation.
/// </summary>
public sealed class SpeechLanguageModel
{
    public WhisperEncoder Encoder { get; }
    public SpeechConnector Connector { get; }
    public TransformerModel Llm { get; }
    public WhisperFeatureExtractor Features { get; }

    public SpeechLanguageModel(WhisperEncoder encoder, SpeechConnector connector, TransformerModel llm)
    {
        if (connector.Config.EncoderWidth != encoder.Config.DModel)
            throw new ArgumentException($"The speech connector reads encoder states of width {connector.Config.EncoderWidth}; the encoder's d_model is {encoder.Config.DModel}.");
        if (connector.Config.LlmHiddenSize != llm.Config.HiddenSize)
            throw new ArgumentException($"The speech connector writes tokens of width {connector.Config.LlmHiddenSize}; the LLM's hidden size is {llm.Config.HiddenSize}.");
        Encoder = encoder; Connector = connector; Llm = llm;
        Features = new WhisperFeatureExtractor(encoder.Config);
    }

    /// <summary>Encoder states [B, T', d] of a batch of clips (every clip has the chunk's shape).</summary>
    public Tensor EncoderStates(IReadOnlyList<WhisperFeatures> clips) => Encoder.Forward(WhisperFeatureExtractor.Batch(clips, Encoder.Device));

    /// <summary>Encoder frames that hold real audio, per clip.</summary>
    public static int[] ValidStates(IReadOnlyList<WhisperFeatures> clips) => clips.Select(c => WhisperEncoder.EncodedLength(c.ValidFrames)).ToArray();

    /// <summary>The spliced batch for encoder states [B, T', d] (with <paramref name="validStates"/> real frames per row) and the prompts around them.</summary>
    public SpeechPromptBatch Splice(Tensor encoderStates, int[] validStates, IReadOnlyList<SpeechPromptItem> prompts, bool padLeft)
    {
        var speech = Connector.Forward(encoderStates, validStates);
        return SpeechPromptSplicer.Build(Llm.EmbedTokens, prompts, speech, padLeft);
    }

    /// <summary>LLM logits [B, T, V] of a spliced batch.</summary>
    public Tensor Logits(SpeechPromptBatch batch) => Llm.ForwardFromEmbeddings(batch.Embeddings, batch.KeyMask);

    /// <summary>
    /// Continuations for clips and their prompts (prefix and suffix ids, no target): encoder, connector, splice with left
    /// padding, prefill from the embeddings, decode from ids (<see cref="TextGenerator.GenerateFromEmbeddings"/>). Row r
    /// draws from Philox row <paramref name="rowIds"/>[r] (default 0..B−1); the repetition penalty sees the prompt's text ids.
    /// </summary>
    public IReadOnlyList<GenerationResult> Generate(IReadOnlyList<WhisperFeatures> clips, IReadOnlyList<SpeechPromptItem> prompts, SamplingOptions o,
        ITokenizer? tokenizer, IReadOnlyList<ulong>? rowIds = null)
    {
        if (clips.Count != prompts.Count) throw new ArgumentException($"{clips.Count} clips for {prompts.Count} prompts.");
        if (prompts.Any(p => p.TargetIds.Length > 0)) throw new ArgumentException("Generation prompts carry no target ids.");
        using var _ = Autograd.NoGrad();
        var batch = Splice(EncoderStates(clips), ValidStates(clips), prompts, padLeft: true);
        var mask = batch.KeyMask.To(Device.Cpu).ToArray<long>();
        var context = prompts.Select(p => p.PrefixIds.Concat(p.SuffixIds).ToArray()).ToArray();
        return new TextGenerator(Llm, tokenizer).GenerateFromEmbeddings(batch.Embeddings, mask, o, rowIds, context);
    }
}
