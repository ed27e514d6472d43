namespace Engine.Methods.Teachers;

public enum TeacherKind { Local, OpenAI }

/// <summary>
/// Which teacher to call, as the CLI's --teacher spells it:
/// <c>local</c> (the embedded default model), <c>local:DIR</c> (a Hugging Face model folder),
/// <c>local:DIR+adapter=ADAPTER_DIR</c> (with a PEFT adapter attached), or <c>openai:BASE_URL#MODEL</c>
/// (any OpenAI-compatible endpoint: vLLM, llama.cpp server, `engine serve`, a hosted API).
/// </summary>
public sealed record TeacherSpec(TeacherKind Kind, string? ModelDirectory = null, string? AdapterDirectory = null, Uri? BaseUrl = null, string? Model = null)
{
    private const string Forms = "local, local:DIR, local:DIR+adapter=ADAPTER_DIR, or openai:BASE_URL#MODEL (e.g. openai:http://127.0.0.1:8000/v1#qwen)";

    public static TeacherSpec Parse(string spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        if (spec == "local") return new(TeacherKind.Local);
        if (spec.StartsWith("local:", StringComparison.Ordinal))
        {
            var rest = spec["local:".Length..];
            int plus = rest.LastIndexOf("+adapter=", StringComparison.Ordinal);
            var dir = plus >= 0 ? rest[..plus] : rest;
            var adapter = plus >= 0 ? rest[(plus + "+adapter=".Length)..] : null;
            if (dir.Length == 0) throw new FormatException($"--teacher '{spec}': the model folder is empty; expected {Forms}.");
            if (adapter is { Length: 0 }) throw new FormatException($"--teacher '{spec}': the adapter folder is empty; expected {Forms}.");
            return new(TeacherKind.Local, dir, adapter);
        }
        if (spec.StartsWith("openai:", StringComparison.Ordinal))
        {
            var rest = spec["openai:".Length..];
            int hash = rest.LastIndexOf('#');
            if (hash < 0 || hash == rest.Length - 1) throw new FormatException($"--teacher '{spec}': name the model after '#'; expected {Forms}.");
            if (!Uri.TryCreate(rest[..hash], UriKind.Absolute, out var url) || url.Scheme is not ("http" or "https"))
                throw new FormatException($"--teacher '{spec}': '{rest[..hash]}' is not an http(s) URL; expected {Forms}.");
            return new(TeacherKind.OpenAI, BaseUrl: ApiBase(url), Model: rest[(hash + 1)..]);
        }
        throw new FormatException($"--teacher '{spec}' is not understood; expected {Forms}.");
    }

    /// <summary>The base URL the OpenAI client appends /chat/completions to: a bare host gets /v1, as every OpenAI-compatible server uses.</summary>
    private static Uri ApiBase(Uri url) => url.AbsolutePath is "" or "/" ? new Uri(url, "/v1") : url;

    public override string ToString() => Kind == TeacherKind.OpenAI
        ? $"openai:{BaseUrl}#{Model}"
        : "local" + (ModelDirectory is null ? "" : ":" + ModelDirectory) + (AdapterDirectory is null ? "" : "+adapter=" + AdapterDirectory);
}
