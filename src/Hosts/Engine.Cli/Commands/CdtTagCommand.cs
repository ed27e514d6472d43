using System.CommandLine;
using Engine.Cli.Infrastructure;
using Engine.Methods.Core.Jobs;
using Engine.Methods.Selection.CDT;
using Engine.Methods.Teachers;

namespace Engine.Cli.Commands;

/// <summary>`engine cdt tag`: CDT tags for every record through any teacher, as a resumable, shardable record job.</summary>
public static class CdtTagCommand
{
    public static Command Create()
    {
        var job = new RecordJobCliOptions(
            "Records to tag (any format: Alpaca, chat messages, ShareGPT, prompt/completion, text); CDT tags the first user turn (Alpaca: instruction and input).",
            "Tagged records (JSONL): each input record with \"tags\": {\"cognition\", \"domain\", \"task\"}, plus a \"cdt\" report when an answer had no label or unknown ones.");
        var teacher = new TeacherCliOptions();
        var style = new Option<string>("--prompt-style") { Description = "full: options with their definitions (the paper); compact: names only, for taggers with a short context such as one from `engine cdt train-tagger` (use the style it was trained with).", DefaultValueFactory = _ => "full" };
        var attempts = new Option<int>("--attempts") { Description = "Replies per dimension: when an answer names no label, the teacher is told so and asked again, up to this many replies in all (the paper: 1).", DefaultValueFactory = _ => 1 };
        var maxNew = new Option<int>("--max-new-tokens") { Description = "Most tokens per reply (the paper: 256).", DefaultValueFactory = _ => 256 };
        var prompts = new Option<string?>("--prompts") { Description = "Your own prompts file (JSON: {\"cognition\"|\"domain\"|\"task\": {\"system\", \"template\"}}, templates with {options} and {instruction}; also {count}, {groups}, {max}). Default: the built-in prompts." };
        var optionSeed = new Option<ulong>("--option-seed") { Description = "Mixed into each sample's option-order seed (the order is otherwise a function of the instruction, so reruns and caches agree).", DefaultValueFactory = _ => 0UL };
        var concurrency = new Option<int>("--concurrency") { Description = "Teacher calls in flight at once (three per record); a local teacher decodes them in one continuous batch.", DefaultValueFactory = _ => 48 };
        var device = CliOptions.Device();
        device.Description = "Device of a local teacher (cpu, cuda, cuda:N).";
        var dtype = CliOptions.DType();
        var labels = CdtCommand.LabelsOption();
        var cmd = new Command("tag", "Tag each record with CDT's cognitive skills (≤ 2), subdomain and task type by asking a teacher three questions, with the options shuffled per sample; answers are read tolerantly and unknown labels counted.");
        foreach (var o in job.All) cmd.Options.Add(o);
        teacher.AddTo(cmd);
        foreach (var o in new Option[] { style, attempts, maxNew, prompts, optionSeed, concurrency, device, dtype, labels }) cmd.Options.Add(o);
        cmd.SetAction(r =>
        {
            var set = CdtCommand.LoadLabels(r.GetValue(labels));
            var spec = TeacherSpec.Parse(r.GetValue(teacher.Teacher)!);
            var options = new CdtTagOptions
            {
                TeacherIdentity = Identity(spec),
                Labels = set,
                Prompts = r.GetValue(prompts) is { } p ? CdtPrompts.Load(p) : CdtPrompts.Default,
                Style = r.GetValue(style) switch
                {
                    "full" => CdtPromptStyle.Full, "compact" => CdtPromptStyle.Compact,
                    var x => throw new ArgumentException($"--prompt-style must be full or compact, not '{x}'."),
                },
                Attempts = r.GetValue(attempts), MaxNewTokens = r.GetValue(maxNew), OptionSeed = r.GetValue(optionSeed), Concurrency = r.GetValue(concurrency),
            };
            options.Validate();
            var jobOptions = job.JobOptions(r, defaultChunkSize: 64, new Dictionary<string, string> { ["teacher"] = r.GetValue(teacher.Teacher)! });
            using var client = teacher.Build(r, r.GetValue(device)!, r.GetValue(dtype)!);
            RecordJobCliOptions.Run(new CdtTagJob(client, options), jobOptions);
            Console.Error.WriteLine(CdtTagSummary.Read(jobOptions.Shard.PathOf(jobOptions.Output)).ToText());
            return 0;
        });
        return cmd;
    }

    /// <summary>The teacher's identity in the job fingerprint: a local model's content digest (the default model resolved), or the endpoint and model.</summary>
    private static string Identity(TeacherSpec spec)
    {
        if (spec.Kind == TeacherKind.OpenAI) return spec.BaseUrl + "#" + spec.Model;
        var dir = spec.ModelDirectory ?? ModelResolver.Resolve(null);
        return "local:" + ContentDigest.OfModel(dir) + (spec.AdapterDirectory is { } a ? "+adapter:" + ContentDigest.OfModel(a) : "");
    }
}
