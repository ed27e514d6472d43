using Engine.Models;
using Engine.Models.Generation;
using Engine.Models.Lora;
using Engine.Models.Speech;
using Engine.Models.Whisper;
using Engine.Runtime;

namespace Engine.Methods.Speech.SelfPowered;

/// <summary>One spoken request: the clip and the text instruction that goes with it.</summary>
public sealed record SpokenPrompt(string Audio, string Instruction);

/// <summary>
/// A trained speech LLM ready to answer (<c>engine lsm generate</c>): the folder <c>engine lsm train</c> wrote, its LLM
/// (with the adapter, unmerged, when there is one), encoder and connector, and the prompt format it was trained with.
/// Prompts are batched with left padding and prefilled from embeddings; each clip has the encoder's fixed chunk
/// shape, so an answer does not depend on the other requests of its batch beyond the kernels' last bits.
/// </summary>
public sealed class SelfPoweredModel
{
    public SpeechLanguageModel Speech { get; }
    public ModelBundle Llm { get; }
    public SpeechPromptEncoder Prompts { get; }
    public SpeechLlmFolder Folder { get; }

    private SelfPoweredModel(SpeechLanguageModel speech, ModelBundle llm, SpeechPromptEncoder prompts, SpeechLlmFolder folder)
    {
        Speech = speech; Llm = llm; Prompts = prompts; Folder = folder;
    }

    /// <param name="llm">Another copy of the LLM folder than lsm.json names (e.g. on another machine).</param>
    /// <param name="encoder">Likewise for the encoder.</param>
    public static SelfPoweredModel Load(string dir, Device? device = null, string? llm = null, string? encoder = null)
    {
        var dev = device ?? Device.Cpu;
        var folder = SpeechLlmFolder.Read(dir);
        var bundle = ModelBundle.Load(llm ?? folder.Llm, dev);
        if (folder.Adapter is { } a) LoraModel.Load(bundle.Model, a).Training = false;
        var speech = new SpeechLanguageModel(WhisperEncoder.Load(encoder ?? folder.Encoder, dev), SpeechConnector.Load(folder.Connector, dev), bundle.Model);
        speech.Encoder.RequireGrad(false);
        speech.Connector.RequireGrad(false);
        return new SelfPoweredModel(speech, bundle, SelfPoweredTraining.Prompts(folder.Format, bundle), folder);
    }

    /// <summary>Greedy decoding with the LLM's end tokens, at most <paramref name="maxNewTokens"/> (the released evaluation's 128).</summary>
    public SamplingOptions Greedy(int maxNewTokens = 128) => new() { MaxNewTokens = maxNewTokens, Temperature = 0, EosTokenIds = Llm.EosTokenIds };

    /// <summary>Answers to spoken prompts, <paramref name="batchSize"/> at a time; request i draws from Philox row i.</summary>
    public IReadOnlyList<GenerationResult> Generate(IReadOnlyList<SpokenPrompt> requests, SamplingOptions sampling, int batchSize = 8, Action<int>? progress = null)
    {
        var results = new List<GenerationResult>(requests.Count);
        for (int at = 0; at < requests.Count; at += batchSize)
        {
            var batch = requests.Skip(at).Take(batchSize).ToArray();
            var clips = batch.Select(r => Speech.Features.FromFile(r.Audio)).ToArray();
            var prompts = batch.Select(r => Prompts.SpeechPrompt(r.Instruction)).ToArray();
            results.AddRange(Speech.Generate(clips, prompts, sampling, Llm.Tokenizer, Enumerable.Range(at, batch.Length).Select(i => (ulong)i).ToArray()));
            progress?.Invoke(batch.Length);
        }
        return results;
    }
}
