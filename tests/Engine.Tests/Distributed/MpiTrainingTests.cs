using System.Diagnostics;
using System.Text.RegularExpressions;
using Engine.Methods.Training.Checkpoints;
using Engine.Models.Lora;
using Engine.Models.Tokenizers;
using Engine.Models.Transformer;
using Engine.Tests.Training;

namespace Engine.Tests.Distributed;

/// <summary>
/// Several real processes under mpirun, each the built CLI: the collectives, data-parallel SFT against one process,
/// ZeRO-1 against plain data parallelism, a killed rank and a resume with another world size, a sharded record job.
/// </summary>
[Collection("mpirun")]
public class MpiTrainingTests
{
    private static string[] Sft(string model, string data, string output, params string[] extra) =>
        ["sft", "--model", model, "--data", data, "--output", output, "--max-steps", "6", "--batch-size", "2", "--grad-accum", "2",
         "--lr", "1e-2", "--weight-decay", "0.1", "--log-steps", "1", "--parameter-check-steps", "1", .. extra];

    private static Dictionary<string, float[]> Weights(string dir)
    {
        return SafeTensorsDictionary.ReadAll(Path.Combine(dir, "model.safetensors")).ToDictionary(kv => kv.Key, kv => kv.Value.ToFloatArray());
    }

    private static void Ok((int Code, string Out, string Err) r, string what) => Assert.True(r.Code == 0, $"{what} exited {r.Code}:\n{r.Err}\n{r.Out}");

    [Fact]
    public void CollectivesAgreeWithWhatEachRankComputesAlone()
    {
        var r = Mpirun.Run(2, ["distributed", "check", "--elements", "5000"]);
        Ok(r, "distributed check");
        foreach (var what in new[] { "all-reduce", "reduce-scatter", "all-gather", "broadcast from rank 1", "barrier" })
            for (int rank = 0; rank < 2; rank++) Assert.Contains($"ok   rank {rank}/2 mpi {what}", r.Out);
        Assert.DoesNotContain("FAIL", r.Out);
    }

    [Fact]
    public void TwoRanksTrainBitwiseLikeOneProcessAndZeroOneMatchesWithin1e6()
    {
        var root = ToyTraining.TempDir();
        Directory.CreateDirectory(root);
        try
        {
            var (model, data) = (ToyTraining.SaveCheckpoint(root), ToyTraining.WriteReversalData(root));
            string one = Path.Combine(root, "one"), two = Path.Combine(root, "two"), zero = Path.Combine(root, "zero");
            Ok(Mpirun.Run(0, Sft(model, data, one)), "one process");
            var dp = Mpirun.Run(2, Sft(model, data, two));
            Ok(dp, "mpirun -np 2");
            Assert.Contains("distributed: rank 1 of 2", dp.Err);
            Ok(Mpirun.Run(2, Sft(model, data, zero, "--zero", "1")), "mpirun -np 2 --zero 1");

            var w1 = Weights(one); var w2 = Weights(two); var wz = Weights(zero); var w0 = Weights(model);
            Assert.Equal(w1.Keys.Order(), w2.Keys.Order());
            Assert.Contains(w1, kv => !kv.Value.SequenceEqual(w0[kv.Key])); // it trained
            // Batch 2 × accumulation 2 over 2 ranks: each rank runs one of the micro-batches one process runs, and the
            // sum of two gradients is the same in either order, so the parameters are the same bits.
            foreach (var (k, v) in w1) Assert.True(v.SequenceEqual(w2[k]), $"{k} differs between one process and two ranks");
            // ZeRO-1: same element-wise update; only the clipping norm is summed in another order.
            foreach (var (k, v) in w1)
                for (int i = 0; i < v.Length; i++)
                    Assert.True(Math.Abs(v[i] - wz[k][i]) <= 1e-6 * Math.Max(1e-3, Math.Abs(v[i])), $"{k}[{i}]: plain {v[i]}, ZeRO-1 {wz[k][i]}");
            // Only rank 0 wrote the metrics: one line per step.
            Assert.Equal(6, File.ReadLines(Path.Combine(two, "metrics.jsonl")).Count(l => l.Contains("\"train\"")));

            // The all-reduce after the backward instead of overlapped with it: the same sums, so the same bits.
            string after = Path.Combine(root, "after");
            Ok(Mpirun.Run(2, Sft(model, data, after, "--overlap-allreduce", "false")), "mpirun -np 2 --overlap-allreduce false");
            var wa = Weights(after);
            foreach (var (k, v) in w1) Assert.True(v.SequenceEqual(wa[k]), $"{k} differs without the overlap");
            // Checkpointed layers and a blocked loss reach the weights through nested backwards (the LM head once per
            // block): the buckets must still take each gradient only once it is complete, so overlapped and not give
            // the same bits. (Against one process they agree only to rounding here: one process adds the LM head's
            // block gradients one by one across both micro-batches, ((a1+a2)+b1)+b2, two ranks add (a1+a2)+(b1+b2).)
            string[] nested = ["--gradient-checkpointing", "--loss-chunk-tokens", "3"];
            string oneNested = Path.Combine(root, "one-nested"), twoNested = Path.Combine(root, "two-nested"), twoNestedAfter = Path.Combine(root, "two-nested-after");
            Ok(Mpirun.Run(0, Sft(model, data, oneNested, nested)), "one process, checkpointed");
            Ok(Mpirun.Run(2, Sft(model, data, twoNested, nested)), "mpirun -np 2, checkpointed");
            Ok(Mpirun.Run(2, Sft(model, data, twoNestedAfter, [.. nested, "--overlap-allreduce", "false"])), "mpirun -np 2, checkpointed, no overlap");
            var n1 = Weights(oneNested); var n2 = Weights(twoNested); var n2a = Weights(twoNestedAfter);
            foreach (var (k, v) in n2) Assert.True(v.SequenceEqual(n2a[k]), $"{k}: the overlapped all-reduce differs from the one after the backward with checkpointing and loss blocks");
            double worst = 0;
            foreach (var (k, v) in n1)
                for (int i = 0; i < v.Length; i++) worst = Math.Max(worst, Math.Abs(v[i] - n2[k][i]) / Math.Max(1e-2, Math.Abs(v[i])));
            Assert.True(worst <= 1e-5, $"checkpointed two ranks vs one process: worst relative difference {worst:E2}");
        }
        finally { Directory.Delete(root, true); }
    }

    /// <summary>
    /// ENGINE_COLLECTIVES=mpi makes one process run the whole data-parallel path through MPI (flags, buckets,
    /// all-reduce, metric reduction): the same bits as the local communicator, since a sum over one rank is the
    /// identity. The same switch is how NCCL is checked and timed on a one-GPU machine. A bad value is a clear error.
    /// </summary>
    [Fact]
    public void OneProcessThroughTheMpiPathTrainsTheSameBitsAsWithoutIt()
    {
        var root = ToyTraining.TempDir();
        Directory.CreateDirectory(root);
        try
        {
            var (model, data) = (ToyTraining.SaveCheckpoint(root), ToyTraining.WriteReversalData(root));
            string local = Path.Combine(root, "local"), mpi = Path.Combine(root, "mpi");
            Ok(Mpirun.Run(0, Sft(model, data, local)), "local communicator");
            var r = Mpirun.Run(0, Sft(model, data, mpi), new Dictionary<string, string> { ["ENGINE_COLLECTIVES"] = "mpi" });
            Ok(r, "ENGINE_COLLECTIVES=mpi");
            Assert.Contains("distributed: rank 0 of 1", r.Err);
            Assert.Contains("mpi)", r.Err);
            var a = Weights(local); var b = Weights(mpi); var w0 = Weights(model);
            Assert.Contains(a, kv => !kv.Value.SequenceEqual(w0[kv.Key])); // it trained
            foreach (var (k, v) in a) Assert.True(v.SequenceEqual(b[k]), $"{k} differs through the MPI path");

            var bad = Mpirun.Run(0, Sft(model, data, Path.Combine(root, "bad")), new Dictionary<string, string> { ["ENGINE_COLLECTIVES"] = "gloo" });
            Assert.NotEqual(0, bad.Code);
            Assert.Contains("ENGINE_COLLECTIVES='gloo': expected nccl, mpi or auto", bad.Err + bad.Out);
            var nccl = Mpirun.Run(0, Sft(model, data, Path.Combine(root, "nccl")), new Dictionary<string, string> { ["ENGINE_COLLECTIVES"] = "nccl" });
            Assert.NotEqual(0, nccl.Code);
            Assert.Contains("needs a CUDA device", nccl.Err + nccl.Out);
        }
        finally { Directory.Delete(root, true); }
    }

    /// <summary>`engine lsm train` (Self-Powered LSM) joins the world: two ranks train the connector one process trains, and rank 0 alone writes the folder.</summary>
    [Fact]
    public void LsmTrainUnderMpirunWritesTheConnectorOneProcessWrites()
    {
        using var fx = new Engine.Tests.Speech.TinySpeechSetup();
        var dir = fx.NewDir("mpi");
        var targets = Path.Combine(dir, "targets.jsonl");
        int rc = Engine.Cli.Commands.LsmCommand.Create().Parse(["gen-targets", "--llm", fx.Llm, "--transcripts", fx.Manifest, "--output", targets,
            "--prompt-format", "chat", "--categories", "asr,repeat", "--max-new-tokens", "6", "--batch-size", "4", "--filter", "finished",
            "--max-prompt-tokens", "0", "--seed", "2"]).Invoke(new System.CommandLine.InvocationConfiguration { EnableDefaultExceptionHandler = false, Output = TextWriter.Null });
        Assert.Equal(0, rc);
        string[] Train(string output) => ["lsm", "train", "--llm", fx.Llm, "--encoder", fx.Encoder, "--data", targets, "--output", output, "--prompt-format", "chat",
            "--qformer-hidden", "16", "--qformer-heads", "2", "--qformer-ffn", "32", "--qformer-layers", "1", "--window", "4", "--stride", "4",
            "--min-target-tokens", "0", "--max-steps", "3", "--batch-size", "2", "--grad-accum", "2", "--warmup-steps", "0", "--lr", "1e-2", "--lora"];
        string one = Path.Combine(dir, "one"), two = Path.Combine(dir, "two");
        Ok(Mpirun.Run(0, Train(one)), "lsm train, one process");
        var dp = Mpirun.Run(2, Train(two));
        Ok(dp, "lsm train under mpirun -np 2");
        Assert.Contains("distributed: rank 1 of 2", dp.Err);
        var files = Directory.GetFiles(one, "*.safetensors", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(one, f)).Order().ToList();
        Assert.Contains(files, f => f.StartsWith(Engine.Methods.Speech.SelfPowered.SpeechLlmFolder.ConnectorFolder));
        Assert.Contains(files, f => f.Contains("adapter"));
        Assert.Equal(files, Directory.GetFiles(two, "*.safetensors", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(two, f)).Order().ToList());
        foreach (var f in files)
            Assert.True(File.ReadAllBytes(Path.Combine(one, f)).SequenceEqual(File.ReadAllBytes(Path.Combine(two, f))), $"{f} differs between one process and two ranks");
        int Lines(string d) => File.ReadLines(Path.Combine(d, "metrics.jsonl")).Count(l => l.Contains("\"train\""));
        Assert.Equal(Lines(one), Lines(two)); // rank 0 alone logged
    }

    /// <summary>
    /// `engine apt run` joins the world: rank 0 mines, judges, embeds, retrieves and builds the pairs, then both ranks
    /// train each round data parallel; the merged models and the reports equal one process's.
    /// </summary>
    [Fact]
    public void AptRunUnderMpirunWritesTheModelsAndReportsOneProcessWrites()
    {
        var root = Engine.Tests.Apt.AptRunTests.Temp();
        try
        {
            var (model, eval, pool) = Engine.Tests.Apt.AptRunTests.Setup(root);
            string[] Apt(string output) => ["apt", "run", "--model", model, "--eval", eval, "--pool", pool, "--output", output, "--judge", "checker",
                "--iterations", "1", "--max-steps", "4", "--batch-size", "2", "--grad-accum", "2", "--lr", "5e-3", "--lora-r", "4", "--lora-alpha", "8",
                "--max-new-tokens", "8", "--gen-batch-size", "4", "--embed-batch-size", "8", "--max-length", "256"];
            string one = Path.Combine(root, "one"), two = Path.Combine(root, "two");
            Ok(Mpirun.Run(0, Apt(one)), "apt run, one process");
            var dp = Mpirun.Run(2, Apt(two));
            Ok(dp, "apt run under mpirun -np 2");
            Assert.Contains("distributed: rank 1 of 2", dp.Err);
            var merged = Path.Combine("iter-0", "train", "model.safetensors");
            Assert.True(File.Exists(Path.Combine(one, merged)), "the round trained nothing");
            Assert.True(File.ReadAllBytes(Path.Combine(one, merged)).SequenceEqual(File.ReadAllBytes(Path.Combine(two, merged))), "the merged model differs between one process and two ranks");
            string Report(string d) => System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Path.Combine(d, "report.json")))!.ToJsonString().Replace(d, "<run>");
            Assert.Equal(Report(one), Report(two));
        }
        finally { Directory.Delete(root, true); }
    }

    /// <summary>An experiment under a launcher would run once per rank: it stops before doing anything, and says why.</summary>
    [Fact]
    public void AnExperimentUnderALauncherStopsWithAnError()
    {
        var work = Path.Combine(ToyTraining.TempDir(), "exp");
        var env = new Dictionary<string, string> { ["OMPI_COMM_WORLD_RANK"] = "1", ["OMPI_COMM_WORLD_SIZE"] = "2" };
        var r = Mpirun.Run(0, ["ccl", "experiment", "--work", work], env);
        Assert.NotEqual(0, r.Code);
        Assert.Contains("`ccl experiment` runs as one process, not under a launcher", r.Err);
        Assert.False(Directory.Exists(work));
        Assert.Equal(0, Mpirun.Run(0, ["ccl", "experiment", "--help"], env).Code); // help still works
    }

    /// <summary>KTO's reference point is estimated over the whole step on every rank, and its per-micro-batch values are found by the micro-batch's index in the step.</summary>
    [Fact]
    public void TwoRanksTrainKtoBitwiseLikeOneProcess()
    {
        var root = ToyTraining.TempDir();
        Directory.CreateDirectory(root);
        try
        {
            var model = ToyTraining.SaveCheckpoint(root);
            var data = Path.Combine(root, "kto.jsonl");
            File.WriteAllLines(data, ToyTraining.Words.Select((w, i) =>
                $"{{\"prompt\": \"{w}.\", \"completion\": \"{(i % 3 == 0 ? w : new string(w.Reverse().ToArray()))}.\", \"label\": {(i % 3 == 0 ? "false" : "true")}}}"));
            string one = Path.Combine(root, "one"), two = Path.Combine(root, "two");
            string[] Kto(string output) => ["kto", "--model", model, "--data", data, "--output", output, "--max-steps", "3", "--batch-size", "2", "--grad-accum", "2",
                "--lr", "1e-2", "--log-steps", "1", "--parameter-check-steps", "1"];
            Ok(Mpirun.Run(0, Kto(one)), "one process");
            Ok(Mpirun.Run(2, Kto(two)), "mpirun -np 2 kto");
            var w1 = Weights(one); var w2 = Weights(two); var w0 = Weights(model);
            Assert.Contains(w1, kv => !kv.Value.SequenceEqual(w0[kv.Key]));
            foreach (var (k, v) in w1) Assert.True(v.SequenceEqual(w2[k]), $"{k} differs between one process and two ranks");
        }
        finally { Directory.Delete(root, true); }
    }

    /// <summary>
    /// With dropout each micro-batch draws from its own range of the generator, a function of its index in the step:
    /// two and four processes draw the same masks (the parameters then differ only by the order of the gradient sum).
    /// </summary>
    [Fact]
    public void WithDropoutTwoAndFourRanksDrawTheSameMasks()
    {
        var root = ToyTraining.TempDir();
        Directory.CreateDirectory(root);
        try
        {
            var (model, data) = (ToyTraining.SaveCheckpoint(root), ToyTraining.WriteReversalData(root));
            string two = Path.Combine(root, "two"), four = Path.Combine(root, "four");
            string[] Lora(string output) => ["sft", "--model", model, "--data", data, "--output", output, "--max-steps", "4", "--batch-size", "1", "--grad-accum", "4",
                "--lr", "1e-2", "--log-steps", "1", "--lora", "--lora-targets", "all-linear", "--lora-dropout", "0.3", "--save-adapter"];
            Ok(Mpirun.Run(2, Lora(two)), "mpirun -np 2");
            Ok(Mpirun.Run(4, Lora(four)), "mpirun -np 4");
            var a = SafeTensorsDictionary.ReadAll(Path.Combine(two, "adapter_model.safetensors")).ToDictionary(kv => kv.Key, kv => kv.Value.ToFloatArray());
            var b = SafeTensorsDictionary.ReadAll(Path.Combine(four, "adapter_model.safetensors")).ToDictionary(kv => kv.Key, kv => kv.Value.ToFloatArray());
            Assert.Contains(a, kv => kv.Key.Contains("lora_B") && kv.Value.Any(x => x != 0));
            foreach (var (k, v) in a)
                for (int i = 0; i < v.Length; i++)
                    Assert.True(Math.Abs(v[i] - b[k][i]) <= 1e-5 * Math.Max(1e-3, Math.Abs(v[i])), $"{k}[{i}]: 2 ranks {v[i]}, 4 ranks {b[k][i]}");
        }
        finally { Directory.Delete(root, true); }
    }

    [Fact]
    public void AKilledRankFailsTheJobAndResumeWithOneProcessEndsWhereTheUninterruptedRunEnds()
    {
        var root = ToyTraining.TempDir();
        Directory.CreateDirectory(root);
        try
        {
            var (model, data) = (ToyTraining.SaveCheckpoint(root), ToyTraining.WriteReversalData(root));
            string one = Path.Combine(root, "one"), killed = Path.Combine(root, "killed");
            Ok(Mpirun.Run(0, Sft(model, data, one, "--save-steps", "2")), "one process");

            var psi = Mpirun.Start(2, Sft(model, data, killed, "--save-steps", "2"), new Dictionary<string, string> { [CheckpointStore.PauseEnvVar] = "1500" });
            var clock = Stopwatch.StartNew();
            using (var p = Process.Start(psi)!)
            {
                p.OutputDataReceived += (_, _) => { };
                p.BeginOutputReadLine();
                var log = new List<string>();
                int? rank1 = null; int pauses = 0;
                // Rank 0 pauses inside each checkpoint write; at the second (checkpoint-4) kill rank 1.
                while (pauses < 2)
                {
                    var line = p.StandardError.ReadLine();
                    if (line is null) Assert.Fail("mpirun ended early:\n" + string.Join('\n', log));
                    log.Add(line!);
                    if (Regex.Match(line!, @"distributed: rank 1 of 2 pid (\d+)") is { Success: true } m) rank1 = int.Parse(m.Groups[1].Value);
                    if (line!.StartsWith("checkpoint-pause ", StringComparison.Ordinal)) pauses++;
                    Assert.True(clock.Elapsed < TimeSpan.FromSeconds(240), "timed out:\n" + string.Join('\n', log));
                }
                Assert.NotNull(rank1);
                Process.GetProcessById(rank1!.Value).Kill();
                var rest = p.StandardError.ReadToEndAsync();
                Assert.True(p.WaitForExit(120_000), "mpirun did not end after a rank was killed");
                Assert.NotEqual(0, p.ExitCode);
            }
            Assert.Equal([2L], CheckpointStore.List(killed).Select(x => x.Step));

            // Resume with a different world size: one process continues from checkpoint-2.
            var resumed = Mpirun.Run(0, [.. Sft(model, data, killed, "--save-steps", "2"), "--resume"]);
            Ok(resumed, "resume");
            Assert.Contains("resuming at step 2", resumed.Err);
            var w1 = Weights(one); var wr = Weights(killed);
            foreach (var (k, v) in w1) Assert.True(v.SequenceEqual(wr[k]), $"{k} differs after the resume");
        }
        finally { Directory.Delete(root, true); }
    }

    [Fact]
    public void RanksThatDivergeStopTheJobWithAnErrorNamingTheStep()
    {
        var root = ToyTraining.TempDir();
        Directory.CreateDirectory(root);
        try
        {
            var (model, data) = (ToyTraining.SaveCheckpoint(root), ToyTraining.WriteReversalData(root));
            var r = Mpirun.Run(2, Sft(model, data, Path.Combine(root, "out")), new Dictionary<string, string> { ["ENGINE_TEST_DP_PERTURB"] = "1:3" });
            Assert.NotEqual(0, r.Code);
            Assert.Contains("diverged after step 3", r.Err);
            Assert.Contains("rank 1 differ", r.Err);
        }
        finally { Directory.Delete(root, true); }
    }

    [Fact]
    public void AScoreJobUnderMpirunWritesWhatOneProcessWrites()
    {
        var root = ToyTraining.TempDir();
        Directory.CreateDirectory(root);
        try
        {
            var model = ToyTraining.SaveCheckpoint(root);
            var input = Path.Combine(root, "in.jsonl");
            File.WriteAllLines(input, Enumerable.Range(0, 13).Select(i => $"{{\"id\": {i}, \"text\": \"{ToyTraining.Words[i % 12]} {ToyTraining.Words[(i * 5) % 12]}.\"}}"));
            string a = Path.Combine(root, "one.jsonl"), b = Path.Combine(root, "two.jsonl");
            Ok(Mpirun.Run(0, ["score", "--model", model, "--input", input, "--output", a, "--batch-size", "4"]), "one process");
            var r = Mpirun.Run(2, ["score", "--model", model, "--input", input, "--output", b, "--batch-size", "4"]);
            Ok(r, "mpirun -np 2 score");
            Assert.Contains("merged", r.Err);
            Assert.True(File.Exists(Path.Combine(root, "two.shard-1-of-2.jsonl")), "rank 1 wrote no shard");
            Assert.Equal(13, File.ReadLines(a).Count());
            Assert.Equal(File.ReadAllBytes(a), File.ReadAllBytes(b));
        }
        finally { Directory.Delete(root, true); }
    }
    /// <summary>
    /// `engine prune` under mpirun: both stages data parallel, the controller fed every rank's per-domain training losses
    /// in the step's micro-batch order (so its EMA and the mixture it picks are the one-process ones), masks drawn per
    /// micro-batch from the step's generator range, rank 0 alone writing the exports.
    /// </summary>
    [Fact]
    public void PruneUnderMpirunWritesTheModelsAndMixtureOneProcessWrites()
    {
        var root = ToyTraining.TempDir();
        Directory.CreateDirectory(root);
        try
        {
            var model = Path.Combine(root, "model");
            var texts = new[] { "alpha beta gamma delta", "one two three four five", "red green blue", "north south east west" };
            Engine.Methods.Evaluation.Experiments.TestbedExperiment.MakeTinyModel(model, texts,
                new Engine.Methods.Evaluation.Experiments.TestbedExperiment.TinyModelSize(Hidden: 16, Layers: 2, Heads: 4, KvHeads: 2, Intermediate: 24, Vocab: 300), 1);
            var data = Path.Combine(root, "mix.jsonl");
            File.WriteAllLines(data, Enumerable.Range(0, 24).Select(i =>
                $"{{\"text\": \"{texts[i % 4]} {texts[(i + 1) % 4]}\", \"domain\": \"{(i % 4 == 3 ? "rare" : "common")}\"}}"));
            var shape = Path.Combine(root, "shape.json");
            File.WriteAllText(shape, "{\"hidden_size\": 12, \"num_attention_heads\": 2, \"intermediate_size\": 16}");
            string[] Prune(string output) => ["prune", "--model", model, "--data", data, "--target-config", shape, "--output", output, "--steps", "4",
                "--continue-steps", "2", "--batch-size", "2", "--grad-accum", "2", "--update-every", "1", "--domain-loss", "train", "--lr", "1e-2",
                "--reference-loss", "common=1,rare=1"];
            string one = Path.Combine(root, "one"), two = Path.Combine(root, "two");
            Ok(Mpirun.Run(0, Prune(one)), "one process");
            var r = Mpirun.Run(2, Prune(two));
            Ok(r, "mpirun -np 2 prune");
            Assert.Contains("distributed: rank 1 of 2", r.Err);

            foreach (var stage in new[] { "pruned", "continued" })
            {
                var w1 = Weights(Path.Combine(one, stage)); var w2 = Weights(Path.Combine(two, stage));
                Assert.Equal(w1.Keys.Order(), w2.Keys.Order());
                foreach (var (k, v) in w1) Assert.True(v.SequenceEqual(w2[k]), $"{stage} {k} differs between one process and two ranks");
            }
            var mix1 = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Path.Combine(one, "report.json")))!["final_weights"]!.ToJsonString();
            var mix2 = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Path.Combine(two, "report.json")))!["final_weights"]!.ToJsonString();
            Assert.Equal(mix1, mix2);
            // The controller moved the mixture away from the record counts (18 common : 6 rare), so its inputs mattered.
            Assert.NotEqual("[0.75,0.25]", mix1.Replace(" ", ""));
            Assert.False(Directory.EnumerateDirectories(Path.GetTempPath(), "drpruning-rank1-*").Any(), "rank 1 left its scratch export behind");
        }
        finally { if (Environment.GetEnvironmentVariable("KEEP_TEST_DIR") is null) Directory.Delete(root, true); else Console.Error.WriteLine("kept " + root); }
    }
}
