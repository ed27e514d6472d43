using Engine.Methods.Core.Jobs;
using Engine.Methods.Teachers;
using Microsoft.Extensions.AI;

namespace Engine.Methods.Synthesis.SeaPO;

/// <summary>Any chat model as the injector (a local teacher, or an OpenAI-compatible endpoint): temperature 0, calls in parallel.</summary>
public sealed class ChatClientInjector(IChatClient client, string identity, int maxNewTokens, int concurrency = 8) : IErrorInjector
{
    public int? Context => null;

    public void Describe(JobFingerprint f)
    {
        f.Add("injector", identity);
        f.Add("max_new_tokens", maxNewTokens);
    }

    public int? PromptTokens(string userPrompt) => null;

    public IReadOnlyList<string> Complete(IReadOnlyList<string> userPrompts, Action<int, long> advance)
    {
        var options = new ChatOptions { Temperature = 0, MaxOutputTokens = maxNewTokens };
        var texts = new string[userPrompts.Count];
        Parallel.For(0, userPrompts.Count, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, concurrency) }, i =>
        {
            // A failed call leaves the output empty: the Empty guard counts it, and the other records go on.
            try { texts[i] = client.AskAsync(userPrompts[i], options: options).GetAwaiter().GetResult() ?? ""; }
            catch (Exception e) when (e is not OperationCanceledException) { texts[i] = ""; }
            lock (texts) advance(1, 0);
        });
        return texts;
    }
}
