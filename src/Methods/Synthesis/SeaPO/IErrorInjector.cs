using Engine.Methods.Core.Jobs;

namespace Engine.Methods.Synthesis.SeaPO;

/// <summary>
/// What writes the injected responses: the policy model itself (<see cref="LocalInjector"/>, the paper's setting) or
/// any chat model (<see cref="ChatClientInjector"/>). Decoding is greedy, and a prompt's output depends only on the
/// prompt and the injector, never on the other prompts it is decoded with.
/// </summary>
public interface IErrorInjector
{
    /// <summary>Adds the injector's identity and decoding options to the job fingerprint.</summary>
    void Describe(JobFingerprint fingerprint);

    /// <summary>Tokens of a user prompt, to refuse records that do not fit before any work (null: no limit known).</summary>
    int? PromptTokens(string userPrompt);

    /// <summary>The model's context in tokens, when known.</summary>
    int? Context { get; }

    /// <summary>Greedy completions of user prompts, in order; <paramref name="advance"/> reports prompts done.</summary>
    IReadOnlyList<string> Complete(IReadOnlyList<string> userPrompts, Action<int, long> advance);
}
