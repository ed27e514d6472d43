using System.Text.Json.Nodes;
using Engine.Methods.Evaluation.Experiments;
using Engine.Methods.Evaluation.Testbed;
using Engine.Models.Audio;
using Engine.Models.Speech;
using Engine.Models.Whisper;

namespace Engine.Tests.Speech;

/// <summary>
/// A tiny speech LLM setup on disk: a ChatML LLM (BPE trained on testbed text, random weights), a tiny random Whisper
/// encoder (1 s chunk), eight WAV clips of different tones and lengths, and an ASR manifest with relative paths.
/// </summary>
public sealed class TinySpeechSetup : IDisposable
{
    public string Root { get; } = SpeechFixtures.TempDir("lsm");
    public string Llm { get; }
    public string Encoder { get; }
    public string Manifest { get; }
    public string[] Transcripts { get; } = ["3, 7, 1", "5, 2", "8, 8, 0, 4", "1, 9", "6, 4, 2", "7", "2, 3, 5, 7", "9, 0"];

    public static readonly WhisperConfig EncoderConfig = new() { NumMelBins = 80, DModel = 16, EncoderLayers = 1, EncoderAttentionHeads = 2, EncoderFfnDim = 32, MaxSourcePositions = 50 };
    public static readonly SpeechConnectorConfig ConnectorConfig = new() { HiddenSize = 16, NumHeads = 2, IntermediateSize = 32, NumLayers = 1, NumQueries = 1, WindowFrames = 4, WindowStride = 4 };

    public TinySpeechSetup()
    {
        var records = TestbedGenerator.Generate(new TestbedOptions { N = 120, Seed = 5, Tasks = TaskRegistry.Parse("list_ops") });
        Llm = TestbedExperiment.MakeTinyModel(Path.Combine(Root, "llm"), TestbedExperiment.ChatText(records),
            new TestbedExperiment.TinyModelSize(Hidden: 32, Layers: 1, Intermediate: 64, Vocab: 300), seed: 3);
        Encoder = Path.Combine(Root, "whisper");
        WhisperEncoder.CreateRandom(EncoderConfig, 7).Save(Encoder);
        Directory.CreateDirectory(Path.Combine(Root, "wav"));
        var lines = new List<string>();
        for (int i = 0; i < Transcripts.Length; i++)
        {
            var name = $"wav/{i}.wav";
            WavWriter.Write(Path.Combine(Root, name), Tone(220 + 90 * i, 0.25 + 0.08 * i, 16000));
            lines.Add(new JsonObject { ["id"] = $"c{i}", ["audio"] = name, ["text"] = Transcripts[i] }.ToJsonString());
        }
        Manifest = Path.Combine(Root, "asr.jsonl");
        File.WriteAllLines(Manifest, lines);
    }

    public string Audio(int i) => Path.Combine(Root, "wav", $"{i}.wav");

    public string NewDir(string name)
    {
        var d = Path.Combine(Root, name + "-" + Guid.NewGuid().ToString("N")[..6]);
        Directory.CreateDirectory(d);
        return d;
    }

    /// <summary>A decaying tone with a second partial, so clips differ in spectrum and length.</summary>
    public static AudioClip Tone(double hz, double seconds, int rate)
    {
        var x = new float[(int)(seconds * rate)];
        for (int n = 0; n < x.Length; n++)
        {
            double t = (double)n / rate;
            x[n] = (float)(0.4 * Math.Exp(-2 * t) * (Math.Sin(2 * Math.PI * hz * t) + 0.3 * Math.Sin(2 * Math.PI * 2.7 * hz * t)));
        }
        return new AudioClip(x, 1, rate);
    }

    public void Dispose() { if (Directory.Exists(Root)) Directory.Delete(Root, true); }
}
