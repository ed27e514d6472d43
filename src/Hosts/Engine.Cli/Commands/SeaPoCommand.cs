using System.CommandLine;
using System.Globalization;
using Engine.Cli.Infrastructure;
using Engine.Methods.Core.Jobs;
using Engine.Methods.Synthesis.SeaPO;

namespace Engine.Cli.Commands;

/// <summary>`engine seapo inject` (self-injected errors as KTO negatives) and `engine seapo experiment`.</summary>
public static class SeaPoCommand
{
    public static Command Create()
    {
        var cmd = new Command("seapo", "SeaPO (Rao et al., 2025): the model injects a chosen error type into correct responses; the injected responses become KTO negatives (train them with `engine kto`).");
        cmd.Subcommands.Add(Inject());
        cmd.Subcommands.Add(SeaPoExperimentCommand.Create());
        return cmd;
    }

    private static Command Inject()
    {
        var d = new SeaPoOptions();
        var job = new RecordJobCliOptions(
            "Single-turn records with a correct response: chat \"messages\" (system turns allowed), Alpaca instruction/input/output, or prompt/completion.",
            "The KTO file (prompt/completion/label, two rows per record with an accepted negative: the desirable rows, then the undesirable ones). "
            + "Beside it: <output>.injections.jsonl (every injection with its guard verdict; the resumable job output with its .job.json) and <output>.rejections.json (counts per guard and type, with examples).");
        var model = CliOptions.Model("The injector: normally the policy you will train (self-injection, the paper's setting). Default: the embedded default model. A tiny model must first be taught to inject (see docs/methods/seapo.md).");
        var adapter = CliOptions.Adapter();
        var device = CliOptions.Device();
        var dtype = CliOptions.DType();
        var teacher = new TeacherCliOptions();
        teacher.Teacher.Description = "Inject with a chat model instead of --model: " + teacher.Teacher.Description + " Without this option the --model injects.";
        var types = new Option<string>("--types") { Description = "Comma-separated error types to inject: correctness, logic, hallucination.", DefaultValueFactory = _ => string.Join(',', d.Types.Select(t => t.Name())) };
        var mode = new Option<string>("--mode") { Description = "targeted: one error type for the whole data set (give one --types); mixed: every listed type is injected per record and one accepted negative is picked per record, once, uniformly (seeded by --seed and the record's index).", DefaultValueFactory = _ => "mixed" };
        var template = new Option<string?>("--template") { Description = "Injection prompt: a file used for every type, or a folder with <type>.txt per type (missing ones keep the built-in). Placeholders: {question}, {response} (required), {error_type}, {error_description}." };
        var maxNew = new Option<int>("--max-new-tokens") { Description = "New tokens per injection (greedy decoding).", DefaultValueFactory = _ => d.MaxNewTokens };
        var minRatio = new Option<double>("--min-length-ratio") { Description = "Guard: refuse a negative shorter than this fraction of the correct response (characters, whitespace collapsed).", DefaultValueFactory = _ => d.MinLengthRatio };
        var maxRatio = new Option<double>("--max-length-ratio") { Description = "Guard: refuse a negative longer than this multiple of the correct response.", DefaultValueFactory = _ => d.MaxLengthRatio };
        var batch = new Option<int>("--batch-size") { Description = "Injection prompts decoded together by the local injector.", DefaultValueFactory = _ => d.BatchSize };
        var seed = new Option<ulong>("--seed") { Description = "Seed of the mixed mode's pick.", DefaultValueFactory = _ => d.Seed };
        var cmd = new Command("inject", "Inject errors into correct responses (greedy; preambles stripped; guards refuse unchanged, too short or long, and meta-text outputs) and write a KTO data set for `engine kto`.")
        { model, adapter, device, dtype, types, mode, template, maxNew, minRatio, maxRatio, batch, seed };
        foreach (var o in job.All) cmd.Options.Add(o);
        teacher.AddTo(cmd);
        cmd.SetAction(r =>
        {
            var opts = d with
            {
                Types = SeaPoErrorTypes.ParseList(r.GetValue(types)!),
                Mode = r.GetValue(mode) switch { "targeted" => SeaPoMode.Targeted, "mixed" => SeaPoMode.Mixed, var x => throw new ArgumentException($"--mode must be targeted or mixed, not '{x}'.") },
                Prompts = r.GetValue(template) is { } t ? SeaPoPrompts.Load(t) : SeaPoPrompts.Default,
                MaxNewTokens = r.GetValue(maxNew), MinLengthRatio = r.GetValue(minRatio), MaxLengthRatio = r.GetValue(maxRatio),
                BatchSize = r.GetValue(batch), Seed = r.GetValue(seed),
            };
            opts.Validate();
            IErrorInjector injector;
            IReadOnlyDictionary<string, string>? sources = null;
            if (r.GetResult(teacher.Teacher) is { Implicit: false })
            {
                var spec = r.GetValue(teacher.Teacher)!;
                injector = new ChatClientInjector(teacher.Build(r, r.GetValue(device)!, r.GetValue(dtype)!), "teacher:" + spec, opts.MaxNewTokens, r.GetValue(teacher.Concurrency));
            }
            else
            {
                var m = RecordJobCliOptions.LoadModel(r.GetValue(model), r.GetValue(device)!, r.GetValue(dtype)!, r.GetValue(adapter));
                injector = new LocalInjector(m, opts.MaxNewTokens, opts.BatchSize);
                sources = m.Sources();
            }
            var jo = job.JobOptions(r, 64 * opts.BatchSize, sources);
            SeaPoReport? report;
            using (var progress = new ProgressReporter())
                report = new SeaPoRunner(injector, opts, progress.Meter).Run(jo);
            if (report is null)
            {
                Console.Error.WriteLine($"seapo: shard {jo.Shard} injected into {jo.Shard.PathOf(SeaPoRunner.InjectionsPath(jo.Output))}; when every shard is done, run again without --shard to merge the shards and write the KTO file.");
                return 0;
            }
            Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"seapo: {report} -> {jo.Output} (rejections: {SeaPoRunner.ReportPath(jo.Output)})"));
            return 0;
        });
        return cmd;
    }
}
