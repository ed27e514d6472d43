using Engine.Methods.Core.Inference;
using Engine.Methods.Core.Jobs;
using Engine.Models.Generation;

namespace Engine.Methods.Synthesis.AQuilt;

/// <summary>
/// A local model (with its adapter, if any) continuing raw prompts: the prompt is encoded as it is (the tokenizer's
/// own BOS, if it adds one; no chat template), batched in fixed shapes (<see cref="StableBatches"/>) and sampled with
/// one Philox stream per request row, so a request's completion is the same in any batch, chunk, shard or resumed run.
/// </summary>
public sealed class LocalCompleter(InferenceModel model, int batchSize = 8) : ICompleter
{
    private readonly TextGenerator _generator = new(model.Bundle.Model, model.Bundle.Tokenizer);

    public InferenceModel Model => model;
    public int? Context => model.Context;

    public void Describe(JobFingerprint f)
    {
        model.Describe(f);
        // The batch shape decides which kernels run, and so the last bits of every number.
        f.Add("batch_size", batchSize);
    }

    public int CountTokens(string prompt) => Encode(prompt).Length;

    private int[] Encode(string prompt) => model.Bundle.Tokenizer.Encode(prompt, addSpecialTokens: true);

    public IReadOnlyList<string> Complete(IReadOnlyList<CompletionRequest> requests, CompletionSettings s, Action<int, long>? done = null)
    {
        var prompts = requests.Select(r => Encode(r.Prompt)).ToArray();
        var sampling = new SamplingOptions
        {
            MaxNewTokens = s.MaxNewTokens, Temperature = s.Temperature, TopP = s.TopP, TopK = s.TopK, Seed = s.Seed,
            EosTokenIds = model.Bundle.EosTokenIds,
        };
        int cap = model.Context - s.MaxNewTokens;
        foreach (var p in prompts)
            if (p.Length > cap) throw new InvalidOperationException($"AQuilt: a prompt of {p.Length} tokens leaves no room for {s.MaxNewTokens} new tokens in the model's context of {model.Context}.");
        var texts = new string[prompts.Length];
        foreach (var batch in StableBatches.Plan(prompts.Select(p => p.Length).ToArray(), batchSize, cap))
        {
            var got = _generator.Generate(batch.Items.Select(u => prompts[u]).ToArray(), sampling, batch.Items.Select(u => requests[u].Row).ToArray(), batch.Length);
            for (int j = 0; j < batch.Real; j++) texts[batch.Items[j]] = got[j].Text;
            done?.Invoke(batch.Real, got.Take(batch.Real).Sum(r => (long)r.TokenIds.Length));
        }
        return texts;
    }
}
