using System.Text.Json.Nodes;
using Engine.Models.Chat;

namespace Engine.Methods.Core.Data;

/// <summary>
/// One input record parsed once, whatever its format: the content as a conversation (prompt turns, then completion
/// turns), or plain <see cref="Text"/>, or pre-tokenised <see cref="InputIds"/>; the preference and KTO extras; the
/// optional <see cref="Fields"/> methods read; and the raw <see cref="Row"/> (file, line, every field, for outputs that
/// carry the input through). Methods take the view they need — <see cref="ToSft"/>, <see cref="ToPreference"/>,
/// <see cref="ToKto"/>, or their own (SelectIT's instruction/response pair) — and a record the view cannot use fails
/// with a <see cref="RecordFormatException"/> that names the file, line and field, like a parse error.
/// </summary>
public sealed class DataRecord
{
    internal DataRecord(DatasetFormat format, DataRow row, RecordFields fields, string? text, IReadOnlyList<int>? inputIds,
        IReadOnlyList<ChatMessage> messages, int promptTurns, IReadOnlyList<ChatMessage>? rejected, bool? label, bool conversational, string? messagesField)
    {
        Format = format; Row = row; Fields = fields; Text = text; InputIds = inputIds; Messages = messages;
        PromptTurnCount = promptTurns; Rejected = rejected; Label = label; IsConversational = conversational; MessagesField = messagesField;
    }

    /// <summary>Parse a row; <paramref name="format"/> Auto detects it from the fields (<see cref="DatasetFormats.Detect"/>).</summary>
    public static DataRecord Parse(DataRow row, DatasetFormat format = DatasetFormat.Auto) => RecordParser.Parse(row, format);

    public DatasetFormat Format { get; }
    public DataRow Row { get; }
    public RecordFields Fields { get; }
    public string? Id => Fields.Id;
    /// <summary>The raw JSON object (every field, including ones no parser knows).</summary>
    public JsonObject Value => Row.Value;

    /// <summary><see cref="DatasetFormat.Text"/>: the text.</summary>
    public string? Text { get; }
    /// <summary><see cref="DatasetFormat.Tokens"/>: the token ids.</summary>
    public IReadOnlyList<int>? InputIds { get; }

    /// <summary>
    /// The conversation: the first <see cref="PromptTurnCount"/> turns are the prompt, the rest the completion (for
    /// preference records, the chosen one). Alpaca is [system?, user, assistant]; a messages record's completion is its
    /// final assistant turn (none when it ends with a user turn, e.g. a generation prompt). Empty for Text and Tokens.
    /// </summary>
    public IReadOnlyList<ChatMessage> Messages { get; }
    public int PromptTurnCount { get; }
    public IReadOnlyList<ChatMessage> Prompt => Messages.Take(PromptTurnCount).ToArray();
    public IReadOnlyList<ChatMessage> Completion => Messages.Skip(PromptTurnCount).ToArray();
    /// <summary><see cref="DatasetFormat.Preference"/>: the rejected completion turns.</summary>
    public IReadOnlyList<ChatMessage>? Rejected { get; }
    /// <summary><see cref="DatasetFormat.Kto"/>: whether the completion is desirable.</summary>
    public bool? Label { get; }
    /// <summary>False when the content came as plain strings (Alpaca, string prompt/completion): no template was asked for.</summary>
    public bool IsConversational { get; }
    /// <summary>"messages" or "conversations" for a messages record (for error messages).</summary>
    internal string? MessagesField { get; }

    /// <summary>An error about this record, located at its file and line.</summary>
    public RecordFormatException Error(string why, string? field = null) => JsonFields.Fail(Row, why, field);

    /// <summary>The SFT view: text, or a conversation whose assistant turns (from <c>FirstTrainedTurn</c>) carry the loss.</summary>
    public SftRecord ToSft()
    {
        switch (Format)
        {
            case DatasetFormat.Text:
                return new SftRecord(Format, Text, [], false, Id, Row, 0, Fields);
            case DatasetFormat.Alpaca:
                return new SftRecord(Format, null, Messages, false, Id, Row, 0, Fields);
            case DatasetFormat.Messages:
                if (!Messages.Any(m => m.Role == RecordParser.Assistant))
                    throw Error($"\"{MessagesField}\" has no assistant turn, so there is nothing to train on", MessagesField);
                return new SftRecord(Format, null, Messages, true, Id, Row, 0, Fields);
            case DatasetFormat.PromptCompletion:
                return new SftRecord(Format, null, Messages, IsConversational, Id, Row, PromptTurnCount, Fields);
            default:
                throw Error($"{Format} records are not supervised fine-tuning data (need messages, instruction/output, prompt/completion or text)");
        }
    }

    public PreferenceRecord ToPreference()
    {
        if (Format != DatasetFormat.Preference)
            throw Error($"{Format} record where preference data is expected (needs chosen and rejected)");
        return new PreferenceRecord(Prompt, Completion, Rejected!, IsConversational, Id, Row, Fields);
    }

    public KtoRecord ToKto()
    {
        if (Format != DatasetFormat.Kto)
            throw Error($"{Format} record where KTO data is expected (needs prompt, completion and label)");
        return new KtoRecord(Prompt, Completion, Label!.Value, IsConversational, Id, Row, Fields);
    }
}
