using System.Text.RegularExpressions;
using Microsoft.Extensions.AI;

namespace Engine.Tests.LongMT;

/// <summary>
/// A deterministic stand-in for a model: a translation call (one user message with "#i &lt;s&gt;…&lt;/s&gt;" lines) is
/// answered sentence by sentence with <see cref="TranslateSentence"/>; a selection conversation (it starts with a system
/// message) with <see cref="Select"/>. It counts calls, records the pages it translated, and can fail after a number of
/// calls, standing in for a killed process.
/// </summary>
public sealed partial class ScriptedChatClient : IChatClient
{
    private readonly object _lock = new();
    private int _calls;

    /// <summary>The translation of one sentence (default: upper case).</summary>
    public Func<string, string> TranslateSentence { get; init; } = s => s.ToUpperInvariant();
    /// <summary>The answer for a page of n sentences given the sentences (default: every sentence translated); lets a test drop or merge sentences.</summary>
    public Func<IReadOnlyList<string>, string>? Answer { get; init; }
    /// <summary>The answer for a page given the whole translation prompt and the sentences (overrides <see cref="Answer"/>); lets a test make quality depend on the memory shown.</summary>
    public Func<string, IReadOnlyList<string>, string>? AnswerWithPrompt { get; init; }
    /// <summary>The answer to a selection turn, given the conversation so far.</summary>
    public Func<IReadOnlyList<ChatMessage>, string> Select { get; init; } = _ => "[Selection]\nEND";
    /// <summary>Throw (as a killed process would stop) when this many calls have been made.</summary>
    public int? FailAfter { get; set; }

    public int Calls { get { lock (_lock) return _calls; } }
    public List<string> TranslatedFirstSentences { get; } = [];
    public List<int> PageSizes { get; } = [];

    public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        var list = messages.ToList();
        lock (_lock)
        {
            if (FailAfter is { } f && _calls >= f) throw new IOException("the process was killed");
            _calls++;
        }
        string text;
        if (list[0].Role == ChatRole.System) text = Select(list);
        else
        {
            var sentences = Marked().Matches(list[^1].Text).Select(m => m.Groups[1].Value).ToList();
            lock (_lock)
            {
                PageSizes.Add(sentences.Count);
                if (sentences.Count > 0) TranslatedFirstSentences.Add(sentences[0]);
            }
            text = AnswerWithPrompt?.Invoke(list[^1].Text, sentences) ?? Answer?.Invoke(sentences) ?? Render(sentences.Select(TranslateSentence).ToList());
        }
        return Task.FromResult(new ChatResponse(new ChatMessage(ChatRole.Assistant, text)));
    }

    public static string Render(IReadOnlyList<string> sentences) => string.Join("\n", sentences.Select((s, i) => $"#{i} <s>{s}</s>"));

    public IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
        throw new NotSupportedException();

    public object? GetService(Type serviceType, object? serviceKey = null) => serviceType.IsInstanceOfType(this) ? this : null;

    public void Dispose() { }

    [GeneratedRegex(@"#\d+ <s>(.*?)</s>")]
    private static partial Regex Marked();
}
