using System.Runtime.InteropServices;
using System.Text.Json.Nodes;
using Engine.Methods.Core.Data;
using Engine.Methods.Core.Jobs;
using Engine.Models;
using Engine.Models.Embeddings;
using Engine.Models.Scoring;
using Engine.Runtime;

namespace Engine.Methods.Synthesis.APT;

/// <summary>
/// Question embeddings, as a record job: the mean-pooled hidden states (<see cref="MeanPooledEmbedder.MeanPool"/>) of
/// the record's prompt text alone (APT embeds the question only), cut to <see cref="AptOptions.EmbedMaxTokens"/>.
/// Batches have fixed shapes (<see cref="StableBatches"/>), so a record's vector is the same in any chunk or resumed
/// run. Output per record: <c>index</c>, <c>id</c> and <c>embedding</c>, the f32 vector as base64 of its little-endian
/// bytes (exact and a third of the size of decimal text).
/// </summary>
public sealed class AptEmbedJob(string modelDir, AptOptions options) : IRecordJob<int[]>
{
    private ModelBundle? _bundle;

    public string Name => "apt-embed";
    public int OutputsPerRecord => 1;

    private ModelBundle Bundle => _bundle ??= ModelBundle.Load(modelDir, options.Device);

    public void Describe(JobFingerprint f)
    {
        f.Add("model", ContentDigest.OfModel(modelDir));
        f.Add("device", options.Device.IsCpu ? "cpu" : "cuda");
        f.Add("layer", options.EmbedLayer?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "final");
        f.Add("max_tokens", options.EmbedMaxTokens);
        f.Add("batch_size", options.EmbedBatchSize);
    }

    /// <summary>The question: the text of the prompt turns (system turns left out), one per line.</summary>
    public static string Question(DataRecord record)
    {
        if (record.Text is { } text) return text;
        var turns = record.Prompt.Where(m => m.Role != "system").Select(m => m.Content).ToArray();
        if (turns.Length == 0) throw record.Error("the record has no prompt to embed");
        return string.Join("\n", turns);
    }

    public int[] Prepare(DataRecord record)
    {
        var ids = Bundle.Tokenizer.Encode(Question(record), addSpecialTokens: true);
        if (ids.Length == 0) throw record.Error("the question encodes to no tokens");
        int max = Math.Min(options.EmbedMaxTokens, Bundle.Model.Config.MaxPositionEmbeddings);
        return ids.Length > max ? ids[..max] : ids;
    }

    public JobChunkResult Process(IReadOnlyList<JobItem<int[]>> chunk, JobProgress progress)
    {
        var model = Bundle.Model;
        int layer = options.EmbedLayer ?? model.Config.NumLayers;
        int h = model.Config.HiddenSize;
        var vectors = new float[chunk.Count][];
        using (Autograd.NoGrad())
            foreach (var batch in StableBatches.Plan(chunk.Select(c => c.Item.Length).ToArray(), options.EmbedBatchSize, model.Config.MaxPositionEmbeddings))
            {
                var seqs = batch.Items.Select(i => chunk[i].Item).ToArray();
                var (ids, mask, _) = Batching.RightPad(seqs, model.Device, minLength: batch.Length);
                var pooled = MeanPooledEmbedder.MeanPool(model.HiddenStates(ids, mask, layer), seqs.Select(s => s.Length).ToArray()).ToFloatArray();
                for (int j = 0; j < batch.Real; j++) vectors[batch.Items[j]] = pooled.AsSpan(j * h, h).ToArray();
                progress.Advance(batch.Real, seqs.Take(batch.Real).Sum(s => (long)s.Length));
            }
        var lines = new JsonObject[chunk.Count];
        for (int i = 0; i < chunk.Count; i++)
            lines[i] = new JsonObject { ["index"] = chunk[i].Index, ["id"] = chunk[i].Record.Id, ["embedding"] = Encode(vectors[i]) };
        return new JobChunkResult(lines);
    }

    public static string Encode(float[] v) => Convert.ToBase64String(MemoryMarshal.AsBytes(v.AsSpan()));

    public static float[] Decode(string base64)
    {
        var bytes = Convert.FromBase64String(base64);
        if (bytes.Length % 4 != 0) throw new InvalidDataException($"an embedding of {bytes.Length} bytes is not f32.");
        return MemoryMarshal.Cast<byte, float>(bytes).ToArray();
    }
}
