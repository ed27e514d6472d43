using System.CommandLine;
using System.Text;
using System.Text.Json.Nodes;
using Engine.Cli.Infrastructure;
using Engine.Methods.Core.Data;
using Engine.Methods.Core.Jobs;
using Engine.Methods.Evaluation.Experiments;
using Engine.Methods.Evaluation.Testbed;
using Engine.Methods.Evaluation.Testbed.Families;
using Engine.Methods.Synthesis.AQuilt;
using Engine.Methods.Training.Data;

namespace Engine.Cli.Commands;

/// <summary>`engine aquilt build`: the synthesiser's training records, from a teacher or from the testbed's own generator.</summary>
public static class AQuiltBuildCommand
{
    public static Command Create()
    {
        var output = new Option<string>("--output")
        {
            Description = "Build records (JSONL): text (the passage), task_type, qa_pair {question, thinking_steps, answer}, analysis_steps and score (1-5) — "
                + "the input of `aquilt train`.",
            Required = true,
        };
        var testbed = new Option<string?>("--testbed") { Description = "Make the records with the testbed's generator instead of a teacher: comma-separated fact domains (" + string.Join(", ", TaskRegistry.Extra.Select(f => f.Name)) + "). Each labelled instance gives a clean sample (score 5) and a damaged copy at score 4, 3, 2 or 1 in turn." };
        var n = new Option<int>("--n") { Description = "With --testbed: labelled instances per domain.", DefaultValueFactory = _ => 500 };
        var seed = new Option<ulong>("--seed") { Description = "Seed: testbed instances, or the teacher's sampling.", DefaultValueFactory = _ => 0UL };
        var passages = new Option<string?>("--passages") { Description = "With --teacher: unlabelled passages (records with \"text\") to build from." };
        var tasks = new Option<string?>("--task-types") { Description = "With --teacher: comma-separated task types (English or Chinese names); every passage gets every one." };
        var temperature = new Option<double>("--temperature") { Description = "With --teacher: sampling temperature of the samples (inspection is greedy).", DefaultValueFactory = _ => 0.7 };
        var maxNew = new Option<int>("--max-new-tokens") { Description = "With --teacher: most tokens per sample and per inspection.", DefaultValueFactory = _ => 1024 };
        var attempts = new Option<int>("--max-attempts") { Description = "With --teacher: attempts until a sample (or an inspection) parses.", DefaultValueFactory = _ => 3 };
        var resume = CliOptions.Resume();
        var overwrite = CliOptions.Overwrite();
        var promptsOut = new Option<string?>("--prompts-output") { Description = "Also write the records rendered in AQuilt's raw prompt format as prompt/completion JSONL (\"kind\": generation or inspection; inspection levels balanced by down-sampling), for any trainer." };
        var genMin = new Option<int>("--generation-min-score") { Description = "With --prompts-output: samples scoring below this are not generation examples.", DefaultValueFactory = _ => 3 };
        var prompts = AQuiltJobCommands.PromptsOption();
        var writer = new AQuiltWriterOptions();
        var cmd = new Command("build", "Make the synthesiser's training records: samples (passage, task type, question, thinking steps, answer) with an inspection (analysis, score 1-5), "
            + "written by a teacher (--teacher: AQuilt's prompts, the same record jobs as synthesize and inspect, resumable) or by the testbed (--testbed).")
        { output, testbed, n, seed, passages, tasks, temperature, maxNew, attempts, resume, overwrite, promptsOut, genMin, prompts };
        writer.AddTo(cmd);
        cmd.SetAction(r =>
        {
            var outPath = r.GetValue(output)!;
            var promptSet = AQuiltJobCommands.Prompts(r, prompts);
            if (r.GetValue(testbed) is { } domains)
            {
                if (File.Exists(outPath) && !r.GetValue(overwrite)) throw new IOException($"{outPath} already exists; pass --overwrite to replace it.");
                var families = TaskRegistry.Parse(domains).Select(f => f as FactsFamily ?? throw new ArgumentException($"--testbed: '{f.Name}' is not a fact domain ({string.Join(", ", TaskRegistry.Extra.Select(e => e.Name))}).")).ToList();
                var records = AQuiltTestbed.BuildRecords(families, r.GetValue(n), r.GetValue(seed));
                Write(outPath, records);
                Console.Error.WriteLine($"aquilt build: {records.Count} records from {families.Count} testbed domain(s) -> {outPath}");
            }
            else
            {
                if (r.GetValue(writer.Teacher.Teacher) is null) throw new ArgumentException("aquilt build needs --teacher (with --passages and --task-types) or --testbed.");
                var input = r.GetValue(passages) ?? throw new ArgumentException("aquilt build --teacher needs --passages.");
                var taskList = AQuiltTaskTypes.ParseList(r.GetValue(tasks) ?? throw new ArgumentException("aquilt build --teacher needs --task-types."));
                if (r.GetValue(resume) && r.GetValue(overwrite)) throw new ArgumentException("--resume and --overwrite exclude each other.");
                var (completer, sources, owned) = writer.Build(r, 8);
                using (owned)
                {
                    var generated = Path.ChangeExtension(outPath, null) + ".generated.jsonl";
                    var synth = new SynthesisJob(completer, new AQuiltSynthesisOptions
                    {
                        Tasks = taskList, Temperature = r.GetValue(temperature), MaxNewTokens = r.GetValue(maxNew), Seed = r.GetValue(seed),
                        MaxAttempts = r.GetValue(attempts), Prompts = promptSet,
                    });
                    JobOptions Job(string i, string o) => new() { Input = i, Output = o, Resume = r.GetValue(resume), Overwrite = r.GetValue(overwrite), ChunkSize = 64, Sources = sources };
                    RecordJobCliOptions.Run(synth, Job(input, generated));
                    RecordJobCliOptions.Run(new InspectionJob(completer, new AQuiltInspectionOptions
                    {
                        MaxNewTokens = r.GetValue(maxNew), Seed = r.GetValue(seed), MaxAttempts = r.GetValue(attempts), Prompts = promptSet,
                    }), Job(generated, outPath));
                }
                Console.Error.WriteLine("aquilt build: " + AQuiltSummary.Read(outPath).Describe());
            }
            if (r.GetValue(promptsOut) is { } po)
            {
                var report = new ReadReport();
                var build = AQuiltTrainingData.ReadAll([outPath], new DatasetOptions { SkipBadRecords = true }, report);
                var examples = AQuiltTrainingData.Render(build, new AQuiltTrainingDataOptions { GenerationMinScore = r.GetValue(genMin), Seed = r.GetValue(seed), Prompts = promptSet });
                Write(po, examples.Select(e => e.ToJson()));
                Console.Error.WriteLine($"aquilt build: {examples.Count(e => e.Kind == AQuiltExample.GenerationKind)} generation and {examples.Count(e => e.Kind == AQuiltExample.InspectionKind)} inspection examples -> {po}"
                    + (report.SkippedCount > 0 ? $" ({report.SkippedCount} records without a usable pair or score skipped)" : ""));
            }
            return 0;
        });
        return cmd;
    }

    private static void Write(string path, IEnumerable<JsonObject> lines)
    {
        if (Path.GetDirectoryName(Path.GetFullPath(path)) is { } d) Directory.CreateDirectory(d);
        using var w = new StreamWriter(path, false, new UTF8Encoding(false));
        foreach (var l in lines) { w.Write(l.ToJsonString()); w.Write('\n'); }
    }
}
