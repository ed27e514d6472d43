namespace Engine.Methods.Evaluation.Testbed;

/// <summary>Ground-truth capability tags in CDT's three dimensions (cognition codes, subdomain, task type).</summary>
public sealed record CdtTags(IReadOnlyList<string> Cognition, IReadOnlyList<string> Domain, IReadOnlyList<string> Task);

/// <summary>
/// The hidden part of a record: what a selection method must not see, and what scores it.
/// <see cref="NegativeOutput"/> is a corrupted response always present (the rejected side of preference pairs,
/// the undesirable KTO completion); for a corrupted record it equals the served output.
/// </summary>
public sealed record RecordMeta(bool Corrupted, CorruptionKind? Corruption, string CleanOutput, ulong Seed,
    string NegativeOutput, CorruptionKind NegativeKind);

/// <summary>
/// One generated example. <see cref="Output"/> is the response as served (corrupted when <c>Meta.Corrupted</c>);
/// <see cref="Answer"/> is always the canonical correct answer. Both <see cref="Answer"/> and <see cref="Meta"/> are
/// null in records read from a file written with hidden fields stripped.
/// </summary>
public sealed record TestbedRecord(string Id, string Task, string Domain, int Difficulty, string Instruction, string Input,
    string Output, string? Answer, CdtTags Tags, RecordMeta? Meta)
{
    /// <summary>The user turn: instruction, then the input on the next line when there is one.</summary>
    public string Prompt => Input.Length == 0 ? Instruction : Instruction + "\n" + Input;
}
