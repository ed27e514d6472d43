using System.Text.Json;
using System.Text.Json.Nodes;

namespace Engine.Methods.Speech.SelfPowered;

/// <summary>Raw strings (the method's Vicuna prompt, no chat template) or one user turn rendered with the LLM's chat template.</summary>
public enum SpeechPromptKind { Raw, Chat }

/// <summary>
/// How prompts are written, as a data file (<c>Templates/vicuna.json</c>, <c>Templates/chat.json</c>, or the user's):
/// <list type="bullet">
/// <item><c>user</c>: the user turn a chat teacher (an IChatClient) is sent for target generation: {instruction}, {transcript};</item>
/// <item><c>generation</c> (raw only): the whole prompt a local LLM continues for target generation;</item>
/// <item><c>speech</c>: the training and inference prompt, with {speech} where the speech tokens go (raw: the whole
/// prompt; chat: the user turn, rendered with the template's generation prompt and split at the speech);</item>
/// <item><c>add_bos</c> (raw): tokenise the prompt's start with the tokenizer's special tokens (BOS).</item>
/// </list>
/// The target is the answer's tokens followed by the LLM's end token.
/// </summary>
public sealed record SpeechPromptFormat
{
    public required string Name { get; init; }
    public required SpeechPromptKind Kind { get; init; }
    public required string User { get; init; }
    public string? Generation { get; init; }
    public required string Speech { get; init; }
    public bool AddBos { get; init; }
    /// <summary>The file's text (for fingerprints and the trained folder).</summary>
    public required string Json { get; init; }

    public static SpeechPromptFormat Vicuna { get; } = Parse(InstructionPool.ReadResource("Engine.Methods.Speech.SelfPowered.Templates.vicuna.json"), "vicuna");
    public static SpeechPromptFormat Chat { get; } = Parse(InstructionPool.ReadResource("Engine.Methods.Speech.SelfPowered.Templates.chat.json"), "chat");

    /// <summary>"vicuna", "chat", or the path of a format file.</summary>
    public static SpeechPromptFormat Resolve(string nameOrPath) => nameOrPath switch
    {
        "vicuna" => Vicuna,
        "chat" => Chat,
        _ when File.Exists(nameOrPath) => Parse(File.ReadAllText(nameOrPath), Path.GetFileNameWithoutExtension(nameOrPath), nameOrPath),
        _ => throw new ArgumentException($"Prompt format '{nameOrPath}' is neither vicuna, chat nor an existing format file."),
    };

    public static SpeechPromptFormat Parse(string json, string name, string? source = null)
    {
        source ??= name;
        try
        {
            var o = JsonNode.Parse(json) as JsonObject ?? throw new InvalidDataException("not a JSON object");
            string? Str(string k) => o[k] is JsonValue v && v.TryGetValue<string>(out var s) ? s : o[k] is null ? null : throw new InvalidDataException($"'{k}' must be a string");
            var kind = Str("kind") switch
            {
                "raw" => SpeechPromptKind.Raw,
                "chat" => SpeechPromptKind.Chat,
                var k => throw new InvalidDataException($"'kind' is '{k}', not raw or chat"),
            };
            var f = new SpeechPromptFormat
            {
                Name = name, Kind = kind, Json = json,
                User = Str("user") ?? throw new InvalidDataException("missing 'user'"),
                Generation = Str("generation"),
                Speech = Str("speech") ?? throw new InvalidDataException("missing 'speech'"),
                AddBos = o["add_bos"] is JsonValue b && b.GetValue<bool>(),
            };
            if (kind == SpeechPromptKind.Raw && f.Generation is null) throw new InvalidDataException("a raw format needs 'generation'");
            Require(f.User, "user", "{instruction}", "{transcript}");
            if (f.Generation is not null) Require(f.Generation, "generation", "{instruction}", "{transcript}");
            Require(f.Speech, "speech", "{instruction}", "{speech}");
            if (f.Speech.IndexOf("{speech}", StringComparison.Ordinal) != f.Speech.LastIndexOf("{speech}", StringComparison.Ordinal))
                throw new InvalidDataException("'speech' holds {speech} more than once");
            return f;
        }
        catch (Exception e) when (e is JsonException or InvalidDataException or InvalidOperationException or FormatException)
        {
            throw new InvalidDataException($"Prompt format {source}: {e.Message}", e);
        }
    }

    private static void Require(string s, string field, params string[] placeholders)
    {
        foreach (var p in placeholders)
            if (!s.Contains(p, StringComparison.Ordinal)) throw new InvalidDataException($"'{field}' lacks {p}");
    }
}
