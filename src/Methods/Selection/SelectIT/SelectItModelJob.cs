using System.Text.Json.Nodes;
using Engine.Methods.Core.Data;
using Engine.Methods.Core.Jobs;
using Engine.Models;
using Engine.Models.Scoring;

namespace Engine.Methods.Selection.SelectIT;

/// <summary>
/// SelectIT's scoring phase for one model, as a record job: for every record × rating prompt the rating-token
/// probabilities, and the token-level scores. Output line per record: <c>index</c>, <c>parameters</c> (θ),
/// <c>rating_probs</c> [prompt][k], <c>s_base</c> and <c>s_token</c> per prompt, and <c>truncated</c> when a rating
/// input had to be cut (<see cref="RatingInput"/>). Sentence and model levels are left to the merge, so α and the
/// model weights can change without rescoring. The model is loaded on the first chunk, so a finished job never loads it.
/// </summary>
public sealed class SelectItModelJob(SelectItOptions options, string modelDir) : IRecordJob<InstructionPair>
{
    private ModelBundle? _bundle;
    private Scorer? _scorer;
    private int[] _ratingIds = [];

    public string Name => "selectit";
    public int OutputsPerRecord => 1;
    private IReadOnlyList<string> Prompts => options.Prompts.Take(options.NumPrompts).ToArray();

    public void Describe(JobFingerprint f)
    {
        f.Add("model", ContentDigest.OfModel(modelDir));
        f.Add("device", options.Device.IsCpu ? "cpu" : "cuda");
        f.Add("scale", options.ScaleMax);
        f.Add("rating_prompts", ContentDigest.OfText(string.Join("\n", Prompts)));
        f.Add("normalization", options.Normalization.ToString());
        f.Add("batch_size", options.BatchSize);   // the batch shape decides the last bits of every probability
        f.Add("max_tokens", options.MaxTokens?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "model context");
    }

    public InstructionPair Prepare(DataRecord record) => InstructionPair.From(record);

    public JobChunkResult Process(IReadOnlyList<JobItem<InstructionPair>> chunk, JobProgress progress)
    {
        if (_bundle is null)
        {
            _bundle = ModelBundle.Load(modelDir, options.Device);
            _ratingIds = RatingTokens.Resolve(_bundle.Tokenizer, options.ScaleMax);
            _scorer = new Scorer(_bundle.Model, options.BatchSize);
        }
        var prompts = Prompts;
        int context = _bundle.Model.Config.MaxPositionEmbeddings;
        int maxTokens = Math.Min(options.MaxTokens ?? context, context);
        // One rating input per (record, prompt).
        var inputs = new int[chunk.Count * prompts.Count][];
        var truncated = new bool[chunk.Count];
        for (int r = 0; r < chunk.Count; r++)
            for (int p = 0; p < prompts.Count; p++)
            {
                var (ids, cut) = RatingInput.Encode(_bundle.Tokenizer, prompts[p], chunk[r].Item, maxTokens);
                inputs[r * prompts.Count + p] = ids;
                truncated[r] |= cut;
            }
        var probs = new double[inputs.Length][];
        foreach (var batch in StableBatches.Plan(inputs.Select(i => i.Length).ToArray(), _scorer!.BatchSize, context))
        {
            var got = _scorer.CandidateProbabilities(batch.Items.Select(i => inputs[i]).ToArray(), _ratingIds, batch.Length);
            for (int j = 0; j < batch.Real; j++) probs[batch.Items[j]] = got[j];
            progress.Advance(batch.Real / (double)prompts.Count, batch.Items.Take(batch.Real).Sum(i => (long)inputs[i].Length));
        }
        var lines = new JsonObject[chunk.Count];
        for (int r = 0; r < chunk.Count; r++)
        {
            var perPrompt = probs.Skip(r * prompts.Count).Take(prompts.Count).ToArray();
            var tokenScores = perPrompt.Select(p => SelectItScores.Token(p, options.Normalization)).ToArray();
            var line = new JsonObject
            {
                ["index"] = chunk[r].Index,
                ["parameters"] = _bundle.Model.ParameterCount,
                ["rating_probs"] = new JsonArray(perPrompt.Select(p => (JsonNode)new JsonArray(p.Select(v => (JsonNode)v).ToArray())).ToArray()),
                ["s_base"] = new JsonArray(tokenScores.Select(t => (JsonNode)t.sBase).ToArray()),
                ["s_token"] = new JsonArray(tokenScores.Select(t => (JsonNode)t.sToken).ToArray()),
            };
            if (truncated[r]) line["truncated"] = true;
            lines[r] = line;
        }
        return new JobChunkResult(lines);
    }
}
