using Engine.Models.Chat;

namespace Engine.Methods.Core.Data;

/// <summary>
/// The SFT view of a <see cref="DataRecord"/> before tokenisation: either plain <see cref="Text"/> (loss on every token)
/// or a conversation whose assistant turns carry the loss. <see cref="IsConversational"/> is false for records that
/// were plain strings (Alpaca, string prompt/completion): they get the chat template only when the tokenizer's options
/// ask for it. Only assistant turns at index <see cref="FirstTrainedTurn"/> or later carry loss (prompt/completion
/// records put the prompt's turns before it). <see cref="Fields"/> (weight, group, ...) is null for hand-built records.
/// </summary>
public sealed record SftRecord(DatasetFormat Format, string? Text, IReadOnlyList<ChatMessage> Messages, bool IsConversational, string? Id, DataRow Row,
    int FirstTrainedTurn = 0, RecordFields? Fields = null);

/// <summary>The preference view: prompt turns, and the chosen and rejected completion turns.</summary>
public sealed record PreferenceRecord(IReadOnlyList<ChatMessage> Prompt, IReadOnlyList<ChatMessage> Chosen,
    IReadOnlyList<ChatMessage> Rejected, bool IsConversational, string? Id, DataRow Row, RecordFields? Fields = null);

/// <summary>The KTO view: prompt turns, completion turns, and whether the completion is desirable.</summary>
public sealed record KtoRecord(IReadOnlyList<ChatMessage> Prompt, IReadOnlyList<ChatMessage> Completion, bool Desirable,
    bool IsConversational, string? Id, DataRow Row, RecordFields? Fields = null);
