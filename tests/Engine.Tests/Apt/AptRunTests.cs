using System.Text.Json.Nodes;
using Engine.Methods.Core.Jobs;
using Engine.Methods.Evaluation.Experiments;
using Engine.Methods.Evaluation.Testbed;
using Engine.Methods.Synthesis.APT;
using Engine.Methods.Teachers.Judges;
using Engine.Tests.Judges;

namespace Engine.Tests.Apt;

/// <summary>
/// The APT loop on a tiny model: every stage resumes after a kill (its output torn or missing) to exactly the files an
/// uninterrupted run writes, and bad input — an evaluation set without gold answers, a judge that never scores — ends
/// in counted skips or one clear error.
/// </summary>
public class AptRunTests
{
    internal static string Temp() => Path.Combine(Path.GetTempPath(), "engine-apt-" + Guid.NewGuid().ToString("N"));

    /// <summary>A tiny random model, a two-family evaluation set with answers and tags, and an all-family pool.</summary>
    internal static (string Model, string Eval, string Pool) Setup(string root, int evalN = 16, int poolN = 40)
    {
        Directory.CreateDirectory(root);
        var eval = TestbedGenerator.Generate(new TestbedOptions { Tasks = TaskRegistry.Parse("syllogism,arith"), N = evalN, Seed = 3 });
        var pool = TestbedGenerator.Generate(new TestbedOptions { N = poolN, Seed = 4 });
        var model = TestbedExperiment.MakeTinyModel(Path.Combine(root, "m"), TestbedExperiment.ChatText(eval.Concat(pool)),
            new TestbedExperiment.TinyModelSize(Hidden: 32, Layers: 1, Intermediate: 64, Vocab: 300), seed: 1);
        string evalPath = Path.Combine(root, "eval.jsonl"), poolPath = Path.Combine(root, "pool.jsonl");
        TestbedWriter.Write(eval, evalPath, TestbedFormat.Chat);
        TestbedWriter.Write(pool, poolPath, TestbedFormat.Chat);
        return (model, evalPath, poolPath);
    }

    internal static readonly AptOptions Tiny = new()
    {
        Iterations = 1, MaxSteps = 4, SaveSteps = 2, BatchSize = 4, GradientAccumulation = 1, LearningRate = 5e-3, LoraRank = 4, LoraAlpha = 8,
        MaxNewTokens = 8, GenerationBatchSize = 4, EmbedBatchSize = 8, ChunkSize = 5, MaxLength = 256,
    };

    private static AptRunner Runner(AptOptions? o = null) => new(o ?? Tiny, new CheckerJudge()) { TrainingProgress = TextWriter.Null };

    /// <summary>Every stage output of a run (and the merged model's weights) by relative path.</summary>
    private static Dictionary<string, byte[]> Outputs(string run) => Directory.EnumerateFiles(run, "*", SearchOption.AllDirectories)
        .Where(f => f.EndsWith(".jsonl", StringComparison.Ordinal) && !f.EndsWith("metrics.jsonl", StringComparison.Ordinal)
                    || f.EndsWith(Path.Combine("train", "model.safetensors"), StringComparison.Ordinal))
        .ToDictionary(f => Path.GetRelativePath(run, f), File.ReadAllBytes);

    private static void CopyDir(string from, string to)
    {
        foreach (var d in Directory.EnumerateDirectories(from, "*", SearchOption.AllDirectories)) Directory.CreateDirectory(Path.Combine(to, Path.GetRelativePath(from, d)));
        Directory.CreateDirectory(to);
        foreach (var f in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories)) File.Copy(f, Path.Combine(to, Path.GetRelativePath(from, f)));
    }

    [Fact]
    public void OneIterationWritesEveryStageAndTrainsAMergedModel()
    {
        var root = Temp();
        try
        {
            var (model, eval, pool) = Setup(root);
            var run = Path.Combine(root, "run");
            var result = Runner().Run(model, eval, pool, run);
            Assert.Equal(2, result.Iterations.Count);
            var first = result.Iterations[0];
            Assert.Equal(16, first.Domain.Records);
            Assert.True(first.Domain.Bad > 0);
            Assert.Equal(first.Domain.Bad, File.ReadAllLines(Path.Combine(run, "iter-0", "bad.jsonl")).Length);
            Assert.True(first.Retrieved > 0 && first.Pairs > 0, $"retrieved {first.Retrieved}, pairs {first.Pairs}");
            Assert.Equal(4, first.TrainSteps);
            Assert.Equal("last iteration: evaluation only", result.Iterations[1].Stop);
            foreach (var f in new[] { "mined.jsonl", "judged.jsonl", "bad.jsonl", "bad-tags.jsonl", "bad-embeddings.jsonl", "similar.jsonl", "pairs.jsonl", "report.json" })
                Assert.True(File.Exists(Path.Combine(run, "iter-0", f)), f);
            // Retrieval used the records' own CDT tags; every similar case carries a tag the bad cases have.
            var badTags = File.ReadLines(Path.Combine(run, "iter-0", "bad-tags.jsonl")).SelectMany(l => JsonNode.Parse(l)!["tags"]!.AsArray().Select(t => t!.GetValue<string>())).ToHashSet();
            Assert.All(File.ReadLines(Path.Combine(run, "pool-tags.jsonl")), l => Assert.Equal("record", JsonNode.Parse(l)!["tags_source"]!.GetValue<string>()));
            Assert.All(File.ReadLines(Path.Combine(run, "iter-0", "similar.jsonl")), l => Assert.Contains(JsonNode.Parse(l)!["apt_via"]!.GetValue<string>()["tag:".Length..], badTags));
            Assert.All(File.ReadLines(Path.Combine(run, "iter-0", "pairs.jsonl")), l =>
            {
                var o = JsonNode.Parse(l)!;
                Assert.NotEqual(o["chosen"]![0]!["content"]!.GetValue<string>().Trim(), o["rejected"]![0]!["content"]!.GetValue<string>().Trim());
            });
            // M_1 is a full model folder (merged LoRA) with different weights, and it is what iteration 1 mined with.
            Assert.Equal(Path.Combine(run, "iter-0", "train"), result.FinalModel);
            Assert.NotEqual(File.ReadAllBytes(Path.Combine(model, "model.safetensors")), File.ReadAllBytes(Path.Combine(result.FinalModel, "model.safetensors")));
            Assert.Equal(Path.GetFullPath(result.FinalModel), result.Iterations[1].Model);
            var report = JsonNode.Parse(File.ReadAllText(Path.Combine(run, "report.json")))!.AsArray();
            Assert.Equal(first.Domain.Bad, report[0]!["bad_cases"]!.GetValue<int>());
            Assert.Contains("| 0 |", File.ReadAllText(Path.Combine(run, "report.md")));

            // A second run into the same folder is refused without --resume/--overwrite; --resume finds everything done.
            Assert.Throws<JobException>(() => Runner().Run(model, eval, pool, run));
            var before = Outputs(run);
            var again = Runner().Run(model, eval, pool, run, resume: true);
            Assert.Equal(result.Iterations.Select(i => i.ToJson().ToJsonString()), again.Iterations.Select(i => i.ToJson().ToJsonString()));
            Assert.Equal(before, Outputs(run));
            // Other options are refused on resume, naming what changed.
            var e = Assert.Throws<JobException>(() => Runner(Tiny with { Threshold = 4 }).Run(model, eval, pool, run, resume: true));
            Assert.Contains("threshold: 3 → 4", e.Message);
        }
        finally { if (Directory.Exists(root)) Directory.Delete(root, true); }
    }

    /// <summary>A kill leaves a stage torn (record jobs: complete lines, a half line, an unfinished manifest) or unpublished (whole-file stages: a stray .tmp).</summary>
    [Fact]
    public void EveryStageResumesAfterAKillToTheUninterruptedFiles()
    {
        var root = Temp();
        try
        {
            var (model, eval, pool) = Setup(root);
            var reference = Path.Combine(root, "ref");
            Runner().Run(model, eval, pool, reference);
            var expected = Outputs(reference);
            // The stages in the order a run writes them.
            string[] order =
            [
                "iter-0/mined.jsonl", "iter-0/judged.jsonl", "iter-0/bad.jsonl", "pool-embeddings.jsonl", "iter-0/bad-embeddings.jsonl",
                "pool-tags.jsonl", "iter-0/bad-tags.jsonl", "iter-0/similar.jsonl", "iter-0/pairs.jsonl", "iter-0/train", "iter-1/mined.jsonl", "iter-1/judged.jsonl",
            ];
            var wholeFiles = new[] { "iter-0/bad.jsonl", "iter-0/similar.jsonl", "iter-0/pairs.jsonl" };
            for (int k = 0; k < order.Length; k++)
            {
                var stage = order[k];
                var run = Path.Combine(root, $"kill-{k}");
                CopyDir(reference, run);
                // A kill in this stage: nothing after it was written yet.
                foreach (var later in order.Skip(k + 1).Select(s => Path.Combine(run, s)))
                {
                    if (Directory.Exists(later)) Directory.Delete(later, true); else File.Delete(later);
                    File.Delete(JobManifest.PathFor(later));
                }
                var path = Path.Combine(run, stage);
                if (stage.EndsWith("train", StringComparison.Ordinal))
                {
                    // Killed while training, before its first checkpoint: the round starts again from its seed.
                    Directory.Delete(path, true);
                    Directory.CreateDirectory(path);
                    var m = JobManifest.TryRead(path)!;
                    (m with { Complete = false, Records = null }).Write(path);
                }
                else if (wholeFiles.Contains(stage))
                {
                    File.Move(path, path + ".tmp");             // killed before the rename: only the temporary file is there
                    File.Delete(JobManifest.PathFor(path));
                }
                else
                {
                    int lines = File.ReadAllLines(path).Length;
                    Assert.True(lines >= 2, $"{stage} has {lines} lines");
                    Engine.Tests.SelectIT.SelectItRunTests.Interrupt(path, lines / 2);
                }
                Runner().Run(model, eval, pool, run, resume: true);
                var got = Outputs(run);
                Assert.Equal(expected.Keys.Order(), got.Keys.Order());
                foreach (var (file, bytes) in expected) Assert.True(bytes.AsSpan().SequenceEqual(got[file]), $"after a kill in {stage}: {file} differs");
            }
        }
        finally { if (Directory.Exists(root)) Directory.Delete(root, true); }
    }

    [Fact]
    public void AnEvaluationSetWithoutGoldAnswersIsAClearError()
    {
        var root = Temp();
        try
        {
            var (model, _, pool) = Setup(root);
            var eval = Path.Combine(root, "prompts.jsonl");
            File.WriteAllLines(eval, Enumerable.Range(0, 6).Select(i => $$"""{"id":"q{{i}}","task":"arith","prompt":[{"role":"user","content":"Calculate.\n{{i}} + {{i}}"}]}"""));
            var e = Assert.Throws<InvalidDataException>(() => Runner().Run(model, eval, pool, Path.Combine(root, "run")));
            Assert.Contains("scored none of the 6 records", e.Message);
            Assert.Contains("no gold answer", e.Message);
        }
        finally { if (Directory.Exists(root)) Directory.Delete(root, true); }
    }

    [Fact]
    public void AJudgeThatNeverScoresIsAClearErrorAndOneThatSometimesDoesIsCounted()
    {
        var root = Temp();
        try
        {
            var (model, eval, pool) = Setup(root, evalN: 8);
            var mute = new RubricJudge(new RubricJudgeTests.ScriptedTeacher("I would rather not say."), new RubricJudgeOptions { MaxAttempts = 2 });
            var e = Assert.Throws<InvalidDataException>(() => new AptRunner(Tiny, mute) { TrainingProgress = TextWriter.Null }.Run(model, eval, pool, Path.Combine(root, "mute")));
            Assert.Contains("rubric judge scored none of the 8 records", e.Message);
            Assert.Contains("no score at the end of any of 2 replies", e.Message);

            // Every other reply has a score: the others are counted as skipped, and the loop goes on.
            var flaky = new RubricJudge(new AlternatingTeacher(), new RubricJudgeOptions { MaxAttempts = 1 });
            var r = new AptRunner(Tiny with { Iterations = 1 }, flaky) { TrainingProgress = TextWriter.Null }.Run(model, eval, pool, Path.Combine(root, "flaky"));
            Assert.Equal(8, r.Iterations[0].Domain.Records);
            Assert.Equal(4, r.Iterations[0].Domain.Skipped);
            Assert.Equal(4, r.Iterations[0].Domain.Bad);   // the scored ones all got a 2
            Assert.Contains(r.Iterations[0].Domain.SkipReasons, s => s.StartsWith("4× no score", StringComparison.Ordinal));
        }
        finally { if (Directory.Exists(root)) Directory.Delete(root, true); }
    }

    /// <summary>Scores a record 2 when its prompt's seed is even, and answers without a score when odd (one attempt per record: seed = index).</summary>
    private sealed class AlternatingTeacher : Microsoft.Extensions.AI.IChatClient
    {
        public Task<Microsoft.Extensions.AI.ChatResponse> GetResponseAsync(IEnumerable<Microsoft.Extensions.AI.ChatMessage> messages, Microsoft.Extensions.AI.ChatOptions? options = null, CancellationToken ct = default) =>
            Task.FromResult(new Microsoft.Extensions.AI.ChatResponse(new Microsoft.Extensions.AI.ChatMessage(Microsoft.Extensions.AI.ChatRole.Assistant,
                options!.Seed!.Value % 2 == 0 ? "Wrong. [RESULT] 2" : "Hard to say.")));

        public IAsyncEnumerable<Microsoft.Extensions.AI.ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<Microsoft.Extensions.AI.ChatMessage> messages, Microsoft.Extensions.AI.ChatOptions? options = null, CancellationToken ct = default) =>
            throw new NotSupportedException();

        public object? GetService(Type serviceType, object? serviceKey = null) => null;
        public void Dispose() { }
    }
}
