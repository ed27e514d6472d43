namespace Engine.Methods.Evaluation.Testbed;

/// <summary>A made-up claim and the unsupported answer that goes with it (the hallucination corruption).</summary>
public sealed record Fabrication(string Claim, string Answer);

/// <summary>
/// What a family generates for one example, before any response is composed: the prompt, the reasoning steps
/// (chain-of-thought lines), the canonical answer, plausible wrong answers (for wrong_answer noise and for
/// multiple-choice options) and a fabrication. Every distractor and the fabricated answer are rejected by the
/// family's checker; the generator asserts this.
/// </summary>
public sealed record TaskInstance(string Instruction, string Input, string Restatement, IReadOnlyList<string> Steps,
    string Answer, IReadOnlyList<string> Distractors, Fabrication Hallucination)
{
    /// <summary>Overrides the family's domain group (multiple-choice takes its inner family's).</summary>
    public string? Domain { get; init; }
    /// <summary>Overrides the family's CDT tags.</summary>
    public CdtTags? Tags { get; init; }
}

/// <summary>One task family: a generator and an exact checker.</summary>
public interface ITaskFamily
{
    /// <summary>Stable name used in records and on the command line (e.g. "arith").</summary>
    string Name { get; }
    /// <summary>Domain group (math, text, logic, knowledge, language, code, mixed).</summary>
    string Domain { get; }
    string Description { get; }
    CdtTags Tags { get; }

    /// <summary>Generates one instance at difficulty 1..3 from the given generator only (deterministic).</summary>
    TaskInstance Generate(TestbedRng rng, int difficulty);

    /// <summary>Whether an extracted answer equals the canonical one, under this family's exact comparison rule.</summary>
    bool Matches(string expected, string extracted);
}
