using System.CommandLine;
using Engine.Methods.Evaluation.Testbed;
using Engine.Methods.Teachers.Judges;
using Microsoft.Extensions.AI;

namespace Engine.Cli.Infrastructure;

/// <summary>
/// --judge and the rubric judge's settings, shared by every verb that grades responses. <c>checker</c> is the testbed's
/// exact checker (verifiable data); <c>llm:&lt;teacher spec&gt;</c> is an LLM with a Prometheus-style rubric prompt,
/// built like --teacher (same cache, limits and retries).
/// </summary>
public sealed class JudgeCliOptions
{
    public Option<string> Judge { get; } = new("--judge")
    {
        Description = "Who grades responses on the 1–5 scale: checker (the testbed's exact checker: 5 right, 3 right with a false equation in the "
            + "reasoning, 2 wrong answer, 1 no \"Answer:\" line; needs each record's \"task\" and an \"answer\" field or a gold response with an "
            + "\"Answer:\" line), or llm:<teacher> with a teacher spec as --teacher takes it (llm:local:DIR, llm:openai:http://127.0.0.1:8000/v1#prometheus) "
            + "for absolute grading with a rubric; the score is read from the end of the reply (\"[RESULT] 4\").",
        Required = true,
    };
    public Option<string?> Template { get; } = new("--judge-template") { Description = "LLM judge: file with the grading prompt, using {instruction}, {response}, {reference_answer} and {rubric} (default: the built-in absolute-grading prompt)." };
    public Option<string?> Rubric { get; } = new("--judge-rubric") { Description = "LLM judge: file with the score rubric (default: factual correctness, meeting the request, logical consistency, completeness; 1–5)." };
    public Option<int> Attempts { get; } = new("--judge-attempts") { Description = "LLM judge: replies asked for per record before it is counted as unscored (a new seed each time).", DefaultValueFactory = _ => 10 };
    public Option<double> Temperature { get; } = new("--judge-temperature") { Description = "LLM judge: sampling temperature (Prometheus-2 default 1.0, with top-p 0.9 and repetition penalty 1.03).", DefaultValueFactory = _ => 1.0 };
    public Option<int> MaxTokens { get; } = new("--judge-max-tokens") { Description = "LLM judge: longest reply in tokens.", DefaultValueFactory = _ => 1024 };
    public Option<long> Seed { get; } = new("--judge-seed") { Description = "LLM judge: base seed (attempt a of record i uses seed + i·attempts + a).", DefaultValueFactory = _ => 0L };

    public IEnumerable<Option> All => [Judge, Template, Rubric, Attempts, Temperature, MaxTokens, Seed];

    public void AddTo(Command cmd) { foreach (var o in All) cmd.Options.Add(o); }

    /// <summary>The judge, and the client it owns (null for the checker): dispose it when done.</summary>
    public (IJudge Judge, IChatClient? Client) Build(ParseResult r, TeacherCliOptions teacher, string device = "cpu", string dtype = "auto")
    {
        var spec = r.GetValue(Judge)!;
        if (spec == "checker") return (new CheckerJudge(), null);
        if (!spec.StartsWith("llm:", StringComparison.Ordinal) || spec.Length == 4)
            throw new ArgumentException($"--judge '{spec}' is not understood; expected checker or llm:<teacher spec> (e.g. llm:local:DIR or llm:openai:URL#model).");
        var options = new RubricJudgeOptions
        {
            Template = r.GetValue(Template) is { } t ? JudgePrompts.LoadFile(t) : JudgePrompts.AbsoluteGrading,
            Rubric = r.GetValue(Rubric) is { } rb ? JudgePrompts.LoadFile(rb) : JudgePrompts.CorrectnessRubric,
            MaxAttempts = r.GetValue(Attempts), Temperature = r.GetValue(Temperature), MaxTokens = r.GetValue(MaxTokens), Seed = r.GetValue(Seed),
            TeacherIdentity = spec,
        };
        options.Validate();
        var client = teacher.BuildFor(r, spec["llm:".Length..], device, dtype);
        return (new RubricJudge(client, options), client);
    }
}
