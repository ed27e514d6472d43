using Engine.Methods.Training;
using Engine.Methods.Training.Data;
using Engine.Models;
using Engine.Models.Lora;
using Engine.Models.Speech;
using Engine.Models.Whisper;

namespace Engine.Methods.Speech.SelfPowered;

/// <summary>The result of <c>engine lsm train</c>: the trainer's result, the data report and the folder written.</summary>
public sealed record SelfPoweredTrainResult(TrainResult Train, SpeechDataReport Data, SpeechDataReport? EvalData, string Output, long ConnectorParameters);

/// <summary>
/// <c>engine lsm train</c>: loads the LLM, the encoder and a connector, reads the speech examples, trains the connector
/// (and LoRA adapters when asked) with <see cref="SelfPoweredTrainer"/>, and writes the output folder: checkpoints, the
/// connector in <c>connector/</c>, the adapter (with LoRA), metrics, and <c>lsm.json</c> (<see cref="SpeechLlmFolder"/>).
/// </summary>
public static class SelfPoweredTraining
{
    public static SelfPoweredTrainResult Run(SelfPoweredTrainOptions o, IEnumerable<ITrainerCallback>? callbacks = null, Action<string>? log = null)
    {
        o.Validate();
        var bundle = ModelBundle.Load(o.Llm, o.Device);
        var encoder = WhisperEncoder.Load(o.Encoder, o.Device);
        var cfg = o.Connector with { EncoderWidth = encoder.Config.DModel, LlmHiddenSize = bundle.Model.Config.HiddenSize };
        var connector = o.InitConnector is { } init ? SpeechConnector.Load(init, o.Device) : SpeechConnector.CreateRandom(cfg, o.Trainer.Seed, device: o.Device);
        var speech = new SpeechLanguageModel(encoder, connector, bundle.Model);
        var lora = o.Lora is { } lc ? LoraModel.Apply(bundle.Model, lc with { BaseModelNameOrPath = Path.GetFullPath(o.Llm) }, o.Trainer.Seed) : null;
        var llm = lora is null ? TrainableModel.Frozen(bundle.Model, Path.GetFullPath(o.Llm)) : new TrainableModel(bundle.Model, lora, Path.GetFullPath(o.Llm));

        var prompts = Prompts(o.Format, bundle);
        var (train, report) = SpeechTrainingData.Load(o.Data, prompts, o.MinTargetTokens, o.MaxTargetTokens, o.SkipBadRecords);
        log?.Invoke($"data: {report}");
        if (train.Count == 0) throw new InvalidDataException("No training examples left in the data (see the report above).");
        (List<SpeechExample> Examples, SpeechDataReport Report)? eval = o.EvalData is { Count: > 0 } ev ? SpeechTrainingData.Load(ev, prompts, o.MinTargetTokens, o.MaxTargetTokens, o.SkipBadRecords) : null;
        if (eval is { } e) log?.Invoke($"eval data: {e.Report}");

        var options = o.Trainer with { OutputDir = o.Output, FinalSave = FinalSaveMode.Adapter, PadTokenId = 0 };
        var trainer = new SelfPoweredTrainer(speech, llm, train, options, eval?.Examples, trainEncoder: false, o.CacheInMemory);
        foreach (var c in callbacks ?? []) trainer.Callbacks.Add(c);
        var result = trainer.Train(o.Resume);
        // Data parallel: every rank holds the same connector; rank 0 writes it, the others wait until it is there.
        if (trainer.IsRoot)
        {
            connector.Save(Path.Combine(o.Output, SpeechLlmFolder.ConnectorFolder));
            SpeechLlmFolder.Write(o.Output, o.Llm, o.Encoder, lora is not null, o.Format);
        }
        trainer.Communicator.Barrier();
        return new SelfPoweredTrainResult(result, report, eval?.Report, o.Output, connector.ParameterCount);
    }

    /// <summary>The prompt encoder of a format for an LLM: its chat template (or plain fallback), its first end id as the target's end token.</summary>
    public static SpeechPromptEncoder Prompts(SpeechPromptFormat format, ModelBundle bundle)
    {
        var end = bundle.EosTokenIds is { Length: > 0 } ids ? ids[0] : throw new InvalidDataException($"{bundle.Directory}: the LLM has no end-of-sequence token (generation_config.json, config.json or the tokenizer's eos_token).");
        return new SpeechPromptEncoder(format, ExampleTokenizer.FromModel(bundle), end);
    }
}
