using System.Text.Json.Nodes;
using Engine.Methods.Speech.SelfPowered;
using Engine.Methods.Training;
using Engine.Models;
using Engine.Models.Lora;
using Engine.Models.Speech;
using Engine.Models.Whisper;
using Engine.Runtime;

namespace Engine.Tests.Speech;

/// <summary>
/// lsm train's trainer: its loss against a per-example computation written out here, which tensors change (the
/// connector only; LoRA adapters when asked), exact resume, the in-memory cache, and the trained folder.
/// </summary>
public class SelfPoweredTrainerTests(TinySpeechSetup fx) : IClassFixture<TinySpeechSetup>
{
    private const string Instruction = "Provide the English transcription according to the speech";

    private (SpeechLanguageModel Speech, ModelBundle Llm, SpeechPromptEncoder Prompts, List<SpeechExample> Examples) Setup(ulong seed = 3)
    {
        var llm = ModelBundle.Load(fx.Llm);
        var encoder = WhisperEncoder.Load(fx.Encoder);
        var connector = SpeechConnector.CreateRandom(TinySpeechSetup.ConnectorConfig with { EncoderWidth = 16, LlmHiddenSize = 32 }, seed);
        var prompts = SelfPoweredTraining.Prompts(SpeechPromptFormat.Chat, llm);
        var examples = fx.Transcripts.Select((t, i) => new SpeechExample(fx.Audio(i), Instruction, t, prompts.SpeechPrompt(Instruction, t), $"c{i}")).ToList();
        return (new SpeechLanguageModel(encoder, connector, llm.Model), llm, prompts, examples);
    }

    private static TrainerOptions Opts(int steps, string? output = null, int saveSteps = 0) => new()
    {
        LearningRate = 1e-2, MaxSteps = steps, BatchSize = 4, GradientAccumulation = 2, Seed = 9, LogSteps = 1000, OutputDir = output, SaveSteps = saveSteps, WeightDecay = 0.05,
    };

    /// <summary>Σ over examples of −log p(target token) over Σ target tokens, each example run alone through an unpadded sequence built here.</summary>
    private static double ReferenceLoss(SpeechLanguageModel speech, IReadOnlyList<SpeechExample> examples)
    {
        using var _ = Autograd.NoGrad();
        double nll = 0; long n = 0;
        foreach (var e in examples)
        {
            var clip = speech.Features.FromFile(e.Audio);
            var states = speech.Encoder.Forward(Tensor.FromArray(clip.Mel, 1, clip.NumMels, clip.Frames));
            int valid = WhisperEncoder.EncodedLength(clip.ValidFrames);
            var tokens = speech.Connector.Forward(states, [valid]);
            int l = tokens.Lengths[0];
            Tensor Emb(int[] ids) => speech.Llm.Embed(Tensor.FromArray(ids.Select(x => (long)x).ToArray(), 1, ids.Length)).Reshape(ids.Length, -1);
            int[] rest = [.. e.Prompt.SuffixIds, .. e.Prompt.TargetIds];
            var seq = Ops.Cat([Emb(e.Prompt.PrefixIds), tokens.Embeddings.Reshape(tokens.Embeddings.Size(1), -1).Narrow(0, 0, l), Emb(rest)], 0).Unsqueeze(0);
            var logits = speech.Llm.ForwardFromEmbeddings(seq).ToDoubleArray();
            int v = speech.Llm.Config.VocabSize, start = e.Prompt.PrefixIds.Length + l + e.Prompt.SuffixIds.Length;
            for (int k = 0; k < e.Prompt.TargetIds.Length; k++)
            {
                var row = logits.AsSpan((start - 1 + k) * v, v);
                double max = double.NegativeInfinity;
                foreach (var x in row) max = Math.Max(max, x);
                double sum = 0;
                foreach (var x in row) sum += Math.Exp(x - max);
                nll += max + Math.Log(sum) - row[e.Prompt.TargetIds[k]];
                n++;
            }
        }
        return nll / n;
    }

    [Fact]
    public void TheLossIsTheTargetTokensMeanCrossEntropy()
    {
        var (speech, llm, _, examples) = Setup();
        double expected = ReferenceLoss(speech, examples);
        var trainer = new SelfPoweredTrainer(speech, TrainableModel.Frozen(llm.Model), examples, Opts(1) with { LearningRate = 0 });
        var r = trainer.Train();
        // One step of 8 examples in two micro-batches, padded on the right: the same mean as the eight sequences alone.
        Assert.InRange(Math.Abs(r.History[0].Loss - expected), 0, 1e-5 * expected);
        Assert.InRange(Math.Abs(r.History[0].Extra["ce"] - expected), 0, 1e-5 * expected);
        Assert.True(expected > 1, "an untrained connector should not predict the targets");
    }

    [Fact]
    public void OnlyTheConnectorTrains()
    {
        var (speech, llm, _, examples) = Setup();
        var llmBefore = llm.Model.Parameters.ToDictionary(kv => kv.Key, kv => kv.Value.ToFloatArray());
        var encBefore = speech.Encoder.Parameters.ToDictionary(kv => kv.Key, kv => kv.Value.ToFloatArray());
        var conBefore = speech.Connector.Parameters.ToDictionary(kv => kv.Key, kv => kv.Value.ToFloatArray());
        double before = ReferenceLoss(speech, examples);
        var trainer = new SelfPoweredTrainer(speech, TrainableModel.Frozen(llm.Model), examples, Opts(12));
        trainer.Train();
        foreach (var (k, p) in llm.Model.Parameters) Assert.Equal(llmBefore[k], p.ToFloatArray());
        foreach (var (k, p) in speech.Encoder.Parameters) Assert.Equal(encBefore[k], p.ToFloatArray());
        // Every connector tensor learns, except the query/key of the self-attention among one query per window (a softmax
        // over one key is 1, so their biases get no gradient; their weights only decay).
        foreach (var (k, p) in speech.Connector.Parameters)
            if (!(k.Contains(".attention.self.query.bias", StringComparison.Ordinal) || k.Contains(".attention.self.key.bias", StringComparison.Ordinal)))
                Assert.NotEqual(conBefore[k], p.ToFloatArray());
        // The loss must fall. Only by a little: the LLM here is random and frozen, and its only input the connector
        // controls is a few speech tokens among the prompt's ~30 (measured: 5.749 → 5.728 in 12 steps).
        double after = ReferenceLoss(speech, examples);
        Assert.True(after < before - 0.005, $"12 steps should lower the loss on the training examples: {before:F4} → {after:F4}");
        Assert.Equal(["connector", "connector_no_decay"], trainer.ParameterGroups.Select(g => g.Name));
        Assert.Contains(trainer.ParameterGroups[1].Parameters, kv => kv.Key == "ln_speech.weight");
        Assert.Contains(trainer.ParameterGroups[0].Parameters, kv => kv.Key == "speech_query_tokens");
    }

    [Fact]
    public void AResumedRunEqualsAnUninterruptedOne()
    {
        var dir = fx.NewDir("resume");
        var (s1, l1, _, e1) = Setup();
        new SelfPoweredTrainer(s1, TrainableModel.Frozen(l1.Model), e1, Opts(6, Path.Combine(dir, "a"), saveSteps: 3)).Train();
        var (s2, l2, _, e2) = Setup();
        var b = Path.Combine(dir, "b");
        new SelfPoweredTrainer(s2, TrainableModel.Frozen(l2.Model), e2, Opts(6, b, saveSteps: 3)).Train();
        Directory.Delete(Path.Combine(b, "checkpoint-6"), true);
        var (s3, l3, _, e3) = Setup(seed: 100);   // another initialisation: everything must come from the checkpoint
        var resumed = new SelfPoweredTrainer(s3, TrainableModel.Frozen(l3.Model), e3, Opts(6, b, saveSteps: 3)).Train(resume: true);
        Assert.Equal(6, resumed.Steps);
        foreach (var (k, p) in s1.Connector.Parameters) Assert.Equal(p.ToFloatArray(), s3.Connector.Parameters[k].ToFloatArray());
        Assert.True(File.Exists(Path.Combine(b, "checkpoint-3", "param_groups.safetensors")));
        Assert.False(File.Exists(Path.Combine(b, "checkpoint-3", "model.safetensors")), "a frozen LLM is not written into checkpoints");
    }

    [Fact]
    public void TheEncoderStateCacheChangesNothing()
    {
        var (s1, l1, _, e1) = Setup();
        var (s2, l2, _, e2) = Setup();
        var plain = new SelfPoweredTrainer(s1, TrainableModel.Frozen(l1.Model), e1, Opts(4)).Train();
        var cached = new SelfPoweredTrainer(s2, TrainableModel.Frozen(l2.Model), e2, Opts(4), cacheInMemory: true).Train();
        for (int i = 0; i < 4; i++) Assert.Equal(plain.History[i].Loss, cached.History[i].Loss, 6);
    }

    [Fact]
    public void LoraTrainsAdaptersAndTheFolderLoadsForGeneration()
    {
        var dir = fx.NewDir("lora");
        var data = Path.Combine(dir, "train.jsonl");
        File.WriteAllLines(data, fx.Transcripts.Select((t, i) => new JsonObject { ["audio"] = fx.Audio(i), ["instruction"] = Instruction, ["text"] = t }.ToJsonString()));
        var outDir = Path.Combine(dir, "out");
        var baseBefore = ModelBundle.Load(fx.Llm).Model.Parameters.ToDictionary(kv => kv.Key, kv => kv.Value.ToFloatArray());
        var result = SelfPoweredTraining.Run(new SelfPoweredTrainOptions
        {
            Llm = fx.Llm, Encoder = fx.Encoder, Data = [data], Output = outDir, Format = SpeechPromptFormat.Chat, Connector = TinySpeechSetup.ConnectorConfig,
            MinTargetTokens = 0, Lora = new LoraConfig { Rank = 2, Alpha = 4, TargetModules = ["q_proj", "v_proj"] }, Trainer = Opts(3),
        });
        Assert.Equal(3, result.Train.Steps);
        Assert.True(File.Exists(Path.Combine(outDir, "adapter_config.json")));
        Assert.True(File.Exists(Path.Combine(outDir, "connector", SpeechConnectorConfig.FileName)));
        var folder = SpeechLlmFolder.Read(outDir);
        Assert.Equal((Path.GetFullPath(fx.Llm), Path.GetFullPath(fx.Encoder), "chat"), (folder.Llm, folder.Encoder, folder.Format.Name));
        var lora = LoraModel.Load(ModelBundle.Load(fx.Llm).Model, outDir);
        Assert.Contains(lora.Parameters, kv => kv.Value.ToFloatArray().Any(x => x != 0) && kv.Key.Contains("lora_B"));   // B starts at 0: it trained

        // The loaded speech LLM answers as the pieces it names, assembled by hand, do.
        var m = SelfPoweredModel.Load(outDir);
        foreach (var (k, p) in m.Llm.Model.Parameters) Assert.Equal(baseBefore[k], p.ToFloatArray());           // the base is unchanged, the adapter beside it
        var greedy = m.Greedy(5);
        var got = m.Generate([new SpokenPrompt(fx.Audio(2), Instruction), new SpokenPrompt(fx.Audio(5), "Say it")], greedy, batchSize: 2);
        var llm = ModelBundle.Load(fx.Llm);
        LoraModel.Load(llm.Model, outDir).Training = false;
        var speech = new SpeechLanguageModel(WhisperEncoder.Load(fx.Encoder), SpeechConnector.Load(Path.Combine(outDir, "connector")), llm.Model);
        var prompts = SelfPoweredTraining.Prompts(SpeechPromptFormat.Chat, llm);
        var alone = speech.Generate([speech.Features.FromFile(fx.Audio(5))], [prompts.SpeechPrompt("Say it")], greedy, llm.Tokenizer);
        Assert.Equal(alone[0].TokenIds, got[1].TokenIds);
        Assert.True(got[0].TokenIds.Length == 5 || got[0].FinishReason == "eos");
    }

    [Fact]
    public void TrainingDataSkipsDroppedLinesAndNamesBadOnes()
    {
        var dir = fx.NewDir("data");
        var (_, llm, prompts, _) = Setup();
        var path = Path.Combine(dir, "t.jsonl");
        File.WriteAllLines(path,
        [
            new JsonObject { ["audio"] = "../wav/0.wav", ["instruction"] = Instruction, ["text"] = "3, 7, 1" }.ToJsonString(),
            new JsonObject { ["audio"] = fx.Audio(1), ["instruction"] = Instruction, ["text"] = "", ["kept"] = false }.ToJsonString(),
            new JsonObject { ["audio"] = fx.Audio(2), ["instruction"] = Instruction, ["text"] = "one two three four five six seven eight nine ten eleven twelve" }.ToJsonString(),
            new JsonObject { ["audio"] = fx.Audio(3), ["text"] = "1, 9" }.ToJsonString(),
        ]);
        var e = Assert.Throws<Engine.Methods.Core.Data.RecordFormatException>(() => SpeechTrainingData.Load([path], prompts));
        Assert.Equal(("instruction", 4L), (e.Field, e.Line));
        var (examples, report) = SpeechTrainingData.Load([path], prompts, minTargetTokens: 0, maxTargetTokens: 10, skipBadRecords: true);
        Assert.Equal(fx.Audio(0), Path.GetFullPath(examples.Single().Audio));          // relative to the file's folder
        Assert.Equal((1L, 1L, 1L, 1L), (report.Examples, report.NotKept, report.TargetLength, report.Bad.SkippedCount));
        File.WriteAllLines(path, [new JsonObject { ["audio"] = "missing.wav", ["instruction"] = Instruction, ["text"] = "1" }.ToJsonString()]);
        Assert.Contains("missing.wav does not exist", Assert.Throws<Engine.Methods.Core.Data.RecordFormatException>(() => SpeechTrainingData.Load([path], prompts)).Message);
        _ = llm;
    }
}
