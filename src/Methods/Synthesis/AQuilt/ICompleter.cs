using Engine.Methods.Core.Jobs;

namespace Engine.Methods.Synthesis.AQuilt;

/// <summary>A raw prompt to continue and the random stream (row) its sample draws from.</summary>
public readonly record struct CompletionRequest(string Prompt, ulong Row);

/// <summary>Decoding settings shared by every request of a call (temperature 0 = greedy).</summary>
public sealed record CompletionSettings(double Temperature, double TopP, int TopK, int MaxNewTokens, ulong Seed);

/// <summary>
/// What writes AQuilt's text: a local model continuing raw prompts (no chat template, as AQuilt's base-model
/// synthesiser; <see cref="LocalCompleter"/>) or a chat teacher (<see cref="ChatCompleter"/>). A request's text must
/// depend only on its prompt, its row and the settings, never on the other requests of the call, so shards and
/// resumed runs agree with one whole run.
/// </summary>
public interface ICompleter
{
    /// <summary>Adds the model's identity (weights, adapter, or teacher) and anything else that changes the texts.</summary>
    void Describe(JobFingerprint fingerprint);

    /// <summary>Longest prompt + completion in tokens, or null when unknown (a remote teacher).</summary>
    int? Context { get; }

    /// <summary>Tokens of a prompt as the model will see it (only called when <see cref="Context"/> is known).</summary>
    int CountTokens(string prompt);

    /// <summary>The completions, in request order. <paramref name="done"/> reports (requests finished, tokens generated) as batches finish.</summary>
    IReadOnlyList<string> Complete(IReadOnlyList<CompletionRequest> requests, CompletionSettings settings, Action<int, long>? done = null);
}
