using System.Text.Json;
using Engine.Methods.Teachers;
using Engine.Models.Generation;
using ChatMessage = Engine.Models.Chat.ChatMessage;

namespace Engine.Cli.Commands;

/// <summary>An error answered with OpenAI's error body: {"error": {"message", "type", "param", "code"}}.</summary>
public sealed class ApiException(int status, string message, string? param = null, string type = "invalid_request_error", string? code = null) : Exception(message)
{
    public int Status { get; } = status;
    public string? Param { get; } = param;
    public string Type { get; } = type;
    public string? Code { get; } = code;
}

/// <summary>A validated generation request: encoded prompts and how to decode them.</summary>
public sealed record ServeRequest(IReadOnlyList<int[]> Prompts, SamplingOptions Sampling, int N, bool Stream, bool IncludeUsage, bool LogProbs, int TopLogProbs, bool TokensAsIds);

/// <summary>
/// Reads /v1/chat/completions and /v1/completions bodies field by field, so every bad field gets a 400 that names it.
/// Unknown fields are ignored (clients send many); fields we cannot honour (tools, penalties, JSON modes) are refused
/// rather than silently dropped. Unset decoding fields take the model's generation_config.json, as vLLM does.
/// </summary>
public static class ServeRequests
{
    private static readonly HashSet<string> Roles = ["system", "developer", "user", "assistant", "tool"];

    public static ServeRequest Chat(JsonElement body, LocalModel model, string servedName)
    {
        CheckObjectAndModel(body, servedName);
        if (!body.TryGetProperty("messages", out var msgs)) throw new ApiException(400, "'messages' is required.", "messages");
        if (msgs.ValueKind != JsonValueKind.Array || msgs.GetArrayLength() == 0) throw new ApiException(400, "'messages' must be a non-empty array.", "messages");
        var list = new List<ChatMessage>();
        int i = 0;
        foreach (var m in msgs.EnumerateArray())
        {
            string at = $"messages[{i++}]";
            if (m.ValueKind != JsonValueKind.Object) throw new ApiException(400, $"'{at}' must be an object with 'role' and 'content'.", at);
            var role = m.TryGetProperty("role", out var r) && r.ValueKind == JsonValueKind.String ? r.GetString()! : throw new ApiException(400, $"'{at}.role' must be a string.", at + ".role");
            if (!Roles.Contains(role)) throw new ApiException(400, $"'{at}.role' is '{role}'; expected one of {string.Join(", ", Roles)}.", at + ".role");
            list.Add(new ChatMessage(role == "developer" ? "system" : role, Content(m, at, role)));
        }
        int[] prompt;
        try { prompt = model.EncodeChat(list); }
        catch (Exception e) when (e is InvalidOperationException or Models.Chat.ChatTemplateException) { throw new ApiException(400, e.Message, "messages"); }
        bool logprobs = Bool(body, "logprobs") ?? false;
        int top = Int(body, "top_logprobs", 0, 20) ?? 0;
        if (top > 0 && !logprobs) throw new ApiException(400, "'top_logprobs' needs 'logprobs': true.", "top_logprobs");
        int? maxTokens = Int(body, "max_completion_tokens", 0, int.MaxValue) ?? Int(body, "max_tokens", 0, int.MaxValue);
        return Common(body, model, [prompt], maxTokens ?? model.Batcher.Options.MaxModelLength - prompt.Length, logprobs, top, chatPrompt: true);
    }

    public static ServeRequest Completion(JsonElement body, LocalModel model, string servedName)
    {
        CheckObjectAndModel(body, servedName);
        if (Bool(body, "echo") == true) throw new ApiException(400, "'echo' is not supported.", "echo");
        if (body.TryGetProperty("suffix", out var sfx) && sfx.ValueKind != JsonValueKind.Null) throw new ApiException(400, "'suffix' is not supported.", "suffix");
        if (Int(body, "best_of", 1, 128) is { } bestOf && bestOf != (Int(body, "n", 1, 128) ?? 1)) throw new ApiException(400, "'best_of' other than n is not supported.", "best_of");
        var prompts = Prompts(body, model);
        int? top = Int(body, "logprobs", 0, 20);
        return Common(body, model, prompts, Int(body, "max_tokens", 0, int.MaxValue) ?? 16, top is not null, top ?? 0, chatPrompt: false);
    }

    private static ServeRequest Common(JsonElement body, LocalModel model, IReadOnlyList<int[]> prompts, int maxTokens, bool logprobs, int top, bool chatPrompt)
    {
        foreach (var f in new[] { "tools", "functions", "logit_bias" })
            if (body.TryGetProperty(f, out var v) && v.ValueKind is not (JsonValueKind.Null or JsonValueKind.Undefined) && !(v.ValueKind == JsonValueKind.Array && v.GetArrayLength() == 0) && !(v.ValueKind == JsonValueKind.Object && !v.EnumerateObject().Any()))
                throw new ApiException(400, $"'{f}' is not supported by this server.", f);
        foreach (var f in new[] { "presence_penalty", "frequency_penalty" })
            if (Number(body, f) is { } pen && pen != 0) throw new ApiException(400, $"'{f}' is not supported; use 'repetition_penalty' (1 = off).", f);
        if (body.TryGetProperty("response_format", out var rf) && rf.ValueKind == JsonValueKind.Object
            && rf.TryGetProperty("type", out var rt) && rt.GetString() is { } kind && kind != "text")
            throw new ApiException(400, $"response_format '{kind}' is not supported (no constrained decoding): ask for JSON in the prompt and parse the answer.", "response_format");

        var d = model.Defaults;
        int n = Int(body, "n", 1, int.MaxValue) ?? 1;
        if (n > model.Batcher.Options.MaxBatch) throw new ApiException(400, $"'n' = {n} is more than the {model.Batcher.Options.MaxBatch} sequences this server decodes together (--max-batch).", "n");
        int longest = prompts.Max(p => p.Length);
        int limit = model.Batcher.Options.MaxModelLength;
        if (longest >= limit)
            throw new ApiException(400, $"This model's maximum context length is {limit} tokens; the prompt alone has {longest}.", chatPrompt ? "messages" : "prompt");
        if (longest + maxTokens > limit)
            throw new ApiException(400, $"This model's maximum context length is {limit} tokens; the prompt has {longest} and max_tokens asks for {maxTokens}.", "max_tokens");
        var topK = Int(body, "top_k", -1, int.MaxValue);
        var sampling = d with
        {
            MaxNewTokens = maxTokens,
            Temperature = Number(body, "temperature") is { } t ? (t >= 0 && double.IsFinite(t) ? t : throw new ApiException(400, "'temperature' must be ≥ 0.", "temperature")) : d.Temperature,
            TopP = Number(body, "top_p") is { } p ? (p is > 0 and <= 1 ? p : throw new ApiException(400, "'top_p' must be in (0, 1].", "top_p")) : d.TopP,
            TopK = topK is { } k ? Math.Max(k, 0) : d.TopK,
            MinP = Number(body, "min_p") is { } mp ? (mp is >= 0 and <= 1 ? mp : throw new ApiException(400, "'min_p' must be in [0, 1].", "min_p")) : d.MinP,
            RepetitionPenalty = Number(body, "repetition_penalty") is { } rp ? (rp > 0 && double.IsFinite(rp) ? rp : throw new ApiException(400, "'repetition_penalty' must be > 0.", "repetition_penalty")) : d.RepetitionPenalty,
            // No seed: a fresh one per request, as the OpenAI API samples differently each call.
            Seed = Seed(body) ?? (ulong)Random.Shared.NextInt64(),
            StopStrings = Stops(body),
            EosTokenIds = Bool(body, "ignore_eos") == true ? [] : d.EosTokenIds,
        };
        bool stream = Bool(body, "stream") ?? false;
        bool usage = body.TryGetProperty("stream_options", out var so) && so.ValueKind == JsonValueKind.Object && Bool(so, "include_usage") == true;
        return new ServeRequest(prompts, sampling, n, stream, usage, logprobs, top, Bool(body, "return_tokens_as_token_ids") ?? false);
    }

    private static void CheckObjectAndModel(JsonElement body, string servedName)
    {
        if (body.ValueKind != JsonValueKind.Object) throw new ApiException(400, "The request body must be a JSON object.");
        if (body.TryGetProperty("model", out var m) && m.ValueKind != JsonValueKind.Null)
        {
            if (m.ValueKind != JsonValueKind.String) throw new ApiException(400, "'model' must be a string.", "model");
            if (m.GetString() != servedName)
                throw new ApiException(404, $"The model '{m.GetString()}' does not exist; this server serves '{servedName}'.", "model", code: "model_not_found");
        }
    }

    /// <summary>A message's text: a string, an array of {"type": "text", "text"} parts, or null for an assistant turn.</summary>
    private static string Content(JsonElement m, string at, string role)
    {
        if (!m.TryGetProperty("content", out var c) || c.ValueKind == JsonValueKind.Null)
            return role == "assistant" ? "" : throw new ApiException(400, $"'{at}.content' is required.", at + ".content");
        if (c.ValueKind == JsonValueKind.String) return c.GetString()!;
        if (c.ValueKind != JsonValueKind.Array) throw new ApiException(400, $"'{at}.content' must be a string or an array of text parts.", at + ".content");
        var sb = new System.Text.StringBuilder();
        foreach (var part in c.EnumerateArray())
        {
            if (part.ValueKind != JsonValueKind.Object || !part.TryGetProperty("type", out var ty) || ty.GetString() != "text"
                || !part.TryGetProperty("text", out var tx) || tx.ValueKind != JsonValueKind.String)
                throw new ApiException(400, $"'{at}.content' parts must be {{\"type\": \"text\", \"text\": ...}}; other content types are not supported.", at + ".content");
            sb.Append(tx.GetString());
        }
        return sb.ToString();
    }

    /// <summary>"prompt": a string, an array of strings, an array of token ids, or an array of arrays of token ids.</summary>
    private static List<int[]> Prompts(JsonElement body, LocalModel model)
    {
        if (!body.TryGetProperty("prompt", out var p)) throw new ApiException(400, "'prompt' is required.", "prompt");
        if (p.ValueKind == JsonValueKind.String) return [Encode(model, p.GetString()!)];
        if (p.ValueKind != JsonValueKind.Array || p.GetArrayLength() == 0) throw new ApiException(400, "'prompt' must be a string, an array of strings, or token ids.", "prompt");
        var items = p.EnumerateArray().ToArray();
        if (items.All(x => x.ValueKind == JsonValueKind.Number)) return [Ids(items, "prompt")];
        var list = new List<int[]>();
        for (int i = 0; i < items.Length; i++)
            list.Add(items[i].ValueKind switch
            {
                JsonValueKind.String => Encode(model, items[i].GetString()!),
                JsonValueKind.Array when items[i].GetArrayLength() > 0 => Ids(items[i].EnumerateArray().ToArray(), $"prompt[{i}]"),
                _ => throw new ApiException(400, $"'prompt[{i}]' must be a string or a non-empty array of token ids.", "prompt"),
            });
        return list;
    }

    private static int[] Encode(LocalModel model, string text)
    {
        var ids = model.EncodePrompt(text);
        return ids.Length > 0 ? ids : throw new ApiException(400, "'prompt' encodes to no tokens.", "prompt");
    }

    private static int[] Ids(JsonElement[] items, string at) => items.Select(x => x.ValueKind == JsonValueKind.Number && x.TryGetInt32(out var v) ? v
        : throw new ApiException(400, $"'{at}' must hold integer token ids.", "prompt")).ToArray();

    private static IReadOnlyList<string> Stops(JsonElement body)
    {
        if (!body.TryGetProperty("stop", out var s) || s.ValueKind == JsonValueKind.Null) return [];
        if (s.ValueKind == JsonValueKind.String) return [s.GetString()!];
        if (s.ValueKind == JsonValueKind.Array && s.EnumerateArray().All(x => x.ValueKind == JsonValueKind.String))
            return s.EnumerateArray().Select(x => x.GetString()!).Where(x => x.Length > 0).ToArray();
        throw new ApiException(400, "'stop' must be a string or an array of strings.", "stop");
    }

    private static ulong? Seed(JsonElement body)
    {
        if (!body.TryGetProperty("seed", out var s) || s.ValueKind == JsonValueKind.Null) return null;
        if (s.ValueKind == JsonValueKind.Number && s.TryGetInt64(out var v)) return unchecked((ulong)v);
        if (s.ValueKind == JsonValueKind.Number && s.TryGetUInt64(out var u)) return u;
        throw new ApiException(400, "'seed' must be an integer.", "seed");
    }

    private static int? Int(JsonElement body, string name, int min, int max)
    {
        if (!body.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null) return null;
        if (v.ValueKind != JsonValueKind.Number || !v.TryGetInt32(out var i)) throw new ApiException(400, $"'{name}' must be an integer.", name);
        if (i < min || i > max) throw new ApiException(400, $"'{name}' must be in [{min}, {(max == int.MaxValue ? "∞" : max)}], got {i}.", name);
        return i;
    }

    private static double? Number(JsonElement body, string name)
    {
        if (!body.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null) return null;
        return v.ValueKind == JsonValueKind.Number ? v.GetDouble() : throw new ApiException(400, $"'{name}' must be a number.", name);
    }

    private static bool? Bool(JsonElement body, string name)
    {
        if (!body.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null) return null;
        return v.ValueKind switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            _ => throw new ApiException(400, $"'{name}' must be true or false.", name),
        };
    }
}
