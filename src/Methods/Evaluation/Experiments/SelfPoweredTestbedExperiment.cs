using System.Diagnostics;
using System.Text.Json.Nodes;
using Engine.Methods.Core.Jobs;
using Engine.Methods.Core.Inference;
using Engine.Methods.Evaluation.Speech;
using Engine.Methods.Evaluation.Testbed;
using Engine.Methods.Speech.SelfPowered;
using Engine.Methods.Training;
using Engine.Methods.Training.Data;
using Engine.Models;
using Engine.Models.Generation;
using Engine.Models.Speech;
using Engine.Models.Whisper;
using Engine.Runtime;

namespace Engine.Methods.Evaluation.Experiments;

public sealed record SelfPoweredExperimentOptions
{
    public string Tasks { get; init; } = "list_ops";
    /// <summary>Spoken training items (train split): the ASR data of the encoder's pre-training and of both connectors.</summary>
    public int TrainN { get; init; } = 800;
    /// <summary>Held-out spoken items (test split).</summary>
    public int TestN { get; init; } = 200;
    public ulong Seed { get; init; } = 1;
    /// <summary>SFT steps of the text LLM on the training items' text.</summary>
    public int TextSteps { get; init; } = 400;
    /// <summary>Steps of the encoder's ASR pre-training.</summary>
    public int AsrSteps { get; init; } = 600;
    /// <summary>Steps of each connector (both arms, same budget).</summary>
    public int ConnectorSteps { get; init; } = 400;
    public int BatchSize { get; init; } = 16;
    public double TextLearningRate { get; init; } = 3e-3;
    public double AsrLearningRate { get; init; } = 2e-3;
    public double ConnectorLearningRate { get; init; } = 2e-3;
    public TestbedExperiment.TinyModelSize Size { get; init; } = new();
    /// <summary>The stand-in encoder: a tiny Whisper with a 3.2 s chunk (max_source_positions 160; the spoken list_ops inputs last 1–2.8 s).</summary>
    public WhisperConfig Encoder { get; init; } = new() { NumMelBins = 80, DModel = 64, EncoderLayers = 2, EncoderAttentionHeads = 4, EncoderFfnDim = 256, MaxSourcePositions = 160 };
    /// <summary>The connector of both arms (and of the pre-training): the method's windows (17 frames, 1 query) at the tiny width.</summary>
    public SpeechConnectorConfig Connector { get; init; } = new() { HiddenSize = 64, NumHeads = 4, IntermediateSize = 256, NumLayers = 2, NumQueries = 1, WindowFrames = 17, WindowStride = 17 };
    public int MaxNewTokens { get; init; } = 24;
    /// <summary>Write a smaller, seconds-long version (CI): few items and steps.</summary>
    public bool Tiny { get; init; }
}

/// <summary>One speech arm: accuracy on the held-out spoken tasks, WER of a transcription instruction, and how often it transcribed instead of answering.</summary>
public sealed record SpokenArmResult(string Arm, EvalReport Tasks, double Wer, double WerLo, double WerHi, double EchoRate, long TrainExamples);

public sealed record SelfPoweredExperimentResult(ulong Seed, SpokenArmResult Asr, SpokenArmResult SelfPowered, EvalReport Text,
    double PretrainWer, double TargetAccuracy, long KeptTargets, long DroppedTargets, IReadOnlyDictionary<string, double> Seconds);

/// <summary>
/// Self-Powered LSM on the spoken testbed. Per seed: testbed items whose inputs are spoken (espeak-ng + sox) while the
/// instruction stays text; a tiny text LLM fine-tuned on the items' text; a tiny Whisper-shaped encoder pre-trained
/// for ASR on the training speech and then frozen (the stand-in for a pretrained Whisper); then two connectors with
/// the same budget on the same clips, the LLM and the encoder frozen: (a) trained on transcripts as targets (plain ASR
/// training), (b) on self-powered targets (a category per clip — transcription or one of the tasks' instructions —
/// and the LLM's own answer to it on the transcript). Evaluated on held-out spoken items: task accuracy (exact checker,
/// bootstrap CIs), WER under a transcription instruction, and (c) the text LLM on the gold transcripts (the upper bound).
/// </summary>
public static class SelfPoweredTestbedExperiment
{
    public const string AsrInstruction = "Provide the English transcription according to the speech";

    public static SelfPoweredExperimentResult Run(string work, SelfPoweredExperimentOptions o, Action<string>? log = null)
    {
        if (o.Tiny) o = o with { TrainN = Math.Min(o.TrainN, 24), TestN = Math.Min(o.TestN, 8), TextSteps = Math.Min(o.TextSteps, 20), AsrSteps = Math.Min(o.AsrSteps, 6), ConnectorSteps = Math.Min(o.ConnectorSteps, 6), BatchSize = Math.Min(o.BatchSize, 4), MaxNewTokens = Math.Min(o.MaxNewTokens, 8) };
        Directory.CreateDirectory(work);
        var seconds = new Dictionary<string, double>();
        var clock = Stopwatch.StartNew();
        // Wall and this process's CPU seconds per stage: on a shared machine the CPU time is the size of the work.
        var cpuAt = Process.GetCurrentProcess().TotalProcessorTime;
        void Lap(string stage)
        {
            var cpu = Process.GetCurrentProcess().TotalProcessorTime;
            seconds[stage] = Math.Round(clock.Elapsed.TotalSeconds, 1);
            log?.Invoke($"{stage}: {clock.Elapsed.TotalSeconds:F0} s wall, {(cpu - cpuAt).TotalSeconds:F0} s CPU");
            cpuAt = cpu; clock.Restart();
        }

        var tasks = TaskRegistry.Parse(o.Tasks);
        var train = TestbedGenerator.Generate(new TestbedOptions { Tasks = tasks, N = o.TrainN, Seed = o.Seed, Split = TestbedSplit.Train });
        var test = TestbedGenerator.Generate(new TestbedOptions { Tasks = tasks, N = o.TestN, Seed = o.Seed + 99, Split = TestbedSplit.Test });
        var trainSpeech = SpokenTestbed.Speak(train.Select(SpokenTestbed.SpokenPart).ToArray(), new SpokenTestbedOptions { OutputDir = Path.Combine(work, "speech-train"), Seed = o.Seed });
        var testSpeech = SpokenTestbed.Speak(test.Select(SpokenTestbed.SpokenPart).ToArray(), new SpokenTestbedOptions { OutputDir = Path.Combine(work, "speech-test"), Seed = o.Seed + 1000 });
        string TrainAudio(int i) => Path.Combine(work, "speech-train", trainSpeech[i].Audio);
        string TestAudio(int i) => Path.Combine(work, "speech-test", testSpeech[i].Audio);
        Lap("speech");

        // The text LLM: a tiny model fine-tuned on the training items as text, plus a repeat task (a pretrained LLM can repeat text; this one is taught).
        var textData = WithRepeats(train);
        var baseDir = TestbedExperiment.MakeTinyModel(Path.Combine(work, "base"), TestbedExperiment.ChatText(textData), o.Size, o.Seed);
        var sft = new TrainerOptions { LearningRate = o.TextLearningRate, Schedule = LrScheduleKind.Cosine, WarmupRatio = 0.05, BatchSize = o.BatchSize, Seed = o.Seed, LogSteps = 100000, MaxSteps = o.TextSteps };
        var llmDir = Path.Combine(work, "llm");
        TestbedExperiment.Sft(baseDir, textData, llmDir, sft);
        Lap("text LLM");

        // The stand-in for a pretrained Whisper encoder: ASR pre-training on the training speech, then frozen.
        var encoderDir = Path.Combine(work, "encoder");
        var asrData = train.Select((r, i) => (TrainAudio(i), SpokenTestbed.SpokenPart(r).Text)).ToArray();
        var pre = SpokenAsrPretraining.Run(baseDir, asrData, encoderDir, new AsrPretrainingOptions
        {
            Encoder = o.Encoder, Connector = o.Connector,
            Trainer = new TrainerOptions { LearningRate = o.AsrLearningRate, Schedule = LrScheduleKind.Cosine, WarmupRatio = 0.05, BatchSize = o.BatchSize, Seed = o.Seed, LogSteps = 100000, MaxSteps = o.AsrSteps },
        }, o.Seed, Logger(log, "asr pre-training", o.AsrSteps));
        var preWer = PretrainWer(pre.Model, pre.Prompts, ModelBundle.Load(baseDir).Tokenizer, test, i => TestAudio(i), o);
        log?.Invoke($"pre-trained ASR (encoder + its own decoder) WER on the test speech: {preWer:P1}");
        Lap("encoder pre-training");

        // Targets: (a) transcripts; (b) self-powered: transcription or a task instruction, answered by the LLM on the transcript.
        var manifest = Path.Combine(work, "train-manifest.jsonl");
        File.WriteAllLines(manifest, train.Select((r, i) => new JsonObject { ["id"] = r.Id, ["audio"] = TrainAudio(i), ["text"] = SpokenTestbed.SpokenPart(r).Text }.ToJsonString()));
        var pool = TestbedPool(train);
        var llm = InferenceModel.Load(llmDir, Device.Cpu);
        var prompts = SelfPoweredTraining.Prompts(SpeechPromptFormat.Chat, llm.Bundle);
        var targetOptions = new SelfPoweredTargetOptions { Instructions = pool, Format = SpeechPromptFormat.Chat, Seed = o.Seed, MaxNewTokens = o.MaxNewTokens, Filter = TargetFilter.Finished, BatchSize = o.BatchSize, MaxPromptTokens = 0 };
        var writer = new LocalTargetWriter(llm, prompts, o.MaxNewTokens, o.BatchSize);
        var asrTargets = Path.Combine(work, "targets-asr.jsonl");
        var spTargets = Path.Combine(work, "targets-self-powered.jsonl");
        RecordJobRunner.Run(new SelfPoweredTargetJob(writer, targetOptions with { Categories = [InstructionPool.TranscriptionCategory] }), new JobOptions { Input = manifest, Output = asrTargets, Overwrite = true });
        RecordJobRunner.Run(new SelfPoweredTargetJob(writer, targetOptions), new JobOptions { Input = manifest, Output = spTargets, Overwrite = true });
        var (targetAccuracy, kept, dropped) = TargetQuality(spTargets, train);
        log?.Invoke($"self-powered targets: {kept} kept, {dropped} dropped; the LLM's task answers on the transcripts are right {targetAccuracy:P1} of the time");
        Lap("targets");

        // Both connectors: same encoder, LLM, steps, batch and learning rate; only the targets differ.
        var connectorTrainer = new TrainerOptions
        {
            LearningRate = o.ConnectorLearningRate, WeightDecay = 0.05, MaxGradNorm = 1.0, Schedule = LrScheduleKind.Linear, WarmupRatio = 0.05,
            BatchSize = o.BatchSize, Seed = o.Seed, LogSteps = 100000, MaxSteps = o.ConnectorSteps,
        };
        SpokenArmResult Arm(string name, string targets)
        {
            var dir = Path.Combine(work, "lsm-" + name);
            var r = SelfPoweredTraining.Run(new SelfPoweredTrainOptions
            {
                Llm = llmDir, Encoder = encoderDir, Data = [targets], Output = dir, Format = SpeechPromptFormat.Chat, Connector = o.Connector,
                MinTargetTokens = 0, CacheInMemory = true, Trainer = connectorTrainer,
            }, Logger(log, name + " connector", o.ConnectorSteps));
            var model = SelfPoweredModel.Load(dir);
            var result = EvaluateArm(name, model, test, TestAudio, o, r.Data.Examples);
            Lap(name);
            return result;
        }
        var asrArm = Arm("asr", asrTargets);
        var spArm = Arm("self-powered", spTargets);

        var text = EvaluateText(ModelBundle.Load(llmDir), test, o);
        Lap("text upper bound");
        foreach (var a in new[] { asrArm, spArm })
            log?.Invoke($"{a.Arm}: task accuracy {a.Tasks.Accuracy:P1} [{a.Tasks.Lo:P1}, {a.Tasks.Hi:P1}], WER {a.Wer:P1} [{a.WerLo:P1}, {a.WerHi:P1}], transcribes instead of answering {a.EchoRate:P1}");
        log?.Invoke($"text LLM on gold transcripts: {text.Accuracy:P1} [{text.Lo:P1}, {text.Hi:P1}]");
        return new SelfPoweredExperimentResult(o.Seed, asrArm, spArm, text, preWer, targetAccuracy, kept, dropped, seconds);
    }

    /// <summary>The training items, and after every fourth one a twin that asks to repeat its input (the method's repeat templates in turn; the answer is the input).</summary>
    public static IReadOnlyList<TestbedRecord> WithRepeats(IReadOnlyList<TestbedRecord> train)
    {
        var repeat = InstructionPool.Default["repeat"].Templates;
        var list = new List<TestbedRecord>();
        for (int i = 0; i < train.Count; i++)
        {
            list.Add(train[i]);
            if (i % 4 == 3 && train[i].Input.Length > 0)
                list.Add(train[i] with { Id = train[i].Id + "-repeat", Instruction = repeat[i / 4 % repeat.Count], Output = train[i].Input, Answer = train[i].Input });
        }
        return list;
    }

    /// <summary>
    /// The testbed's instruction pool: the method's categories the tiny LLM can answer — transcription and repeat (5
    /// templates each) — and one category per task instruction of the training items.
    /// </summary>
    public static InstructionPool TestbedPool(IReadOnlyList<TestbedRecord> train)
    {
        var lines = new List<string>();
        foreach (var name in new[] { InstructionPool.TranscriptionCategory, "repeat" })
        {
            lines.Add("[" + name + "]");
            lines.AddRange(InstructionPool.Default[name].Templates);
        }
        var instructions = train.Select(r => r.Instruction).Distinct().Order(StringComparer.Ordinal).ToArray();
        for (int i = 0; i < instructions.Length; i++) { lines.Add($"[task{i + 1}]"); lines.Add(instructions[i]); }
        return InstructionPool.Parse(string.Join("\n", lines) + "\n", "testbed pool");
    }

    /// <summary>How often the self-powered task targets are right answers (the LLM's accuracy on the transcripts), and the kept/dropped counts.</summary>
    private static (double Accuracy, long Kept, long Dropped) TargetQuality(string targets, IReadOnlyList<TestbedRecord> train)
    {
        var byId = train.ToDictionary(r => r.Id);
        long kept = 0, dropped = 0, tasks = 0, right = 0;
        foreach (var line in File.ReadLines(targets))
        {
            var o = JsonNode.Parse(line)!.AsObject();
            if (!o["kept"]!.GetValue<bool>()) { dropped++; continue; }
            kept++;
            if (o["category"]!.GetValue<string>() == InstructionPool.TranscriptionCategory) continue;
            var r = byId[o["id"]!.GetValue<string>()];
            if (o["instruction"]!.GetValue<string>() != r.Instruction) continue;   // another task's instruction: no key to check
            tasks++;
            if (TestbedChecker.Check(r, o["text"]!.GetValue<string>()).Correct) right++;
        }
        return (tasks == 0 ? double.NaN : (double)right / tasks, kept, dropped);
    }

    private static SpokenArmResult EvaluateArm(string name, SelfPoweredModel model, IReadOnlyList<TestbedRecord> test, Func<int, string> audio, SelfPoweredExperimentOptions o, long trainExamples)
    {
        var sampling = model.Greedy(o.MaxNewTokens);
        var answers = model.Generate(test.Select((r, i) => new SpokenPrompt(audio(i), r.Instruction)).ToArray(), sampling, o.BatchSize);
        var transcripts = model.Generate(test.Select((_, i) => new SpokenPrompt(audio(i), AsrInstruction)).ToArray(), sampling, o.BatchSize);
        var items = new List<ItemResult>();
        var errors = new List<WordErrors>();
        int echoes = 0;
        for (int i = 0; i < test.Count; i++)
        {
            var r = test[i];
            var check = TestbedChecker.Check(r, answers[i].Text);
            items.Add(new ItemResult(r.Id, r.Task, r.Domain, r.Difficulty, check.Expected, check.Extracted, check.Correct, answers[i].Text));
            errors.Add(WordErrorRate.Of(SpokenTestbed.SpokenPart(r).Text, transcripts[i].Text));
            if (IsEcho(answers[i].Text, SpokenTestbed.SpokenPart(r).Text)) echoes++;
        }
        var report = TestbedEvaluator.Summarise(name, items, 2000);
        var (lo, hi) = WordErrorRate.Interval(errors);
        return new SpokenArmResult(name, report, WordErrorRate.Corpus(errors), lo, hi, test.Count == 0 ? 0 : (double)echoes / test.Count, trainExamples);
    }

    /// <summary>An answer that transcribes the speech instead of following the instruction: no answer line, and within WER 0.5 of the transcript.</summary>
    public static bool IsEcho(string answer, string transcript)
    {
        if (AnswerText.Extract(answer) is not null) return false;
        var e = WordErrorRate.Of(transcript, answer);
        return e.ReferenceWords > 0 && e.Errors <= 0.5 * e.ReferenceWords;
    }

    private static EvalReport EvaluateText(ModelBundle llm, IReadOnlyList<TestbedRecord> test, SelfPoweredExperimentOptions o)
    {
        var et = ExampleTokenizer.FromModel(llm);
        var gen = new TextGenerator(llm.Model, llm.Tokenizer);
        var sampling = new SamplingOptions { MaxNewTokens = o.MaxNewTokens, Temperature = 0, EosTokenIds = llm.EosTokenIds };
        var items = new List<ItemResult>();
        foreach (var batch in test.Chunk(o.BatchSize))
        {
            var outs = gen.Generate(batch.Select(r => TestbedEvaluator.PromptIds(et, r)).ToArray(), sampling);
            for (int j = 0; j < batch.Length; j++)
            {
                var check = TestbedChecker.Check(batch[j], outs[j].Text);
                items.Add(new ItemResult(batch[j].Id, batch[j].Task, batch[j].Domain, batch[j].Difficulty, check.Expected, check.Extracted, check.Correct, outs[j].Text));
            }
        }
        return TestbedEvaluator.Summarise("text", items, 2000);
    }

    /// <summary>WER of the pre-training ASR model itself (encoder + its own connector and decoder) on the test speech: how good the stand-in encoder's features are.</summary>
    private static double PretrainWer(SpeechLanguageModel model, SpeechPromptEncoder prompts, Engine.Models.Tokenizers.ITokenizer tokenizer, IReadOnlyList<TestbedRecord> test, Func<int, string> audio, SelfPoweredExperimentOptions o)
    {
        var errors = new List<WordErrors>();
        var sampling = new SamplingOptions { MaxNewTokens = o.MaxNewTokens, Temperature = 0, EosTokenIds = [prompts.EndId] };
        for (int at = 0; at < test.Count; at += o.BatchSize)
        {
            var idx = Enumerable.Range(at, Math.Min(o.BatchSize, test.Count - at)).ToArray();
            var outs = model.Generate(idx.Select(i => model.Features.FromFile(audio(i))).ToArray(), idx.Select(_ => prompts.SpeechPrompt(AsrInstruction)).ToArray(), sampling, tokenizer);
            for (int j = 0; j < idx.Length; j++) errors.Add(WordErrorRate.Of(SpokenTestbed.SpokenPart(test[idx[j]]).Text, outs[j].Text));
        }
        return WordErrorRate.Corpus(errors);
    }

    private static ITrainerCallback[] Logger(Action<string>? log, string what, int steps) => log is null ? [] : [new StepLog(log, what, Math.Max(1, steps / 4))];

    private sealed class StepLog(Action<string> log, string what, int every) : ITrainerCallback
    {
        public void OnStepEnd(StepMetrics m)
        {
            if (m.Step % every == 0) log($"{what}: step {m.Step}, loss {m.Loss:F3}");
        }
    }
}
