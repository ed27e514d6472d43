using Engine.Methods.Speech.SelfPowered;
using Engine.Methods.Training;
using Engine.Models;
using Engine.Models.Speech;
using Engine.Models.Whisper;

namespace Engine.Methods.Evaluation.Speech;

/// <summary>How the speech testbed pre-trains its stand-in for a pretrained Whisper encoder.</summary>
public sealed record AsrPretrainingOptions
{
    /// <summary>The encoder's shape (a tiny Whisper: model_type whisper, any d_model, layers, heads, mels, chunk).</summary>
    public required WhisperConfig Encoder { get; init; }
    /// <summary>The throw-away connector between encoder and decoder during pre-training (widths filled in).</summary>
    public required SpeechConnectorConfig Connector { get; init; }
    public required TrainerOptions Trainer { get; init; }
    public string Instruction { get; init; } = "Provide the English transcription according to the speech";
    public bool CacheInMemory { get; init; } = true;
}

/// <summary>
/// No pretrained Whisper weights can be downloaded where this project is built and tested, so the speech testbed trains
/// its own: a randomly initialised Whisper-shaped encoder learns ASR on the testbed's synthetic speech, with a fresh
/// window Q-Former and a fresh decoder-only LM (the testbed's tiny LLM shape, random weights) writing the transcript
/// after the speech, all three trained together. Then the decoder and that connector are thrown away and the encoder
/// is saved as a Whisper folder, to be frozen by the method exactly as it freezes a pretrained Whisper encoder.
/// </summary>
public static class SpokenAsrPretraining
{
    /// <param name="decoderDir">A randomly initialised LLM folder (its tokenizer writes the transcripts).</param>
    /// <param name="data">Clips and their transcripts.</param>
    /// <param name="encoderDir">Where the trained encoder is written (config.json + model.safetensors).</param>
    public static (TrainResult Train, SpeechLanguageModel Model, SpeechPromptEncoder Prompts) Run(string decoderDir, IReadOnlyList<(string Audio, string Transcript)> data,
        string encoderDir, AsrPretrainingOptions o, ulong seed, IEnumerable<ITrainerCallback>? callbacks = null)
    {
        var decoder = ModelBundle.Load(decoderDir);
        var encoder = WhisperEncoder.CreateRandom(o.Encoder, seed);
        var connector = SpeechConnector.CreateRandom(o.Connector with { EncoderWidth = o.Encoder.DModel, LlmHiddenSize = decoder.Model.Config.HiddenSize }, seed + 1);
        var speech = new SpeechLanguageModel(encoder, connector, decoder.Model);
        var prompts = SelfPoweredTraining.Prompts(SpeechPromptFormat.Chat, decoder);
        var examples = data.Select((d, i) => new SpeechExample(d.Audio, o.Instruction, d.Transcript, prompts.SpeechPrompt(o.Instruction, d.Transcript), i.ToString())).ToList();
        var trainer = new SelfPoweredTrainer(speech, new TrainableModel(decoder.Model), examples, o.Trainer with { OutputDir = null }, trainEncoder: true, cacheInMemory: o.CacheInMemory);
        foreach (var c in callbacks ?? []) trainer.Callbacks.Add(c);
        var result = trainer.Train();
        encoder.Save(encoderDir);
        return (result, speech, prompts);
    }
}
