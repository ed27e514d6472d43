using System.Text;
using Engine.Methods.Core.Data;
using Engine.Methods.Training.Data;
using Engine.Models.Chat;
using Engine.Models.Tokenizers;

namespace Engine.Tests.TrainingData;

/// <summary>
/// A character-level tokenizer: each char is one token (id 100 + code point), and a few special tokens written
/// as text (e.g. "&lt;eos&gt;") are one token each. Small enough to reason about expected ids by hand.
/// </summary>
internal sealed class CharTokenizer(string[]? specials = null) : ITokenizer
{
    public static readonly string[] DefaultSpecials = ["<pad>", "<bos>", "<eos>", "<|im_start|>", "<|im_end|>"];
    public const int Pad = 0, Bos = 1, Eos = 2, ImStart = 3, ImEnd = 4;

    /// <summary>Special tokens, id = index (below 100); the default set, or e.g. a chat template's own markers.</summary>
    public string[] Specials { get; } = specials ?? DefaultSpecials;

    public int VocabSize => 100 + 0x10000;
    public IReadOnlyCollection<int> SpecialTokenIds => Enumerable.Range(0, Specials.Length).ToArray();

    public int[] Encode(string text, bool addSpecialTokens = false)
    {
        var ids = new List<int>();
        for (int i = 0; i < text.Length;)
        {
            int s = Array.FindIndex(Specials, t => string.CompareOrdinal(text, i, t, 0, t.Length) == 0);
            if (s >= 0) { ids.Add(s); i += Specials[s].Length; }
            else { ids.Add(100 + text[i]); i++; }
        }
        return [.. ids];
    }

    public string Decode(ReadOnlySpan<int> ids, bool skipSpecialTokens = false)
    {
        var sb = new StringBuilder();
        foreach (var id in ids) sb.Append(id < 100 ? (skipSpecialTokens ? "" : Specials[id]) : ((char)(id - 100)).ToString());
        return sb.ToString();
    }

    public int? TokenToId(string token)
    {
        int s = Array.IndexOf(Specials, token);
        return s >= 0 ? s : token.Length == 1 ? 100 + token[0] : null;
    }

    public string? IdToToken(int id) => id < 100 ? Specials[id] : ((char)(id - 100)).ToString();
}

/// <summary>A hand-written stand-in for a ChatML chat template (Qwen-style, no default system prompt).</summary>
internal sealed class ChatMlRenderer : IChatRenderer
{
    public string Render(IReadOnlyList<ChatMessage> messages, bool addGenerationPrompt)
    {
        var sb = new StringBuilder();
        foreach (var m in messages) sb.Append($"<|im_start|>{m.Role}\n{m.Content}<|im_end|>\n");
        if (addGenerationPrompt) sb.Append("<|im_start|>assistant\n");
        return sb.ToString();
    }
}

/// <summary>A template that rewrites history (drops earlier assistant turns), so prefixes do not extend.</summary>
internal sealed class HistoryDroppingRenderer : IChatRenderer
{
    public string Render(IReadOnlyList<ChatMessage> messages, bool addGenerationPrompt)
    {
        var sb = new StringBuilder();
        for (int i = 0; i < messages.Count; i++)
            if (messages[i].Role != "assistant" || i == messages.Count - 1) sb.Append($"[{messages[i].Role}]{messages[i].Content}");
        if (addGenerationPrompt) sb.Append("[assistant]");
        return sb.ToString();
    }
}

internal static class Expect
{
    /// <summary>Expected ids and labels from hand-written text parts: trained parts are their own labels, others -100.</summary>
    public static (int[] Ids, int[] Labels) Parts(params (string Text, bool Trained)[] parts)
    {
        var tok = new CharTokenizer();
        var ids = new List<int>();
        var labels = new List<int>();
        foreach (var (text, trained) in parts)
        {
            var t = tok.Encode(text);
            ids.AddRange(t);
            labels.AddRange(trained ? t : t.Select(_ => -100));
        }
        return ([.. ids], [.. labels]);
    }

    public static int[] Ids(string text) => new CharTokenizer().Encode(text);
}

/// <summary>A temporary folder removed after the test.</summary>
internal sealed class TempDir : IDisposable
{
    public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "engine-td-" + Guid.NewGuid().ToString("N"));
    public TempDir() => Directory.CreateDirectory(Path);
    public string File(string name) => System.IO.Path.Combine(Path, name);
    public string Write(string name, params string[] lines)
    {
        var p = File(name);
        System.IO.File.WriteAllText(p, string.Join("\n", lines) + "\n");
        return p;
    }
    public void Dispose() { try { Directory.Delete(Path, recursive: true); } catch (IOException) { } }
}
