using System.CommandLine;
using Engine.Methods.Core.Data;
using Engine.Methods.Synthesis.AQuilt;

namespace Engine.Cli.Commands;

/// <summary>`engine aquilt filter`: the keep rule, the text-independence and diversity filters, into SFT data.</summary>
public static class AQuiltFilterCommand
{
    public static Command Create()
    {
        var input = new Option<string>("--input") { Description = "Inspected AQuilt samples (`aquilt inspect` output; records with text, task_type, qa_pair and score).", Required = true };
        var output = new Option<string>("--output")
        {
            Description = "Kept samples as JSONL: every input field plus the SFT fields \"instruction\" (the question; for task types that carry the passage, "
                + "the open-book instruction with the passage) and \"output\" (\"Thinking steps:…\\nAnswer:…\"), ready for `engine sft`. "
                + "The counts go to <output>.report.json and stderr.",
            Required = true,
        };
        var minScore = new Option<int>("--min-score") { Description = "Keep samples scoring at least this (scores are bucketed: ≥5 is 5, anything not 2-4 or ≥5 is 1).", DefaultValueFactory = _ => 3 };
        var relaxed = new Option<int>("--relaxed-min-score") { Description = "The minimum score when the share of samples scoring 1-2 exceeds --low-share (AQuilt widens the kept set then).", DefaultValueFactory = _ => 2 };
        var lowShare = new Option<double>("--low-share") { Description = "Share of samples in buckets 1-2 above which --relaxed-min-score applies.", DefaultValueFactory = _ => 0.2 };
        var noScores = new Option<bool>("--no-scores") { Description = "Ignore scores: keep every parsed sample (for data that was never inspected)." };
        var diversity = new Option<double?>("--diversity") { Description = "Drop a sample whose ROUGE-L F1 against an already kept sample of its task type reaches this (Self-Instruct uses 0.7); exact duplicates go first. Off by default, as in AQuilt's released use-time pipeline." };
        var diversityOn = new Option<string>("--diversity-on") { Description = "What --diversity compares: instruction (the finished instruction, with the passage for task types that carry it) or question.", DefaultValueFactory = _ => "instruction" };
        var independence = new Option<bool>("--text-independence") { Description = "Drop questions of task types that do not carry the passage (closed QA, choice questions, generation, classification, NLU) that point at the absent text (\"according to the passage\", \"the above\", 文中, 上文, ...)." };
        var maxChars = new Option<int>("--max-chars") { Description = "Drop samples whose instruction + output exceed this many characters (0 = off; AQuilt uses 2300 for translation and essays).", DefaultValueFactory = _ => 0 };
        var instructionTemplate = new Option<string?>("--instruction-template") { Description = "Instruction for every task type, with {context} and {question} placeholders (default: the prompts' open-book instruction for task types that carry the passage, the bare question otherwise)." };
        var outputTemplate = new Option<string>("--output-template") { Description = "The SFT output, with {thinking_steps} and {answer} placeholders.", DefaultValueFactory = _ => "Thinking steps:{thinking_steps}\nAnswer:{answer}" };
        var overwrite = new Option<bool>("--overwrite") { Description = "Replace an existing --output." };
        var skipBad = new Option<bool>("--skip-bad-records") { Description = "Skip (and report as file:line: why) malformed records instead of stopping at the first." };
        var prompts = AQuiltJobCommands.PromptsOption();
        var cmd = new Command("filter", "Keep the good samples (score ≥ 3, or ≥ 2 when more than 20% score 1-2), optionally drop text-dependent and near-duplicate ones, and write SFT data; reports what was dropped and why.")
        { input, output, minScore, relaxed, lowShare, noScores, diversity, diversityOn, independence, maxChars, instructionTemplate, outputTemplate, overwrite, skipBad, prompts };
        cmd.SetAction(r =>
        {
            var o = new AQuiltFilterOptions
            {
                MinScore = r.GetValue(minScore), RelaxedMinScore = r.GetValue(relaxed), LowShareThreshold = r.GetValue(lowShare), UseScores = !r.GetValue(noScores),
                DiversityThreshold = r.GetValue(diversity),
                DiversityOn = r.GetValue(diversityOn) switch { "instruction" => DiversityText.Instruction, "question" => DiversityText.Question, var x => throw new ArgumentException($"--diversity-on must be instruction or question, not '{x}'.") },
                TextIndependence = r.GetValue(independence), MaxChars = r.GetValue(maxChars), InstructionTemplate = r.GetValue(instructionTemplate),
                OutputTemplate = r.GetValue(outputTemplate)!, Prompts = AQuiltJobCommands.Prompts(r, prompts),
            };
            var read = new ReadReport();
            read.Skipped += e => Console.Error.WriteLine("skipped: " + e.Message);
            var report = AQuiltFilter.Run(r.GetValue(input)!, r.GetValue(output)!, o, r.GetValue(overwrite), r.GetValue(skipBad), read);
            Console.Error.WriteLine($"aquilt filter: {report.Describe()}{(read.SkippedCount > 0 ? $"; {read.SkippedCount} bad records skipped" : "")} -> {r.GetValue(output)}");
            return 0;
        });
        return cmd;
    }
}
