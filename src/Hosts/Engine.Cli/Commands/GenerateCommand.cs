using System.CommandLine;
using System.Text.Json.Nodes;
using Engine.Cli.Infrastructure;
using Engine.Methods.Core.Data;
using Engine.Models;
using Engine.Models.Chat;
using Engine.Models.Generation;

namespace Engine.Cli.Commands;

/// <summary>`engine generate`: completions for JSONL prompts (plain "prompt" or chat "messages").</summary>
public static class GenerateCommand
{
    public static Command Create()
    {
        var model = CliOptions.Model();
        var device = CliOptions.Device();
        var dtype = CliOptions.DType();
        var input = new Option<string>("--input") { Description = "JSONL records with \"prompt\" (string) or \"messages\" ([{role, content}], rendered with the model's chat template).", Required = true };
        var output = new Option<string>("--output") { Description = "JSONL output: each input record plus \"completion\", \"finish_reason\", \"completion_tokens\" and \"logprob_sum\".", Required = true };
        var batch = new Option<int>("--batch-size") { Description = "Prompts decoded together.", DefaultValueFactory = _ => 8 };
        var resume = new Option<bool>("--resume") { Description = "Keep the complete records already in --output and continue after them." };
        var skipBad = new Option<bool>("--skip-bad-records") { Description = "Report malformed input lines and continue instead of stopping." };
        var sampling = new SamplingCliOptions();
        var cmd = new Command("generate", "Generate completions for JSONL prompts with batched prefill and KV-cache decoding.") { model, device, dtype, input, output, batch, resume, skipBad };
        foreach (var o in sampling.All) cmd.Options.Add(o);
        cmd.SetAction(r =>
        {
            var bundle = ModelResolver.Load(r.GetValue(model), r.GetValue(device)!, r.GetValue(dtype)!);
            var opts = sampling.Apply(r, bundle.DefaultSampling);
            var gen = new TextGenerator(bundle.Model, bundle.Tokenizer);
            var file = r.GetValue(input)!;
            using var writer = new ResumableJsonlWriter(r.GetValue(output)!, r.GetValue(resume));
            var records = JsonlReader.Read(file, r.GetValue(skipBad), e => Console.Error.WriteLine($"skipped: {e.Message}")).Skip((int)writer.ExistingRecords);
            using var progress = new ProgressReporter("generate", null, writer.ExistingRecords);
            ulong row = (ulong)writer.ExistingRecords;
            foreach (var chunk in records.Chunk(r.GetValue(batch)))
            {
                var prompts = chunk.Select(rec => PromptIds(rec, bundle, file)).ToArray();
                var results = gen.Generate(prompts, opts, firstRow: row);
                row += (ulong)chunk.Length;
                for (int i = 0; i < chunk.Length; i++)
                {
                    var o = (JsonObject)chunk[i].Value.DeepClone();
                    o["completion"] = results[i].Text;
                    o["finish_reason"] = results[i].FinishReason;
                    o["completion_tokens"] = results[i].TokenIds.Length;
                    o["logprob_sum"] = Math.Round(results[i].LogProbs.Sum(), 6);
                    writer.Write(o);
                }
                progress.Add(chunk.Length, results.Sum(x => (long)x.TokenIds.Length));
            }
            return 0;
        });
        return cmd;
    }

    /// <summary>Token ids of a record's prompt: "messages" through the chat template, else "prompt".</summary>
    public static int[] PromptIds(JsonlRecord rec, ModelBundle bundle, string file)
    {
        if (rec.Value["messages"] is JsonArray msgs)
        {
            var list = new List<ChatMessage>();
            foreach (var m in msgs)
            {
                if (m is not JsonObject mo || mo["role"]?.GetValue<string>() is not { } role || mo["content"]?.GetValue<string>() is not { } content)
                    throw new RecordFormatException(file, rec.Line, "each message needs string \"role\" and \"content\"");
                list.Add(new ChatMessage(role, content));
            }
            return ChatPrompt.Encode(bundle, list);
        }
        if (rec.Value["prompt"] is JsonValue p && p.TryGetValue<string>(out var text)) return bundle.Tokenizer.Encode(text, addSpecialTokens: true);
        throw new RecordFormatException(file, rec.Line, "record has neither \"prompt\" nor \"messages\"");
    }
}
