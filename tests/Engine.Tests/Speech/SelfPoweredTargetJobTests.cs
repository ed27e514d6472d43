using System.Text.Json.Nodes;
using Engine.Methods.Core.Data;
using Engine.Methods.Core.Inference;
using Engine.Methods.Core.Jobs;
using Engine.Methods.Speech.SelfPowered;
using Engine.Models.Generation;
using Engine.Runtime;
using Microsoft.Extensions.AI;

namespace Engine.Tests.Speech;

/// <summary>lsm gen-targets as a record job: per-record instruction draw, transcription and LLM targets, filters, shards, resume, a chat teacher, bad records.</summary>
public class SelfPoweredTargetJobTests(TinySpeechSetup fx) : IClassFixture<TinySpeechSetup>
{
    private static readonly SelfPoweredTargetOptions Options = new()
    {
        Format = SpeechPromptFormat.Chat, Categories = ["asr", "repeat", "sentiment"], MaxNewTokens = 6, BatchSize = 4, Filter = TargetFilter.None, MaxPromptTokens = 0, Seed = 4,
    };

    private (SelfPoweredTargetJob Job, InferenceModel Model, SpeechPromptEncoder Prompts) Local(SelfPoweredTargetOptions o)
    {
        var model = InferenceModel.Load(fx.Llm, Device.Cpu);
        var prompts = SelfPoweredTraining.Prompts(o.Format, model.Bundle);
        return (new SelfPoweredTargetJob(new LocalTargetWriter(model, prompts, o.MaxNewTokens, o.BatchSize), o), model, prompts);
    }

    private static JsonObject[] Lines(string path) => File.ReadAllLines(path).Select(l => JsonNode.Parse(l)!.AsObject()).ToArray();

    [Fact]
    public void EachRecordGetsItsDrawnInstructionAndItsTarget()
    {
        var (job, model, prompts) = Local(Options);
        var outPath = Path.Combine(fx.NewDir("whole"), "targets.jsonl");
        RecordJobRunner.Run(job, new JobOptions { Input = fx.Manifest, Output = outPath });
        var lines = Lines(outPath);
        Assert.Equal(fx.Transcripts.Length, lines.Length);
        var gen = new TextGenerator(model.Bundle.Model, model.Bundle.Tokenizer);
        var categories = new HashSet<string>();
        for (int i = 0; i < lines.Length; i++)
        {
            var o = lines[i];
            var (cat, j) = job.Instruction(i);
            categories.Add(cat.Name);
            Assert.Equal($"c{i}", o["id"]!.GetValue<string>());                                  // input fields carried through
            Assert.Equal(fx.Audio(i), o["audio"]!.GetValue<string>());                           // relative path made absolute
            Assert.Equal(fx.Transcripts[i], o["transcript"]!.GetValue<string>());
            Assert.Equal(cat.Name, o["category"]!.GetValue<string>());
            Assert.Equal(cat.Templates[j], o["instruction"]!.GetValue<string>());
            Assert.True(o["kept"]!.GetValue<bool>());
            if (cat.IsTranscription)
            {
                Assert.Equal(fx.Transcripts[i], o["text"]!.GetValue<string>());
                Assert.Equal("transcript", o["finish_reason"]!.GetValue<string>());
                continue;
            }
            // The LLM's own greedy answer to "instruction\ntranscript" in its chat template, decoded alone.
            var ids = prompts.GenerationPrompt(cat.Templates[j], fx.Transcripts[i]);
            var text = model.Bundle.Tokenizer.Decode(model.Bundle.Tokenizer.Encode(prompts.GenerationText(cat.Templates[j], fx.Transcripts[i]), addSpecialTokens: false), skipSpecialTokens: false);
            Assert.Contains("<|im_start|>user\n" + cat.Templates[j] + "\n" + fx.Transcripts[i] + "<|im_end|>", text);
            var alone = gen.Generate([ids], new SamplingOptions { MaxNewTokens = 6, EosTokenIds = model.Bundle.EosTokenIds })[0];
            Assert.Equal(alone.Text, o["text"]!.GetValue<string>());
            Assert.Equal(alone.FinishReason, o["finish_reason"]!.GetValue<string>());
        }
        Assert.True(categories.Count >= 2, "the draw used one category only");
    }

    [Fact]
    public void ShardsMergeAndAResumedRunEqualOneWholeRun()
    {
        var (job, _, _) = Local(Options);
        var dir = fx.NewDir("shards");
        var whole = Path.Combine(dir, "whole.jsonl");
        RecordJobRunner.Run(job, new JobOptions { Input = fx.Manifest, Output = whole });
        var sharded = Path.Combine(dir, "sharded.jsonl");
        RecordJobRunner.Run(job, new JobOptions { Input = fx.Manifest, Output = sharded, Shard = Shard.Parse("1/2"), ChunkSize = 3 });
        RecordJobRunner.Run(job, new JobOptions { Input = fx.Manifest, Output = sharded, Shard = Shard.Parse("0/2"), ChunkSize = 2 });
        JobMerge.Merge(sharded);
        Assert.Equal(File.ReadAllBytes(whole), File.ReadAllBytes(sharded));

        var resumed = Path.Combine(dir, "resumed.jsonl");
        RecordJobRunner.Run(job, new JobOptions { Input = fx.Manifest, Output = resumed, ChunkSize = 3 });
        var text = File.ReadAllText(resumed);
        int cut = text.IndexOf('\n', text.IndexOf('\n', text.IndexOf('\n') + 1) + 1) + 20;   // three lines and a torn fourth
        File.WriteAllText(resumed, text[..cut]);
        RecordJobRunner.Run(job, new JobOptions { Input = fx.Manifest, Output = resumed, Resume = true });
        Assert.Equal(File.ReadAllBytes(whole), File.ReadAllBytes(resumed));

        // A resume with another seed is refused, naming the difference.
        var (other, _, _) = Local(Options with { Seed = 5 });
        var e = Assert.ThrowsAny<Exception>(() => RecordJobRunner.Run(other, new JobOptions { Input = fx.Manifest, Output = resumed, Resume = true }));
        Assert.Contains("seed: 4 → 5", e.Message);
    }

    [Fact]
    public void TheFiltersDropButKeepTheLine()
    {
        var dir = fx.NewDir("filters");
        var (shortPrompts, _, prompts) = Local(Options with { MaxPromptTokens = 12 });
        var path = Path.Combine(dir, "short.jsonl");
        RecordJobRunner.Run(shortPrompts, new JobOptions { Input = fx.Manifest, Output = path });
        foreach (var o in Lines(path))
        {
            bool asr = o["category"]!.GetValue<string>() == "asr";
            bool fits = asr || prompts.GenerationPrompt(o["instruction"]!.GetValue<string>(), o["transcript"]!.GetValue<string>()).Length < 12;
            Assert.Equal(fits, o["kept"]!.GetValue<bool>());
            if (!fits) Assert.Equal(("prompt_tokens", ""), (o["drop_reason"]!.GetValue<string>(), o["text"]!.GetValue<string>()));
        }
        var (punct, _, _) = Local(Options with { Filter = TargetFilter.Punctuation });
        path = Path.Combine(dir, "punct.jsonl");
        RecordJobRunner.Run(punct, new JobOptions { Input = fx.Manifest, Output = path });
        foreach (var o in Lines(path).Where(o => o["category"]!.GetValue<string>() != "asr"))
            Assert.Equal(SelfPoweredRules.EndsWithPunctuation(o["text"]!.GetValue<string>()), o["kept"]!.GetValue<bool>());
    }

    [Theory]
    [InlineData("chat", "{0}\n{1}")]
    [InlineData("vicuna", "{0}: {1}")]
    public void AChatTeacherIsSentTheFormatsUserTurn(string format, string userTurn)
    {
        var f = SpeechPromptFormat.Resolve(format);
        var client = new EchoClient();
        var o = Options with { Format = f };
        var job = new SelfPoweredTargetJob(new ChatTargetWriter(client, "echo", f, 6), o);
        var path = Path.Combine(fx.NewDir("teacher"), "t.jsonl");
        RecordJobRunner.Run(job, new JobOptions { Input = fx.Manifest, Output = path });
        var lines = Lines(path);
        int asked = 0;
        foreach (var line in lines)
        {
            if (line["category"]!.GetValue<string>() == "asr") continue;
            asked++;
            Assert.Equal("[" + string.Format(userTurn, line["instruction"]!.GetValue<string>(), line["transcript"]!.GetValue<string>()) + "]", line["text"]!.GetValue<string>());
        }
        Assert.Equal(asked, client.Calls);
        Assert.True(asked > 0);
        Assert.Equal(6, client.MaxTokens);
    }

    [Fact]
    public void ABadRecordNamesItsLineAndField()
    {
        var dir = fx.NewDir("bad");
        var input = Path.Combine(dir, "in.jsonl");
        File.WriteAllLines(input, ["{\"audio\": \"a.wav\", \"text\": \"1, 2\"}", "{\"text\": \"3, 4\"}", "{\"audio\": \"b.wav\", \"text\": \"   \"}", "{\"audio\": \"c.wav\", \"text\": \"5\"}"]);
        var (job, _, _) = Local(Options);
        var e = Assert.Throws<RecordFormatException>(() => RecordJobRunner.Run(job, new JobOptions { Input = input, Output = Path.Combine(dir, "o.jsonl") }));
        Assert.Equal(("audio", 2L), (e.Field, e.Line));
        Assert.Contains("in.jsonl:2", e.Message);
        var s = RecordJobRunner.Run(job, new JobOptions { Input = input, Output = Path.Combine(dir, "o.jsonl"), SkipBadRecords = true, Overwrite = true });
        Assert.Equal((2L, 2L), (s.Records, s.Skipped));
        Assert.Equal(Path.Combine(dir, "c.wav"), Lines(Path.Combine(dir, "o.jsonl"))[1]["audio"]!.GetValue<string>());
    }

    private sealed class EchoClient : IChatClient
    {
        public int Calls;
        public int? MaxTokens;

        public Task<ChatResponse> GetResponseAsync(IEnumerable<Microsoft.Extensions.AI.ChatMessage> messages, ChatOptions? options = null, CancellationToken ct = default)
        {
            Interlocked.Increment(ref Calls);
            MaxTokens = options?.MaxOutputTokens;
            var user = messages.Single(m => m.Role == ChatRole.User).Text;
            return Task.FromResult(new ChatResponse(new Microsoft.Extensions.AI.ChatMessage(ChatRole.Assistant, "[" + user + "]")) { FinishReason = ChatFinishReason.Stop });
        }

        public IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<Microsoft.Extensions.AI.ChatMessage> messages, ChatOptions? options = null, CancellationToken ct = default) =>
            throw new NotSupportedException();

        public object? GetService(Type serviceType, object? serviceKey = null) => null;
        public void Dispose() { }
    }
}
