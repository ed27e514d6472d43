using System.Text.Json.Nodes;
using Engine.Methods.Core.Data;
using Engine.Methods.Core.Jobs;
using Engine.Models.Scoring;

namespace Engine.Methods.Core.Inference;

/// <summary>
/// Per-token log-probabilities of records under a model: <c>text</c> (encoded, BOS per <see cref="AddSpecialTokens"/>)
/// or <c>input_ids</c>. Each output line is the input record plus <c>token_logprobs</c> (log p of token i+1 given
/// tokens 0..i, rounded to 6 decimals) and <c>logprob_sum</c> (their unrounded sum).
/// </summary>
public sealed class ScoreJob(InferenceModel model, int batchSize = 8, bool addSpecialTokens = true) : IRecordJob<int[]>
{
    private readonly Scorer _scorer = new(model.Bundle.Model, batchSize);

    public string Name => "score";
    public int OutputsPerRecord => 1;
    public bool AddSpecialTokens => addSpecialTokens;

    public void Describe(JobFingerprint f)
    {
        model.Describe(f);
        f.Add("add_special_tokens", addSpecialTokens);
        // The batch shape decides which kernels run, and so the last bits of every number.
        f.Add("batch_size", _scorer.BatchSize);
    }

    public int[] Prepare(DataRecord record)
    {
        int[] ids;
        string field;
        if (record.InputIds is { } given) { ids = [.. given]; field = "input_ids"; }
        else if (record.Text is { } text) { ids = model.Bundle.Tokenizer.Encode(text, addSpecialTokens); field = "text"; }
        else throw record.Error($"score needs \"text\" (a string) or \"input_ids\" (a list of token ids); this is a {record.Format} record");
        int vocab = model.Bundle.Model.Config.VocabSize;
        if (ids.FirstOrDefault(t => t >= vocab, -1) is var bad and >= 0) throw record.Error($"token id {bad} is outside the model's vocabulary of {vocab}", field);
        if (ids.Length > model.Context) throw record.Error($"{ids.Length} tokens, more than the model's context of {model.Context}", field);
        if (ids.Length == 0) throw record.Error("encodes to no tokens", field);
        return ids;
    }

    public JobChunkResult Process(IReadOnlyList<JobItem<int[]>> chunk, JobProgress progress)
    {
        var scored = new ScoredSequence[chunk.Count];
        foreach (var batch in StableBatches.Plan(chunk.Select(c => c.Item.Length).ToArray(), _scorer.BatchSize, model.Context))
        {
            var results = _scorer.Score(batch.Items.Select(i => chunk[i].Item).ToArray(), padTo: batch.Length);
            for (int j = 0; j < batch.Real; j++) scored[batch.Items[j]] = results[j];
            progress.Advance(batch.Real, batch.Items.Take(batch.Real).Sum(i => (long)chunk[i].Item.Length));
        }
        var lines = new JsonObject[chunk.Count];
        for (int i = 0; i < chunk.Count; i++)
        {
            var o = (JsonObject)chunk[i].Record.Value.DeepClone();
            o["token_logprobs"] = new JsonArray(scored[i].TokenLogProbs.Select(v => (JsonNode)Math.Round(v, 6)).ToArray());
            o["logprob_sum"] = scored[i].LogProbSum;
            lines[i] = o;
        }
        return new JobChunkResult(lines);
    }
}
