using System.Text.Json.Nodes;
using Engine.Methods.Core.Data;
using Engine.Methods.Core.Jobs;
using Engine.Models.Generation;

namespace Engine.Methods.Core.Inference;

/// <summary>
/// Completions for prompt records (<see cref="PromptEncoder.Of"/>), <see cref="NumSamples"/> per record. Output: one
/// line per sample, in record order then sample order — the input record plus <c>sample_index</c> (only when
/// NumSamples &gt; 1), <c>completion</c>, <c>finish_reason</c>, <c>completion_tokens</c>, <c>logprob_sum</c>. Sample s
/// of the record with index i draws from Philox row i·NumSamples + s of the seed, so it is the same in any shard, chunk
/// or resumed run (and with one sample, row i as before).
/// </summary>
public sealed class GenerateJob(InferenceModel model, SamplingOptions sampling, int numSamples = 1, int batchSize = 8) : IRecordJob<int[]>
{
    private readonly TextGenerator _generator = new(model.Bundle.Model, model.Bundle.Tokenizer);

    public string Name => "generate";
    public int OutputsPerRecord => numSamples > 0 ? numSamples : throw new ArgumentOutOfRangeException(nameof(numSamples), "--num-samples must be ≥ 1");
    public int NumSamples => OutputsPerRecord;

    public void Describe(JobFingerprint f)
    {
        model.Describe(f);
        f.Add("max_new_tokens", sampling.MaxNewTokens);
        f.Add("temperature", sampling.Temperature);
        f.Add("top_k", sampling.TopK);
        f.Add("top_p", sampling.TopP);
        f.Add("min_p", sampling.MinP);
        f.Add("repetition_penalty", sampling.RepetitionPenalty);
        f.Add("seed", (long)sampling.Seed);
        f.Add("stop", sampling.StopStrings);
        // The batch shape decides which kernels run, and so the last bits of every number.
        f.Add("batch_size", batchSize);
        f.Add("eos_token_ids", (sampling.EosTokenIds ?? model.Bundle.Model.Config.EosTokenIds).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)));
    }

    public int[] Prepare(DataRecord record)
    {
        var ids = PromptEncoder.Of(record, model.Bundle);
        if (ids.Length == 0) throw record.Error("the prompt encodes to no tokens");
        if (ids.Length + sampling.MaxNewTokens > model.Context)
            throw record.Error($"the prompt is {ids.Length} tokens; with --max-new-tokens {sampling.MaxNewTokens} that exceeds the model's context of {model.Context}");
        return ids;
    }

    public JobChunkResult Process(IReadOnlyList<JobItem<int[]>> chunk, JobProgress progress)
    {
        int n = OutputsPerRecord;
        // Units: (record, sample), each with its own Philox row.
        var prompts = new int[chunk.Count * n][];
        var rows = new ulong[chunk.Count * n];
        for (int i = 0; i < chunk.Count; i++)
            for (int s = 0; s < n; s++) { prompts[i * n + s] = chunk[i].Item; rows[i * n + s] = (ulong)chunk[i].Index * (ulong)n + (ulong)s; }
        var results = new GenerationResult[prompts.Length];
        foreach (var batch in StableBatches.Plan(prompts.Select(p => p.Length).ToArray(), batchSize, model.Context - sampling.MaxNewTokens))
        {
            var got = _generator.Generate(batch.Items.Select(u => prompts[u]).ToArray(), sampling, batch.Items.Select(u => rows[u]).ToArray(), batch.Length);
            for (int j = 0; j < batch.Real; j++) results[batch.Items[j]] = got[j];
            progress.Advance(batch.Real / (double)n, got.Take(batch.Real).Sum(r => (long)r.TokenIds.Length));
        }
        var lines = new JsonObject[prompts.Length];
        for (int u = 0; u < prompts.Length; u++)
        {
            var o = (JsonObject)chunk[u / n].Record.Value.DeepClone();
            if (n > 1) o["sample_index"] = u % n;
            o["completion"] = results[u].Text;
            o["finish_reason"] = results[u].FinishReason;
            o["completion_tokens"] = results[u].TokenIds.Length;
            o["logprob_sum"] = results[u].LogProbs.Sum();
            lines[u] = o;
        }
        return new JobChunkResult(lines);
    }
}
