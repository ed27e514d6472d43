using System.CommandLine;
using System.Text.Json.Nodes;
using Engine.Cli.Infrastructure;
using Engine.Methods.Core.Data;
using Engine.Models.Scoring;

namespace Engine.Cli.Commands;

/// <summary>`engine score`: per-token log-probabilities of JSONL records under a model.</summary>
public static class ScoreCommand
{
    public static Command Create()
    {
        var model = CliOptions.Model();
        var device = CliOptions.Device();
        var dtype = CliOptions.DType();
        var input = new Option<string>("--input") { Description = "JSONL records with \"text\" (string) or \"input_ids\" (array of ints).", Required = true };
        var output = new Option<string>("--output") { Description = "JSONL output: each input record plus \"token_logprobs\" and \"logprob_sum\".", Required = true };
        var batch = new Option<int>("--batch-size") { Description = "Sequences per forward pass.", DefaultValueFactory = _ => 8 };
        var bos = new Option<bool>("--add-special-tokens") { Description = "Add the tokenizer's BOS etc. when encoding \"text\".", DefaultValueFactory = _ => true };
        var resume = new Option<bool>("--resume") { Description = "Keep the complete records already in --output and continue after them." };
        var skipBad = new Option<bool>("--skip-bad-records") { Description = "Report malformed input lines and continue instead of stopping." };
        var cmd = new Command("score", "Score JSONL records: log p of each token given its prefix, and their sum.") { model, device, dtype, input, output, batch, bos, resume, skipBad };
        cmd.SetAction(r =>
        {
            var bundle = ModelResolver.Load(r.GetValue(model), r.GetValue(device)!, r.GetValue(dtype)!);
            var scorer = new Scorer(bundle.Model, r.GetValue(batch));
            using var writer = new ResumableJsonlWriter(r.GetValue(output)!, r.GetValue(resume));
            var records = JsonlReader.Read(r.GetValue(input)!, r.GetValue(skipBad), e => Console.Error.WriteLine($"skipped: {e.Message}"))
                .Skip((int)writer.ExistingRecords);
            using var progress = new ProgressReporter("score", null, writer.ExistingRecords);
            foreach (var chunk in records.Chunk(r.GetValue(batch) * 4))
            {
                var seqs = chunk.Select(rec => Encode(rec, bundle, r.GetValue(bos), r.GetValue(input)!)).ToArray();
                var scored = scorer.Score(seqs);
                for (int i = 0; i < chunk.Length; i++)
                {
                    var o = (JsonObject)chunk[i].Value.DeepClone();
                    o["token_logprobs"] = new JsonArray(scored[i].TokenLogProbs.Select(v => (JsonNode)Math.Round(v, 6)).ToArray());
                    o["logprob_sum"] = scored[i].LogProbSum;
                    writer.Write(o);
                }
                progress.Add(chunk.Length, seqs.Sum(s => (long)s.Length));
            }
            return 0;
        });
        return cmd;
    }

    private static int[] Encode(JsonlRecord rec, Models.ModelBundle bundle, bool addSpecial, string file)
    {
        if (rec.Value["input_ids"] is JsonArray ids)
        {
            try { return ids.Select(n => n!.GetValue<int>()).ToArray(); }
            catch (Exception e) { throw new RecordFormatException(file, rec.Line, "\"input_ids\" must be an array of integers", e); }
        }
        if (rec.Value["text"] is JsonValue t && t.TryGetValue<string>(out var text)) return bundle.Tokenizer.Encode(text, addSpecial);
        throw new RecordFormatException(file, rec.Line, "record has neither \"text\" nor \"input_ids\"");
    }
}
