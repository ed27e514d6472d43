using Engine.Methods.Core.Data;
using Engine.Models;
using Engine.Models.Chat;
using Engine.Models.Tokenizers;

namespace Engine.Methods.Training.Data;

/// <summary>
/// Formats parsed records with the chat template (or <see cref="PlainChatRenderer"/> when there is none) and
/// tokenises them into training examples; see <see cref="TokenizationOptions"/> for the loss-mask, EOS and
/// truncation rules.
/// <para>Where each turn's tokens begin is found by rendering prefixes of the conversation (the prompt up to a
/// turn with the generation prompt, then up to and including the turn) and tokenising the differences separately,
/// the way TRL splits prompt from completion. A template whose prefix renderings are not prefixes of the full
/// rendering (e.g. one that rewrites earlier turns) cannot be masked this way and raises
/// <see cref="FormatException"/> for that record.</para>
/// </summary>
public sealed class ExampleTokenizer
{
    private readonly HashSet<int> _endIds = [];

    public ITokenizer Tokenizer { get; }
    public IChatRenderer Renderer { get; }
    public int? EosId { get; }
    /// <summary>Prepended to every sequence (prompt) that does not already start with it; null for none.</summary>
    public int? BosId { get; }
    public TokenizationOptions Options { get; }

    /// <param name="endOfTurnIds">Ids that already end a completion (besides EOS), e.g. the generation config's eos ids.</param>
    public ExampleTokenizer(ITokenizer tokenizer, IChatRenderer renderer, int? eosId, int? bosId = null,
        TokenizationOptions? options = null, IEnumerable<int>? endOfTurnIds = null)
    {
        Tokenizer = tokenizer;
        Renderer = renderer;
        EosId = eosId;
        BosId = bosId;
        Options = options ?? new TokenizationOptions();
        if (Options.MaxLength is < 2) throw new ArgumentOutOfRangeException(nameof(options), $"MaxLength must be at least 2, got {Options.MaxLength}.");
        if (Options.MaxPromptLength is < 1) throw new ArgumentOutOfRangeException(nameof(options), $"MaxPromptLength must be at least 1, got {Options.MaxPromptLength}.");
        if (Options.MaxCompletionLength is < 1) throw new ArgumentOutOfRangeException(nameof(options), $"MaxCompletionLength must be at least 1, got {Options.MaxCompletionLength}.");
        if (eosId is { } e) _endIds.Add(e);
        if (endOfTurnIds is not null) _endIds.UnionWith(endOfTurnIds);
    }

    /// <summary>
    /// For a Hugging Face tokenizer: its chat template (given bos_token/eos_token), else the plain fallback. BOS is
    /// added only with the fallback and only if the tokenizer itself adds one (<c>Encode("", addSpecialTokens: true)</c>);
    /// chat templates write their own BOS.
    /// </summary>
    public static ExampleTokenizer FromHf(HfTokenizer tok, TokenizationOptions? options = null, IEnumerable<int>? endOfTurnIds = null)
    {
        if (tok.ChatTemplate is { } template)
        {
            // "now" pins strftime_now (Llama 3.x writes today's date) so every prefix of a record renders alike.
            var extra = new Dictionary<string, object?> { ["bos_token"] = tok.BosToken ?? "", ["eos_token"] = tok.EosToken ?? "", ["now"] = DateTime.Now };
            return new ExampleTokenizer(tok, new TemplateChatRenderer(template, extra), tok.EosTokenId, null, options, endOfTurnIds);
        }
        var specials = tok.Encode("", addSpecialTokens: true);
        int? bos = specials.Length > 0 && specials[0] == tok.BosTokenId ? specials[0] : null;
        return new ExampleTokenizer(tok, PlainChatRenderer.Instance, tok.EosTokenId, bos, options, endOfTurnIds);
    }

    /// <summary><see cref="FromHf"/> with the model's end ids (generation config, config.json) as end-of-turn ids.</summary>
    public static ExampleTokenizer FromModel(ModelBundle bundle, TokenizationOptions? options = null) =>
        FromHf(bundle.Tokenizer, options, bundle.EosTokenIds);

    /// <summary>An SFT example, or null when truncation left no labelled token.</summary>
    public SftExample? ToSft(SftRecord r) => ToSft(r, out _);

    public SftExample? ToSft(SftRecord r, out bool truncated)
    {
        var ids = new List<int>();
        var labels = new List<int>();
        foreach (var (text, trained) in SftSegments(r))
        {
            var tokens = Encode(text, trained);
            ids.AddRange(tokens);
            bool loss = trained || !Options.CompletionOnlyLoss;
            foreach (var t in tokens) labels.Add(loss ? t : LabelMask.Ignore);
        }
        if (BosId is { } bos && (ids.Count == 0 || ids[0] != bos))
        {
            ids.Insert(0, bos);
            labels.Insert(0, LabelMask.Ignore);
        }
        truncated = Options.MaxLength is { } max && ids.Count > max;
        if (truncated)
        {
            ids.RemoveRange(Options.MaxLength!.Value, ids.Count - Options.MaxLength.Value);
            labels.RemoveRange(Options.MaxLength.Value, labels.Count - Options.MaxLength.Value);
        }
        // labels[0] is never a target (nothing precedes it), so an example needs a label at position 1 or later.
        if (!labels.Skip(1).Any(l => l != LabelMask.Ignore)) return null;
        var fields = r.Fields ?? RecordFields.None;
        return new SftExample([.. ids], [.. labels], fields.Weight ?? 1.0, fields.Group, r.Id ?? DefaultId(r.Row));
    }

    public PreferenceExample ToPreference(PreferenceRecord r) => ToPreference(r, out _);

    public PreferenceExample ToPreference(PreferenceRecord r, out bool truncated)
    {
        var (prompt, completions) = PromptAndCompletions(r.Prompt, [r.Chosen, r.Rejected], r.IsConversational);
        (prompt, completions, truncated) = Truncate(prompt, completions, Options);
        return new PreferenceExample(prompt, completions[0], completions[1], r.Id ?? DefaultId(r.Row));
    }

    public KtoExample ToKto(KtoRecord r) => ToKto(r, out _);

    public KtoExample ToKto(KtoRecord r, out bool truncated)
    {
        var (prompt, completions) = PromptAndCompletions(r.Prompt, [r.Completion], r.IsConversational);
        (prompt, completions, truncated) = Truncate(prompt, completions, Options);
        return new KtoExample(prompt, completions[0], r.Desirable, r.Id ?? DefaultId(r.Row));
    }

    /// <summary>
    /// The preference/KTO truncation rule (see <see cref="TokenizationOptions"/>): completions keep their start, the
    /// prompt keeps its end, and the prompt gives way first when the whole does not fit.
    /// </summary>
    public static (int[] Prompt, int[][] Completions, bool Truncated) Truncate(int[] prompt, int[][] completions, TokenizationOptions o)
    {
        bool cut = false;
        int[] Head(int[] c, int n) { if (c.Length <= n) return c; cut = true; return c[..n]; }
        int[] Tail(int[] p, int n) { if (p.Length <= n) return p; cut = true; return p[^n..]; }

        if (o.MaxCompletionLength is { } mc) completions = completions.Select(c => Head(c, mc)).ToArray();
        if (o.MaxPromptLength is { } mp) prompt = Tail(prompt, mp);
        if (o.MaxLength is { } ml)
        {
            int longest = completions.Max(c => c.Length);
            if (prompt.Length + longest > ml)
            {
                // Keep at least the prompt's last token: the first completion token is predicted from it.
                prompt = Tail(prompt, Math.Max(ml - longest, Math.Min(1, prompt.Length)));
                int room = ml - prompt.Length;
                completions = completions.Select(c => Head(c, room)).ToArray();
            }
        }
        return (prompt, completions, cut);
    }

    private IEnumerable<(string Text, bool Trained)> SftSegments(SftRecord r)
    {
        if (r.Text is not null) return [(r.Text, true)];
        if (r.Format == DatasetFormat.PromptCompletion && !r.IsConversational && Options.StringRecordsAsIs)
            return r.Messages.Select((m, i) => (m.Content, i >= r.FirstTrainedTurn));
        return ConversationSegments(r.Messages, r.FirstTrainedTurn);
    }

    /// <summary>
    /// Splits the rendered conversation into runs that carry loss (assistant turns from <paramref name="firstTrained"/>
    /// on, after their generation prompt) and runs that do not.
    /// </summary>
    private List<(string Text, bool Trained)> ConversationSegments(IReadOnlyList<ChatMessage> messages, int firstTrained)
    {
        var segments = new List<(string Text, bool Trained)>();
        string done = "";
        void Extend(string rendered, bool trained, int turn)
        {
            if (!rendered.StartsWith(done, StringComparison.Ordinal))
                throw new FormatException($"the chat template renders the conversation up to turn {turn} so that it does not extend its " +
                    "rendering of the earlier turns (it rewrites earlier turns, e.g. moves the system prompt to the last user turn), " +
                    "so the assistant tokens cannot be located by prefix; put the system prompt into the first user turn or use another template");
            var piece = rendered[done.Length..];
            if (piece.Length > 0)
            {
                if (segments.Count > 0 && segments[^1].Trained == trained) segments[^1] = (segments[^1].Text + piece, trained);
                else segments.Add((piece, trained));
            }
            done = rendered;
        }
        for (int i = 0; i < messages.Count; i++)
        {
            bool trained = messages[i].Role == RecordParser.Assistant && i >= firstTrained;
            var upTo = messages.Take(i).ToList();
            if (trained) Extend(Renderer.Render(upTo, addGenerationPrompt: true), false, i);
            upTo.Add(messages[i]);
            Extend(Renderer.Render(upTo, addGenerationPrompt: false), trained, i);
        }
        return segments;
    }

    private (int[] Prompt, int[][] Completions) PromptAndCompletions(IReadOnlyList<ChatMessage> prompt,
        IReadOnlyList<IReadOnlyList<ChatMessage>> completions, bool conversational)
    {
        string promptText;
        string[] completionTexts;
        if (!conversational && Options.StringRecordsAsIs)
        {
            promptText = string.Concat(prompt.Select(m => m.Content));
            completionTexts = completions.Select(c => string.Concat(c.Select(m => m.Content))).ToArray();
        }
        else
        {
            promptText = Renderer.Render(prompt, addGenerationPrompt: true);
            completionTexts = completions.Select(c =>
            {
                var full = Renderer.Render([.. prompt, .. c], addGenerationPrompt: false);
                if (!full.StartsWith(promptText, StringComparison.Ordinal))
                    throw new FormatException("the chat template's rendering of prompt + completion does not start with its " +
                        "rendering of the prompt with the generation prompt, so the completion cannot be split off");
                return full[promptText.Length..];
            }).ToArray();
        }
        var promptIds = Tokenizer.Encode(promptText, addSpecialTokens: false);
        if (BosId is { } bos && (promptIds.Length == 0 || promptIds[0] != bos)) promptIds = [bos, .. promptIds];
        var completionIds = completionTexts.Select(t =>
        {
            var ids = Encode(t, trained: true);
            return ids.Length > 0 ? ids : throw new FormatException("a completion renders to no tokens");
        }).ToArray();
        return (promptIds, completionIds);
    }

    /// <summary>Tokenises one run; a trained run gets EOS appended unless it already holds an end id.</summary>
    private int[] Encode(string text, bool trained)
    {
        var ids = text.Length == 0 ? [] : Tokenizer.Encode(text, addSpecialTokens: false);
        if (trained && Options.AppendEos && EosId is { } eos && !ids.Any(_endIds.Contains)) ids = [.. ids, eos];
        return ids;
    }

    private static string DefaultId(DataRow row) => $"{Path.GetFileName(row.Source)}:{row.Line}";
}
