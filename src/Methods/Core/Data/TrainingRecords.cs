using Engine.Models.Chat;

namespace Engine.Methods.Core.Data;

/// <summary>
/// A parsed SFT record before tokenisation: either plain <see cref="Text"/> (loss on every token) or a
/// conversation whose assistant turns carry the loss. <see cref="IsConversational"/> is false for records
/// that were plain strings (Alpaca, string prompt/completion): they get the chat template only when
/// <see cref="TokenizationOptions.TemplateStringRecords"/> is on. Only assistant turns at index
/// <see cref="FirstTrainedTurn"/> or later carry loss (prompt/completion records put the prompt's turns before it).
/// </summary>
public sealed record SftRecord(DatasetFormat Format, string? Text, IReadOnlyList<ChatMessage> Messages, bool IsConversational, string? Id, DataRow Row,
    int FirstTrainedTurn = 0);

/// <summary>A parsed preference record: prompt turns, and the chosen and rejected completion turns.</summary>
public sealed record PreferenceRecord(IReadOnlyList<ChatMessage> Prompt, IReadOnlyList<ChatMessage> Chosen,
    IReadOnlyList<ChatMessage> Rejected, bool IsConversational, string? Id, DataRow Row);

/// <summary>A parsed KTO record: prompt turns, completion turns, and whether the completion is desirable.</summary>
public sealed record KtoRecord(IReadOnlyList<ChatMessage> Prompt, IReadOnlyList<ChatMessage> Completion, bool Desirable,
    bool IsConversational, string? Id, DataRow Row);
