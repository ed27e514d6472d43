using System.Text.Json.Nodes;
using Microsoft.Extensions.AI;

namespace Engine.Methods.Selection.CDT;

/// <summary>One dimension's outcome: the parsed answer, how many replies it took, and the last reply's text.</summary>
public sealed record CdtDimensionResult(CdtDimension Dimension, CdtParsedAnswer Parsed, int Attempts, string Answer);

/// <summary>A record's tags and what went wrong on the way (nothing to tag, a dimension with no label, unknown or surplus labels).</summary>
public sealed record CdtTagResult(CapabilityTags Tags, IReadOnlyList<CdtDimensionResult> Dimensions, string? Problem = null)
{
    public static readonly CdtTagResult NoText = new(CapabilityTags.Empty, [], "no instruction text");

    public bool IsClean => Problem is null && Dimensions.All(d => d.Parsed.HasLabel && d.Parsed.Unknown.Count == 0 && d.Parsed.Dropped == 0);

    /// <summary>The <c>cdt</c> report written beside the tags when something went wrong (null when clean): enough to see why without rerunning.</summary>
    public JsonObject? Report()
    {
        if (IsClean) return null;
        var o = new JsonObject();
        if (Problem is not null) o["problem"] = Problem;
        var noLabel = Dimensions.Where(d => !d.Parsed.HasLabel).Select(d => (JsonNode)d.Dimension.FieldName()).ToArray();
        if (noLabel.Length > 0) o["no_label"] = new JsonArray(noLabel);
        var unknown = new JsonObject();
        foreach (var d in Dimensions.Where(d => d.Parsed.Unknown.Count > 0))
            unknown[d.Dimension.FieldName()] = new JsonArray(d.Parsed.Unknown.Select(u => (JsonNode)u).ToArray());
        if (unknown.Count > 0) o["unknown"] = unknown;
        var dropped = new JsonObject();
        foreach (var d in Dimensions.Where(d => d.Parsed.Dropped > 0)) dropped[d.Dimension.FieldName()] = d.Parsed.Dropped;
        if (dropped.Count > 0) o["dropped"] = dropped;
        var answers = new JsonObject();
        foreach (var d in Dimensions.Where(d => !d.Parsed.HasLabel || d.Parsed.Unknown.Count > 0))
            answers[d.Dimension.FieldName()] = d.Answer.Length > 300 ? d.Answer[..297] + "..." : d.Answer;
        if (answers.Count > 0) o["answers"] = answers;
        return o;
    }
}

/// <summary>
/// Tags one instruction with any <see cref="IChatClient"/>: three independent calls (cognition, domain, task), each
/// with its own prompt and option order, greedy, answers read by <see cref="CdtAnswerParser"/>. When an answer names no
/// label and <see cref="CdtTagOptions.Attempts"/> allows, the teacher is told so and asked again in the same
/// conversation. A teacher that keeps answering garbage leaves the dimension untagged and the record reported; only a
/// failure to reach the teacher at all (after its own retries) is an exception.
/// </summary>
public sealed class CdtTagger(IChatClient teacher, CdtTagOptions options)
{
    public CdtTagOptions Options { get; } = options;

    public async Task<CdtTagResult> TagAsync(string instruction, CancellationToken ct = default)
    {
        if (string.IsNullOrWhiteSpace(instruction)) return CdtTagResult.NoText;
        var results = await Task.WhenAll(CdtDimensions.All.Select(d => TagAsync(d, instruction, ct))).ConfigureAwait(false);
        return new CdtTagResult(CapabilityTags.From(d => results[(int)d].Parsed.Labels), results);
    }

    /// <summary>Tag many instructions, at most <see cref="CdtTagOptions.Concurrency"/> calls in flight; <paramref name="done"/> is told each finished index in order.</summary>
    public async Task<CdtTagResult[]> TagManyAsync(IReadOnlyList<string> instructions, Action<int>? done = null, CancellationToken ct = default)
    {
        using var gate = new SemaphoreSlim(Math.Max(1, Options.Concurrency / 3));   // three calls per record
        var tasks = instructions.Select(async text =>
        {
            await gate.WaitAsync(ct).ConfigureAwait(false);
            try { return await TagAsync(text, ct).ConfigureAwait(false); }
            finally { gate.Release(); }
        }).ToArray();
        var results = new CdtTagResult[tasks.Length];
        for (int i = 0; i < tasks.Length; i++)
        {
            results[i] = await tasks[i].ConfigureAwait(false);
            done?.Invoke(i);
        }
        return results;
    }

    public async Task<CdtDimensionResult> TagAsync(CdtDimension d, string instruction, CancellationToken ct = default)
    {
        var (system, user) = Options.Prompts.Build(d, instruction, Options.Labels, Options.Style, Options.OptionSeed);
        var history = new List<ChatMessage> { new(ChatRole.System, system), new(ChatRole.User, user) };
        var chat = new ChatOptions { Temperature = 0, MaxOutputTokens = Options.MaxNewTokens };
        for (int attempt = 1; ; attempt++)
        {
            var text = (await teacher.GetResponseAsync(history, chat, ct).ConfigureAwait(false)).Text ?? "";
            var parsed = CdtAnswerParser.Parse(text, Options.Labels[d]);
            if (parsed.HasLabel || attempt >= Options.Attempts) return new CdtDimensionResult(d, parsed, attempt, text);
            history.Add(new ChatMessage(ChatRole.Assistant, text));
            history.Add(new ChatMessage(ChatRole.User, $"That answer names no {Kind(d)} from the list. Reply again with only the JSON, {Format(d)}, using a name exactly as listed."));
        }
    }

    private static string Kind(CdtDimension d) => d switch
    {
        CdtDimension.Cognition => "skill code",
        CdtDimension.Domain => "subdomain",
        _ => "task type",
    };

    private static string Format(CdtDimension d) => d switch
    {
        CdtDimension.Cognition => "[{\"skill\": str, \"explanation\": str}]",
        CdtDimension.Domain => "{\"domain\": str}",
        _ => "{\"task\": str}",
    };
}
