using System.Text.Json.Nodes;
using Engine.Methods.Core.Data;
using Engine.Methods.Core.Inference;
using Engine.Methods.Core.Jobs;
using Engine.Models;
using Engine.Models.Generation;

namespace Engine.Methods.Synthesis.APT;

/// <summary>
/// Mining, as a record job: the model's own answer to every evaluation prompt, decoded greedily (the prompt rendered
/// as <see cref="PromptEncoder.Of"/> does: chat records through the model's chat template, plain strings as they are).
/// Output per record: the input record plus <c>model_response</c>, <c>finish_reason</c> and <c>response_tokens</c>
/// (the record's own fields, its gold response included, stay untouched). The model loads on the first chunk, so a
/// finished stage never loads it.
/// </summary>
public sealed class AptMineJob(string modelDir, AptOptions options) : IRecordJob<int[]>
{
    public const string ResponseField = "model_response";

    private ModelBundle? _bundle;
    private TextGenerator? _generator;

    public string Name => "apt-mine";
    public int OutputsPerRecord => 1;

    public void Describe(JobFingerprint f)
    {
        f.Add("model", ContentDigest.OfModel(modelDir));
        f.Add("device", options.Device.IsCpu ? "cpu" : "cuda");
        f.Add("max_new_tokens", options.MaxNewTokens);
        f.Add("stop", options.StopStrings);
        f.Add("batch_size", options.GenerationBatchSize);   // the batch shape decides the last bits, so the greedy choice on near-ties
    }

    private ModelBundle Bundle => _bundle ??= ModelBundle.Load(modelDir, options.Device);

    public int[] Prepare(DataRecord record)
    {
        var ids = PromptEncoder.Of(record, Bundle);
        if (ids.Length == 0) throw record.Error("the prompt encodes to no tokens");
        int context = Bundle.Model.Config.MaxPositionEmbeddings;
        if (ids.Length + options.MaxNewTokens > context)
            throw record.Error($"the prompt is {ids.Length} tokens; with {options.MaxNewTokens} new tokens that exceeds the model's context of {context}");
        return ids;
    }

    public JobChunkResult Process(IReadOnlyList<JobItem<int[]>> chunk, JobProgress progress)
    {
        _generator ??= new TextGenerator(Bundle.Model, Bundle.Tokenizer);
        var sampling = new SamplingOptions
        {
            MaxNewTokens = options.MaxNewTokens, Temperature = 0, StopStrings = options.StopStrings, EosTokenIds = Bundle.EosTokenIds,
        };
        var results = new GenerationResult[chunk.Count];
        int cap = Bundle.Model.Config.MaxPositionEmbeddings - options.MaxNewTokens;
        foreach (var batch in StableBatches.Plan(chunk.Select(c => c.Item.Length).ToArray(), options.GenerationBatchSize, cap))
        {
            var got = _generator.Generate(batch.Items.Select(i => chunk[i].Item).ToArray(), sampling,
                batch.Items.Select(i => (ulong)chunk[i].Index).ToArray(), batch.Length);
            for (int j = 0; j < batch.Real; j++) results[batch.Items[j]] = got[j];
            progress.Advance(batch.Real, got.Take(batch.Real).Sum(r => (long)r.TokenIds.Length));
        }
        var lines = new JsonObject[chunk.Count];
        for (int i = 0; i < chunk.Count; i++)
        {
            var o = (JsonObject)chunk[i].Record.Value.DeepClone();
            o[ResponseField] = results[i].Text;
            o["finish_reason"] = results[i].FinishReason;
            o["response_tokens"] = results[i].TokenIds.Length;
            lines[i] = o;
        }
        return new JobChunkResult(lines);
    }
}
