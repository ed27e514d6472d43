using Engine.Methods.Core.Inference;
using Engine.Methods.Core.Jobs;
using Engine.Models.Chat;
using Engine.Models.Generation;

namespace Engine.Methods.Synthesis.SeaPO;

/// <summary>A local model (normally the policy being trained) as the injector: chat template, greedy, fixed-shape batches.</summary>
public sealed class LocalInjector(InferenceModel model, int maxNewTokens, int batchSize) : IErrorInjector
{
    private readonly TextGenerator _generator = new(model.Bundle.Model, model.Bundle.Tokenizer);

    public int? Context => model.Context;

    public void Describe(JobFingerprint f)
    {
        f.Add("injector", "local");
        model.Describe(f);
        f.Add("max_new_tokens", maxNewTokens);
        // The batch shape decides which kernels run, and so the last bits of every number.
        f.Add("batch_size", batchSize);
    }

    private int[] Encode(string userPrompt) => PromptEncoder.Chat(model.Bundle, [new ChatMessage("user", userPrompt)]);

    public int? PromptTokens(string userPrompt) => Encode(userPrompt).Length;

    public IReadOnlyList<string> Complete(IReadOnlyList<string> userPrompts, Action<int, long> advance)
    {
        var ids = userPrompts.Select(Encode).ToArray();
        var sampling = new SamplingOptions { MaxNewTokens = maxNewTokens, Temperature = 0, EosTokenIds = model.Bundle.EosTokenIds };
        var texts = new string[ids.Length];
        foreach (var batch in StableBatches.Plan(ids.Select(p => p.Length).ToArray(), batchSize, model.Context - maxNewTokens))
        {
            var got = _generator.Generate(batch.Items.Select(u => ids[u]).ToArray(), sampling, batch.Items.Select(u => (ulong)u).ToArray(), batch.Length);
            for (int j = 0; j < batch.Real; j++) texts[batch.Items[j]] = got[j].Text;
            advance(batch.Real, got.Take(batch.Real).Sum(r => (long)r.TokenIds.Length));
        }
        return texts;
    }
}
