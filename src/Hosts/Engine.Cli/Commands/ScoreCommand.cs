using System.CommandLine;
using Engine.Cli.Infrastructure;
using Engine.Methods.Core.Inference;

namespace Engine.Cli.Commands;

/// <summary>`engine score`: per-token log-probabilities of records under a model, as a shardable, resumable record job.</summary>
public static class ScoreCommand
{
    public static Command Create()
    {
        var model = CliOptions.Model();
        var adapter = CliOptions.Adapter();
        var device = CliOptions.Device();
        var dtype = CliOptions.DType();
        var job = new RecordJobCliOptions("Records with \"text\" (a string) or \"input_ids\" (a list of token ids).",
            "JSONL output: each input record (all its fields) plus \"token_logprobs\" (log p of each token after the first given the tokens before it, 6 decimals) and \"logprob_sum\"; one line per input record, in input order.");
        var batch = new Option<int>("--batch-size") { Description = "Sequences per forward pass. Batches always have this many rows and a length bucket, so a record's scores never depend on its neighbours (shards and resumed runs match a whole run byte for byte).", DefaultValueFactory = _ => 8 };
        var bos = new Option<bool>("--add-special-tokens") { Description = "Add the tokenizer's BOS etc. when encoding \"text\".", DefaultValueFactory = _ => true };
        var cmd = new Command("score", "Score records: log p of each token given its prefix, and their sum.") { model, adapter, device, dtype, batch, bos };
        foreach (var o in job.All) cmd.Options.Add(o);
        cmd.SetAction(r =>
        {
            var m = RecordJobCliOptions.LoadModel(r.GetValue(model), r.GetValue(device)!, r.GetValue(dtype)!, r.GetValue(adapter));
            var scoreJob = new ScoreJob(m, r.GetValue(batch), r.GetValue(bos));
            return RecordJobCliOptions.Run(scoreJob, job.JobOptions(r, defaultChunkSize: 2048, m.Sources()));
        });
        return cmd;
    }
}
