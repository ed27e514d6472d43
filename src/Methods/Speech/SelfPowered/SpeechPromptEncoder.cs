using Engine.Methods.Core.Data;
using Engine.Methods.Training.Data;
using Engine.Models.Chat;
using Engine.Models.Speech;

namespace Engine.Methods.Speech.SelfPowered;

/// <summary>
/// A <see cref="SpeechPromptFormat"/> bound to an LLM's tokenizer: the token ids of target-generation prompts and of the
/// speech prompt around the speech tokens (prefix with BOS as the format says, suffix, target + end token).
/// </summary>
public sealed class SpeechPromptEncoder
{
    // Stands for the speech while a chat template renders the user turn; never part of real text.
    private const string Marker = "\u0002speech\u0003";

    public SpeechPromptFormat Format { get; }
    public ExampleTokenizer Tokenizer { get; }
    public int EndId { get; }

    /// <param name="endId">The token that ends an answer: the LLM's EOS (Vicuna's &lt;/s&gt;, a chat model's end of turn).</param>
    public SpeechPromptEncoder(SpeechPromptFormat format, ExampleTokenizer tokenizer, int endId)
    {
        Format = format; Tokenizer = tokenizer; EndId = endId;
    }

    /// <summary>The user turn a chat teacher answers.</summary>
    public string UserMessage(string instruction, string transcript) => SelfPoweredRules.Fill(Format.User, instruction, transcript);

    /// <summary>The prompt text a local LLM continues to write a target.</summary>
    public string GenerationText(string instruction, string transcript) => Format.Kind == SpeechPromptKind.Raw
        ? SelfPoweredRules.Fill(Format.Generation!, instruction, transcript)
        : Tokenizer.Renderer.Render([new ChatMessage(RecordParser.User, UserMessage(instruction, transcript))], addGenerationPrompt: true);

    public int[] GenerationPrompt(string instruction, string transcript) => EncodeStart(GenerationText(instruction, transcript));

    /// <summary>The text before and after the speech.</summary>
    public (string Prefix, string Suffix) SpeechText(string instruction)
    {
        var filled = SelfPoweredRules.Fill(Format.Speech, instruction, speech: Marker);
        if (Format.Kind == SpeechPromptKind.Chat)
            filled = Tokenizer.Renderer.Render([new ChatMessage(RecordParser.User, filled)], addGenerationPrompt: true);
        return SelfPoweredRules.SplitAtSpeech(filled, Marker);
    }

    /// <summary>Prefix, suffix and (when given) target ids: the target's tokens then <see cref="EndId"/>.</summary>
    public SpeechPromptItem SpeechPrompt(string instruction, string? target = null)
    {
        var (prefix, suffix) = SpeechText(instruction);
        return new SpeechPromptItem(EncodeStart(prefix), Tokenizer.Tokenizer.Encode(suffix, addSpecialTokens: false), target is null ? [] : TargetIds(target));
    }

    public int[] TargetIds(string target) => [.. Tokenizer.Tokenizer.Encode(target, addSpecialTokens: false), EndId];

    /// <summary>The start of a prompt: raw formats add the tokenizer's special tokens when asked; chat templates write their own BOS (the plain fallback gets one prepended).</summary>
    private int[] EncodeStart(string text)
    {
        if (Format.Kind == SpeechPromptKind.Raw) return Tokenizer.Tokenizer.Encode(text, addSpecialTokens: Format.AddBos);
        var ids = Tokenizer.Tokenizer.Encode(text, addSpecialTokens: false);
        return Tokenizer.BosId is { } bos && (ids.Length == 0 || ids[0] != bos) ? [bos, .. ids] : ids;
    }
}
