using Engine.Methods.Core.Jobs;
using Microsoft.Extensions.AI;

namespace Engine.Methods.Synthesis.AQuilt;

/// <summary>
/// A chat teacher (any <see cref="IChatClient"/>: a local model through its chat template, or an OpenAI-compatible
/// endpoint) answering AQuilt's prompts as one user message. A chat API cannot continue a prefix, so prefix forcing
/// becomes the end of the user message and the answer is read with or without the forced opening. Each request is
/// asked with its own seed, derived from the run's seed and the request's row, and all requests of a call are in
/// flight together (the teacher's concurrency limits apply).
/// </summary>
public sealed class ChatCompleter(IChatClient teacher, string identity) : ICompleter
{
    public int? Context => null;

    public void Describe(JobFingerprint f) => f.Add("teacher", identity);

    public int CountTokens(string prompt) => throw new NotSupportedException("A chat teacher's tokenizer is not known here.");

    public IReadOnlyList<string> Complete(IReadOnlyList<CompletionRequest> requests, CompletionSettings s, Action<int, long>? done = null)
    {
        var gate = new object();
        var calls = requests.Select(async r =>
        {
            var options = new ChatOptions
            {
                Temperature = (float)s.Temperature, TopP = (float)s.TopP, TopK = s.TopK > 0 ? s.TopK : null,
                MaxOutputTokens = s.MaxNewTokens, Seed = RequestSeed(s.Seed, r.Row),
            };
            var response = await teacher.GetResponseAsync([new ChatMessage(ChatRole.User, r.Prompt)], options).ConfigureAwait(false);
            lock (gate) done?.Invoke(1, response.Usage?.OutputTokenCount ?? 0);
            return response.Text;
        });
        return Task.WhenAll(calls).GetAwaiter().GetResult();
    }

    /// <summary>A 63-bit seed per (run seed, row): SplitMix64's finaliser over both, so rows of different runs do not collide.</summary>
    public static long RequestSeed(ulong seed, ulong row)
    {
        ulong z = seed * 0x9E3779B97F4A7C15UL ^ row;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return (long)((z ^ (z >> 31)) >> 1);
    }
}
