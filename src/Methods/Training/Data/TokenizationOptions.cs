using Engine.Methods.Core.Data;
namespace Engine.Methods.Training.Data;

/// <summary>
/// How records become token ids and labels.
/// <para><b>Loss mask.</b> By default (<see cref="CompletionOnlyLoss"/>) only completion tokens carry labels: the
/// assistant turns of a conversation (including the template's end-of-turn marker), the <c>output</c> of Alpaca, the
/// <c>completion</c> of prompt/completion records; prompt tokens get -100. Plain <c>text</c> records train on every token.</para>
/// <para><b>EOS.</b> With <see cref="AppendEos"/>, every trained completion (each assistant turn, each preference/KTO
/// completion, each text record) ends with EOS: if its tokens already contain an end id (ChatML-style templates emit
/// <c>&lt;|im_end|&gt;</c>) nothing is added, otherwise EOS is appended.</para>
/// <para><b>Truncation.</b> SFT sequences keep their first <see cref="MaxLength"/> tokens (an example left with no
/// labelled token is dropped). Preference and KTO examples, as TRL does: each completion keeps its first
/// <see cref="MaxCompletionLength"/> tokens; the prompt keeps its last <see cref="MaxPromptLength"/> tokens; then, if
/// prompt + longest completion still exceeds <see cref="MaxLength"/>, the prompt is cut from the left (its end, next to
/// the completion, is kept); if the completion alone is too long, the prompt keeps its last token and the completions
/// are cut on the right to fit.</para>
/// </summary>
public sealed record TokenizationOptions
{
    /// <summary>Maximum tokens in one sequence (prompt + completion); null = no limit.</summary>
    public int? MaxLength { get; init; }
    /// <summary>Preference/KTO: maximum prompt tokens, kept from the end; null = no separate limit.</summary>
    public int? MaxPromptLength { get; init; }
    /// <summary>Preference/KTO: maximum tokens per completion, kept from the start; null = no separate limit.</summary>
    public int? MaxCompletionLength { get; init; }
    /// <summary>Loss on completion tokens only (true) or on every token but the first (false).</summary>
    public bool CompletionOnlyLoss { get; init; } = true;
    /// <summary>End every trained completion with EOS unless it already contains an end id.</summary>
    public bool AppendEos { get; init; } = true;
    /// <summary>
    /// Tokenise string prompt/completion records (prompt/completion SFT, string preference and KTO data) verbatim —
    /// prompt text then completion text, no template — as TRL does for its "standard" format. Off by default: the
    /// string prompt becomes a user turn and gets the chat template (or the plain fallback), like conversational data.
    /// Alpaca records always get the template.
    /// </summary>
    public bool StringRecordsAsIs { get; init; }
}
