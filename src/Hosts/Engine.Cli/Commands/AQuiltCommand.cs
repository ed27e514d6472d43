using System.CommandLine;
using Engine.Cli.Infrastructure;
using Engine.Methods.Core.Jobs;
using Engine.Methods.Evaluation.Experiments;
using Engine.Methods.Evaluation.Testbed;
using Engine.Methods.Evaluation.Testbed.Families;
using Engine.Methods.Synthesis.AQuilt;
using Engine.Methods.Teachers;

namespace Engine.Cli.Commands;

/// <summary>
/// `engine aquilt build|train|synthesize|inspect|filter|passages|check|experiment`: AQuilt (Ke et al., 2025) — a model
/// that turns unlabelled domain passages into instruction data with reasoning, inspects it, and keeps the good part.
/// </summary>
public static class AQuiltCommand
{
    public static Command Create()
    {
        var cmd = new Command("aquilt", "AQuilt: train a synthesiser that writes (question, thinking steps, answer) samples of a chosen task type from unlabelled "
            + "passages and scores its own samples 1-5; synthesise, inspect and filter data with it. "
            + "Task types: " + string.Join(", ", AQuiltTaskTypes.All.Select(t => $"'{t.Key}' ({t.ChineseKey})")) + ".");
        cmd.Subcommands.Add(AQuiltBuildCommand.Create());
        cmd.Subcommands.Add(AQuiltTrainCommand.Create());
        cmd.Subcommands.Add(AQuiltJobCommands.Synthesize());
        cmd.Subcommands.Add(AQuiltJobCommands.Inspect());
        cmd.Subcommands.Add(AQuiltFilterCommand.Create());
        cmd.Subcommands.Add(Passages());
        cmd.Subcommands.Add(Check());
        cmd.Subcommands.Add(AQuiltExperimentCommand.Create());
        return cmd;
    }

    private static Command Passages()
    {
        var task = new Option<string>("--task") { Description = "Testbed passage family (the fact domains: " + string.Join(", ", TaskRegistry.PassageFamilies.Select(f => f.Name)) + ").", Required = true };
        var n = new Option<int>("--n") { Description = "Number of passages.", DefaultValueFactory = _ => 500 };
        var seed = new Option<ulong>("--seed") { Description = "Seed; the same seed gives the same passages.", DefaultValueFactory = _ => 1UL };
        var split = new Option<string>("--split") { Description = "train or test (the testbed's disjoint prompt sets).", DefaultValueFactory = _ => "train" };
        var difficulty = new Option<string>("--difficulty") { Description = "Difficulty N or range N-M within 1-3 (entities and facts per passage).", DefaultValueFactory = _ => "1" };
        var output = new Option<string>("--output") { Description = "Passages as JSONL: id, text (the passage), task, domain — the input of `aquilt synthesize`.", Required = true };
        var key = new Option<string?>("--key") { Description = "Also write the testbed's own question, thinking steps and answer for each passage (id, question, thinking_steps, answer)." };
        var cmd = new Command("passages", "Testbed: raw unlabelled passages of a fact domain, to synthesise from (and to check the result with `aquilt check`).")
        { task, n, seed, split, difficulty, output, key };
        cmd.SetAction(r =>
        {
            var family = TestbedPassages.Family(r.GetValue(task)!);
            var (lo, hi) = TestbedOptions.ParseDifficulty(r.GetValue(difficulty)!);
            var sp = r.GetValue(split) switch { "train" => TestbedSplit.Train, "test" => TestbedSplit.Test, var s => throw new ArgumentException($"--split must be train or test, got '{s}'.") };
            var passages = TestbedPassages.Generate(family, r.GetValue(n), r.GetValue(seed), sp, lo, hi);
            TestbedPassages.Write(passages, r.GetValue(output)!, r.GetValue(key));
            Console.Error.WriteLine($"aquilt passages: {passages.Count} {family.Name} passages -> {r.GetValue(output)}; task type '{AQuiltTestbed.TaskTypeOf(family).Name}'");
            return 0;
        });
        return cmd;
    }

    private static Command Check()
    {
        var input = new Option<string>("--input") { Description = "AQuilt samples (synthesis, inspection or filter output) made from testbed passages.", Required = true };
        var task = new Option<string>("--task") { Description = "The testbed passage family the passages came from.", Required = true };
        var cmd = new Command("check", "Testbed: check every synthetic question and answer against its passage and report the share the checker verifies as correct (overall and by inspection score).")
        { input, task };
        cmd.SetAction(r =>
        {
            var family = TestbedPassages.Family(r.GetValue(task)!);
            var lines = File.ReadLines(r.GetValue(input)!).Where(l => l.Length > 0).Select(l => System.Text.Json.Nodes.JsonNode.Parse(l)!.AsObject()).ToList();
            var checkedSamples = AQuiltTestbed.Check(family, lines);
            int total = lines.Count, parsed = checkedSamples.Count, correct = checkedSamples.Count(c => c.Check.Correct);
            Console.WriteLine($"aquilt check: {correct} of {parsed} pairs correct ({(parsed == 0 ? 0 : correct / (double)parsed):P1}); {total - parsed} of {total} samples have no pair; "
                + $"wrong {checkedSamples.Count(c => c.Check.Verdict == PassageVerdict.Wrong)}, unanswerable {checkedSamples.Count(c => c.Check.Verdict == PassageVerdict.Unanswerable)}");
            foreach (var g in checkedSamples.Where(c => c.Score is not null).GroupBy(c => AQuiltRules.Bucket(c.Score!.Value)).OrderBy(g => g.Key))
                Console.WriteLine($"  score {g.Key}: {g.Count(c => c.Check.Correct)} of {g.Count()} correct");
            return 0;
        });
        return cmd;
    }
}

/// <summary>
/// What writes AQuilt's text, as options: a local model (--model, --adapter; raw prompts, no chat template) or, with
/// --teacher, any chat teacher.
/// </summary>
public sealed class AQuiltWriterOptions
{
    public Option<string?> Model { get; } = CliOptions.Model("The synthesiser: a Hugging Face model folder, e.g. the output of `aquilt train` (prompts go in raw, with no chat template, "
        + "as AQuilt's base-model synthesiser expects). Default: the embedded default model. Ignored with --teacher.");
    public Option<string?> Adapter { get; } = CliOptions.Adapter();
    public Option<string> Device { get; } = CliOptions.Device();
    public Option<string> DType { get; } = CliOptions.DType();
    public TeacherCliOptions Teacher { get; } = new();

    public AQuiltWriterOptions()
    {
        // No default teacher: without --teacher the local --model writes.
        Teacher.Teacher.DefaultValueFactory = null;
        Teacher.Teacher.Description = "Write with a chat teacher instead of --model (each prompt one user message through the teacher's chat template or API): "
            + "local:DIR, local:DIR+adapter=ADAPTER_DIR, or openai:BASE_URL#MODEL. " + "Prefix forcing then becomes the end of the user message.";
    }

    public IEnumerable<Option> All => new Option[] { Model, Adapter, Device, DType }.Concat(Teacher.All);

    public void AddTo(Command cmd) { foreach (var o in All) cmd.Options.Add(o); }

    /// <summary>The writer, its sources for the manifest, and something to dispose (the teacher) when done.</summary>
    public (ICompleter Completer, IReadOnlyDictionary<string, string> Sources, IDisposable? Owned) Build(ParseResult r, int batchSize)
    {
        if (r.GetValue(Teacher.Teacher) is { } specText)
        {
            var spec = TeacherSpec.Parse(specText);
            var client = Teacher.Build(r, r.GetValue(Device)!, r.GetValue(DType)!);
            string identity = spec.Kind == TeacherKind.Local && spec.ModelDirectory is { } dir
                ? "local:" + ContentDigest.OfModel(dir) + (spec.AdapterDirectory is { } a ? "+adapter=" + ContentDigest.OfModel(a) : "")
                : spec.ToString();
            return (new ChatCompleter(client, identity), new Dictionary<string, string> { ["teacher"] = specText }, client);
        }
        var m = RecordJobCliOptions.LoadModel(r.GetValue(Model), r.GetValue(Device)!, r.GetValue(DType)!, r.GetValue(Adapter));
        return (new LocalCompleter(m, batchSize), m.Sources(), null);
    }
}
