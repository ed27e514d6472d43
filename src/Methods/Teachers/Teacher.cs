using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization.Metadata;
using Microsoft.Extensions.AI;

namespace Engine.Methods.Teachers;

/// <summary>
/// The teacher every method calls: an <see cref="IChatClient"/> built from a <see cref="TeacherSpec"/>, and one-line
/// calls on any IChatClient (<see cref="AskAsync"/>, <see cref="AskManyAsync"/>, <see cref="AskJsonAsync"/>).
/// </summary>
public static class Teacher
{
    /// <summary>
    /// The client for a spec, composed outermost first: the disk cache (when <see cref="TeacherOptions.CacheDirectory"/>
    /// is set; a hit costs no request), then for remote teachers the concurrency and rate limits, then the model or the
    /// endpoint. Dispose it to free a local model.
    /// </summary>
    public static IChatClient Create(TeacherSpec spec, TeacherOptions? options = null)
    {
        var o = options ?? new TeacherOptions();
        o.Validate();
        IChatClient inner;
        string identity;
        if (spec.Kind == TeacherKind.Local)
        {
            // Teachers sit below Evaluation, which owns the embedded default model: the caller resolves "local" alone
            // (the CLI does; in code: spec with { ModelDirectory = DefaultModel.EnsureBuilt() }).
            var dir = spec.ModelDirectory ?? throw new ArgumentException(
                "A local teacher needs a model folder: use local:DIR, or set ModelDirectory to Engine.Methods.Evaluation.DefaultModel.EnsureBuilt() for the embedded default model.");
            inner = new LocalChatClient(LocalModel.Load(dir, spec.AdapterDirectory, o.Device, o.DType, o.Batching));
            identity = "local:" + Fingerprint(dir) + (spec.AdapterDirectory is { } a ? "+adapter=" + Fingerprint(a) : "");
        }
        else
        {
            inner = OpenAITeacher.Create(spec.BaseUrl!, spec.Model!, o);
            identity = spec.ToString();
        }
        var builder = new ChatClientBuilder(inner);
        if (o.CacheDirectory is { } cache)
            builder.UseDistributedCache(new DiskCache(cache), c => c.CacheKeyAdditionalValues = [identity]);
        if (spec.Kind == TeacherKind.OpenAI)
            builder.Use(i => new RateLimitedChatClient(i, o.MaxConcurrency, o.RequestsPerMinute));
        return builder.Build();
    }

    /// <summary>A folder's identity for cache keys: its full path and the size and write time of each weight file, so a retrained model misses the cache.</summary>
    private static string Fingerprint(string dir)
    {
        var full = Path.GetFullPath(dir);
        var files = Directory.Exists(full) ? Directory.GetFiles(full, "*.safetensors").Order(StringComparer.Ordinal) : Enumerable.Empty<string>();
        return full + "|" + string.Join(";", files.Select(f => { var i = new FileInfo(f); return $"{i.Name}:{i.Length}:{i.LastWriteTimeUtc.Ticks}"; }));
    }

    /// <summary>The answer's text to one user prompt (after an optional system prompt).</summary>
    public static async Task<string> AskAsync(this IChatClient teacher, string prompt, string? system = null, ChatOptions? options = null, CancellationToken ct = default) =>
        (await teacher.GetResponseAsync(Messages(prompt, system), options, ct).ConfigureAwait(false)).Text;

    /// <summary>
    /// n independent answers to one prompt, asked concurrently with seeds seed, seed+1, ... (a local teacher decodes
    /// them in one batch; each is cached on its own). OpenAI's n is not in the IChatClient abstraction, so this is how
    /// every teacher gives n choices.
    /// </summary>
    public static async Task<string[]> AskManyAsync(this IChatClient teacher, string prompt, int n, string? system = null, ChatOptions? options = null, CancellationToken ct = default)
    {
        if (n < 1) throw new ArgumentOutOfRangeException(nameof(n), "n must be ≥ 1.");
        long seed = options?.Seed ?? 0;
        var calls = Enumerable.Range(0, n).Select(j =>
        {
            var o = options?.Clone() ?? new ChatOptions();
            o.Seed = seed + j;
            return teacher.GetResponseAsync(Messages(prompt, system), o, ct);
        });
        return (await Task.WhenAll(calls).ConfigureAwait(false)).Select(r => r.Text).ToArray();
    }

    /// <summary>
    /// A JSON answer: the value extracted from the reply (<see cref="TeacherJson"/>) and accepted by
    /// <paramref name="validate"/> (null = any; else returns an error message). A reply that fails is answered with the
    /// reason and the request to reply with JSON only, up to <paramref name="maxAttempts"/> replies in all.
    /// </summary>
    public static async Task<JsonNode> AskJsonAsync(this IChatClient teacher, IEnumerable<ChatMessage> messages, ChatOptions? options = null,
        Func<JsonNode, string?>? validate = null, int maxAttempts = 3, CancellationToken ct = default)
    {
        if (maxAttempts < 1) throw new ArgumentOutOfRangeException(nameof(maxAttempts), "maxAttempts must be ≥ 1.");
        var history = messages.ToList();
        var answers = new List<string>();
        string error = "";
        for (int attempt = 0; attempt < maxAttempts; attempt++)
        {
            var text = (await teacher.GetResponseAsync(history, options, ct).ConfigureAwait(false)).Text;
            answers.Add(text);
            if (TeacherJson.TryExtract(text, out var value, out error) && (error = validate?.Invoke(value!) ?? "") == "") return value!;
            history.Add(new ChatMessage(ChatRole.Assistant, text));
            history.Add(new ChatMessage(ChatRole.User, $"That answer could not be used: {error}. Reply again with only the JSON, nothing else."));
        }
        throw new TeacherAnswerException($"The teacher gave no usable JSON in {maxAttempts} attempts; last problem: {error}.", answers);
    }

    public static Task<JsonNode> AskJsonAsync(this IChatClient teacher, string prompt, string? system = null, ChatOptions? options = null,
        Func<JsonNode, string?>? validate = null, int maxAttempts = 3, CancellationToken ct = default) =>
        teacher.AskJsonAsync(Messages(prompt, system), options, validate, maxAttempts, ct);

    /// <summary>A typed JSON answer (source-generated <paramref name="type"/>, trim-safe); a reply that does not deserialize is retried like invalid JSON.</summary>
    public static async Task<T> AskJsonAsync<T>(this IChatClient teacher, string prompt, JsonTypeInfo<T> type, string? system = null, ChatOptions? options = null,
        int maxAttempts = 3, CancellationToken ct = default)
    {
        T? result = default;
        await teacher.AskJsonAsync(Messages(prompt, system), options, node =>
        {
            try
            {
                result = node.Deserialize(type);
                return result is null ? "the JSON is null" : null;
            }
            catch (JsonException e) { return $"the JSON does not have the expected shape ({e.Message})"; }
        }, maxAttempts, ct).ConfigureAwait(false);
        return result!;
    }

    private static List<ChatMessage> Messages(string prompt, string? system) =>
        system is null ? [new(ChatRole.User, prompt)] : [new(ChatRole.System, system), new(ChatRole.User, prompt)];
}
