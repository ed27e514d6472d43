using System.CommandLine;
using Engine.Cli.Infrastructure;
using Engine.Methods.Synthesis.AQuilt;

namespace Engine.Cli.Commands;

/// <summary>`engine aquilt synthesize` and `engine aquilt inspect`: AQuilt's two model passes as shardable, resumable record jobs.</summary>
public static class AQuiltJobCommands
{
    public static Option<string?> PromptsOption() => new("--prompts")
    {
        Description = "Folder of AQuilt prompt files laid out like the built-in ones (en/<task-type>.txt, zh/<task-type>.txt, en|zh/reference.txt, "
            + "en|zh/open-book-instruction.txt, inspection.txt). Default: the built-in prompts.",
    };

    public static AQuiltPrompts Prompts(ParseResult r, Option<string?> o) => r.GetValue(o) is { } dir ? AQuiltPrompts.Load(dir) : AQuiltPrompts.Default;

    public static Command Synthesize()
    {
        var writer = new AQuiltWriterOptions();
        var job = new RecordJobCliOptions(
            "Unlabelled passages: records with \"text\" (one passage each; other fields are carried through), e.g. from `aquilt passages`.",
            "JSONL output: one line per (passage, task type, sample), in that order — the input record with \"text\" as the model saw it, "
            + "\"task_type\", \"sample_index\" (with --num-samples > 1), \"qa_pair\" {question, thinking_steps, answer} (null when no attempt parsed), "
            + "\"attempts\", \"truncated\" (and \"original_chars\"), and for a failure \"error\" and \"raw\".");
        job.Input.Aliases.Add("--passages");
        var tasks = new Option<string>("--task-types")
        {
            Description = "Comma-separated task types, English or Chinese names (the name's language picks the prompt language): "
                + string.Join(", ", AQuiltTaskTypes.All.Select(t => $"'{t.Key}' ({t.ChineseKey})")) + ". Every passage gets every task type.",
            Required = true,
        };
        var prefix = new Option<string?>("--task-prefix") { Description = "Prefix forcing: the question must begin with this text (the prompt ends with the JSON opening and the prefix, which are put back before parsing). AQuilt recommends the close or open question answering types for custom tasks." };
        var forceJson = new Option<bool>("--force-json") { Description = "End the prompt with the JSON opening (```json and {\"question\": \") even without --task-prefix." };
        var temperature = new Option<double>("--temperature") { Description = "Sampling temperature (0 = greedy).", DefaultValueFactory = _ => 0.7 };
        var topP = new Option<double>("--top-p") { Description = "Nucleus sampling.", DefaultValueFactory = _ => 0.95 };
        var topK = new Option<int>("--top-k") { Description = "Keep the k most likely tokens (0 = off).", DefaultValueFactory = _ => 0 };
        var maxNew = new Option<int>("--max-new-tokens") { Description = "Most tokens per sample.", DefaultValueFactory = _ => 1024 };
        var seed = new Option<ulong>("--seed") { Description = "Sampling seed. Attempt a of output unit u (u = (record index·task types + task)·samples + sample) draws from Philox row u·attempts + a, so a sample is the same in any shard, chunk or resumed run.", DefaultValueFactory = _ => 0UL };
        var samples = new Option<int>("--num-samples") { Description = "Samples per passage and task type.", DefaultValueFactory = _ => 1 };
        var attempts = new Option<int>("--max-attempts") { Description = "Samples drawn until one parses as a JSON pair with question, thinking_steps and answer (a bounded retry; each attempt a fresh sample). A sample that never parses is written with qa_pair null, its last error and raw text.", DefaultValueFactory = _ => 3 };
        var batch = new Option<int>("--batch-size") { Description = "Sequences decoded together by a local model (fixed-shape batches: a sample never depends on its neighbours). Requests in flight for a teacher are one chunk.", DefaultValueFactory = _ => 8 };
        var maxChars = new Option<int>("--max-passage-chars") { Description = "Cut passages to this many characters (0 = no limit). A local model also cuts a passage whose prompt does not fit its context with --max-new-tokens; either cut is reported (\"truncated\": true and the count), never an error.", DefaultValueFactory = _ => 0 };
        var prompts = PromptsOption();
        var cmd = new Command("synthesize", "Write (question, thinking steps, answer) samples of the given task types from unlabelled passages: raw prompt → JSON, parsed with a bounded retry, sharded and resumable.")
        { tasks, prefix, forceJson, temperature, topP, topK, maxNew, seed, samples, attempts, batch, maxChars, prompts };
        writer.AddTo(cmd);
        foreach (var o in job.All) cmd.Options.Add(o);
        cmd.SetAction(r =>
        {
            var options = new AQuiltSynthesisOptions
            {
                Tasks = AQuiltTaskTypes.ParseList(r.GetValue(tasks)!), TaskPrefix = r.GetValue(prefix), ForceJson = r.GetValue(forceJson),
                Temperature = r.GetValue(temperature), TopP = r.GetValue(topP), TopK = r.GetValue(topK), MaxNewTokens = r.GetValue(maxNew), Seed = r.GetValue(seed),
                NumSamples = r.GetValue(samples), MaxAttempts = r.GetValue(attempts), BatchSize = r.GetValue(batch), MaxPassageChars = r.GetValue(maxChars),
                Prompts = Prompts(r, prompts),
            };
            options.Validate();
            var (completer, sources, owned) = writer.Build(r, options.BatchSize);
            using (owned)
            {
                var synth = new SynthesisJob(completer, options);
                var jobOptions = job.JobOptions(r, defaultChunkSize: Math.Max(1, 16 * options.BatchSize / synth.OutputsPerRecord), sources);
                RecordJobCliOptions.Run(synth, jobOptions);
                Report(jobOptions);
            }
            return 0;
        });
        return cmd;
    }

    public static Command Inspect()
    {
        var writer = new AQuiltWriterOptions();
        var job = new RecordJobCliOptions(
            "AQuilt samples to inspect: `aquilt synthesize` output (records with \"text\" and \"qa_pair\"; a null qa_pair is passed through unscored).",
            "JSONL output: one line per sample — the input plus \"analysis_steps\" and \"score\" (an integer; null when there was nothing to inspect or no attempt parsed), "
            + "\"inspection_attempts\", \"inspection_truncated\", and for a failure \"inspection_error\" and \"inspection_raw\".");
        var temperature = new Option<double>("--temperature") { Description = "Sampling temperature; 0 = greedy (AQuilt's scoring script).", DefaultValueFactory = _ => 0.0 };
        var topP = new Option<double>("--top-p") { Description = "Nucleus sampling (with --temperature > 0).", DefaultValueFactory = _ => 0.95 };
        var maxNew = new Option<int>("--max-new-tokens") { Description = "Most tokens per inspection.", DefaultValueFactory = _ => 1024 };
        var seed = new Option<ulong>("--seed") { Description = "Sampling seed (record i's attempt a draws from Philox row i·attempts + a).", DefaultValueFactory = _ => 0UL };
        var attempts = new Option<int>("--max-attempts") { Description = "Inspections drawn until one parses (analysis_steps and an integer score); more than one only helps with --temperature > 0.", DefaultValueFactory = _ => 1 };
        var batch = new Option<int>("--batch-size") { Description = "Sequences decoded together by a local model.", DefaultValueFactory = _ => 8 };
        var maxChars = new Option<int>("--max-passage-chars") { Description = "Cut passages to this many characters in the inspection prompt (0 = no limit); a local model also cuts what does not fit its context. Reported as \"inspection_truncated\".", DefaultValueFactory = _ => 0 };
        var prompts = PromptsOption();
        var cmd = new Command("inspect", "Score each synthetic sample 1-5 with an analysis (AQuilt's self-inspection), as a shardable, resumable record job.")
        { temperature, topP, maxNew, seed, attempts, batch, maxChars, prompts };
        writer.AddTo(cmd);
        foreach (var o in job.All) cmd.Options.Add(o);
        cmd.SetAction(r =>
        {
            var options = new AQuiltInspectionOptions
            {
                Temperature = r.GetValue(temperature), TopP = r.GetValue(topP), MaxNewTokens = r.GetValue(maxNew), Seed = r.GetValue(seed),
                MaxAttempts = r.GetValue(attempts), BatchSize = r.GetValue(batch), MaxPassageChars = r.GetValue(maxChars), Prompts = Prompts(r, prompts),
            };
            options.Validate();
            var (completer, sources, owned) = writer.Build(r, options.BatchSize);
            using (owned)
            {
                var jobOptions = job.JobOptions(r, defaultChunkSize: 16 * options.BatchSize, sources);
                RecordJobCliOptions.Run(new InspectionJob(completer, options), jobOptions);
                Report(jobOptions);
            }
            return 0;
        });
        return cmd;
    }

    /// <summary>Counts over the whole output (earlier runs included): what parsed, what failed and why, what was cut.</summary>
    private static void Report(Methods.Core.Jobs.JobOptions o)
    {
        var path = o.Shard.PathOf(o.Output);
        if (File.Exists(path)) Console.Error.WriteLine("aquilt: " + AQuiltSummary.Read(path).Describe());
    }
}
