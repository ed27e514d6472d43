using System.CommandLine;
using Engine.Cli.Infrastructure;
using Engine.Methods.Core.Inference;

namespace Engine.Cli.Commands;

/// <summary>`engine generate`: completions for prompt records, n samples each, as a shardable, resumable record job.</summary>
public static class GenerateCommand
{
    public static Command Create()
    {
        var model = CliOptions.Model();
        var adapter = CliOptions.Adapter();
        var device = CliOptions.Device();
        var dtype = CliOptions.DType();
        var job = new RecordJobCliOptions(
            "Prompt records: \"prompt\" or \"text\" (a string, encoded as it is with BOS), \"input_ids\", or chat \"messages\"/\"conversations\", "
            + "Alpaca \"instruction\"/\"input\", or a message-list \"prompt\" (rendered with the model's chat template; a conversation ending with an "
            + "assistant turn is prompted with the turns before it).",
            "JSONL output: one line per sample, in input order (a record's samples together, by sample_index): the input record plus \"sample_index\" "
            + "(only with --num-samples > 1), \"completion\", \"finish_reason\" (eos, stop or length), \"completion_tokens\" and \"logprob_sum\".");
        var batch = new Option<int>("--batch-size") { Description = "Sequences decoded together. Batches always have this many rows and a length bucket, so a sample never depends on its neighbours (shards and resumed runs match a whole run byte for byte).", DefaultValueFactory = _ => 8 };
        var samples = new Option<int>("--num-samples") { Description = "Completions per prompt (like n in OpenAI's API / num_return_sequences). Sample s of the record with index i draws from Philox stream i·n+s of --seed, so it is the same in any shard or resumed run.", DefaultValueFactory = _ => 1 };
        var sampling = new SamplingCliOptions();
        var cmd = new Command("generate", "Generate completions for prompt records with batched prefill and KV-cache decoding.") { model, adapter, device, dtype, batch, samples };
        foreach (var o in job.All) cmd.Options.Add(o);
        foreach (var o in sampling.All) cmd.Options.Add(o);
        cmd.SetAction(r =>
        {
            if (r.GetValue(samples) < 1) throw new ArgumentException("--num-samples must be ≥ 1.");
            var m = RecordJobCliOptions.LoadModel(r.GetValue(model), r.GetValue(device)!, r.GetValue(dtype)!, r.GetValue(adapter));
            var genJob = new GenerateJob(m, sampling.Apply(r, m.Bundle.DefaultSampling), r.GetValue(samples), r.GetValue(batch));
            return RecordJobCliOptions.Run(genJob, job.JobOptions(r, defaultChunkSize: Math.Max(1, 64 * r.GetValue(batch) / r.GetValue(samples)), m.Sources()));
        });
        return cmd;
    }
}
