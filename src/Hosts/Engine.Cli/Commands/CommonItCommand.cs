using System.CommandLine;
using Engine.Cli.Infrastructure;
using Engine.Methods.Curriculum.CommonIT;

namespace Engine.Cli.Commands;

/// <summary>`engine commonit`: CommonIT (Rao et al., EMNLP 2024) — group instruction data so that every training batch comes from one group.</summary>
public static class CommonItCommand
{
    public static Command Create()
    {
        var cmd = new Command("commonit", "CommonIT: partition instruction data into groups (task, response length, or nearest reference embedding) and train "
            + "with every batch drawn from one group. `commonit group` writes the groups into the records; `engine sft --sampler group` trains on them.");
        cmd.Subcommands.Add(Group());
        cmd.Subcommands.Add(CommonItExperimentCommand.Create());
        return cmd;
    }

    private static Command Group()
    {
        var input = new Option<string>("--input") { Description = "Records to group: JSONL/JSON/Parquet file or folder, any SFT format (Alpaca, chat \"messages\", prompt/completion, text).", Required = true };
        var output = new Option<string>("--output") { Description = "The same records in the same order, each with its group name in --group-field (JSONL, written atomically).", Required = true };
        var by = new Option<string>("--by") { Description = "Grouping metric: task (a record field, --field), length (response tokens of --model's tokenizer and chat template, cut into --groups bins) or embedding (the --reference label whose prompts' mean-pooled hidden states of --model are nearest).", DefaultValueFactory = _ => "task" };
        var field = new Option<string>("--field") { Description = "With --by task: the record field that names the group (a record without it is an error naming its line).", DefaultValueFactory = _ => "task" };
        var groups = new Option<int>("--groups") { Description = "With --by length: number of length bins before merging.", DefaultValueFactory = _ => 8 };
        var bins = new Option<string>("--bins") { Description = "With --by length: quantile (equal-frequency bins; equal lengths share a bin) or equal-width (the length range cut into equal intervals).", DefaultValueFactory = _ => "quantile" };
        var minSize = new Option<int>("--min-group-size") { Description = "Groups with fewer records are merged into their nearest group (adjacent length bin, most similar reference centroid, or for tasks the smallest other group) and the merge is logged. Set it to the training step batch (batch size × grad accum).", DefaultValueFactory = _ => 8 };
        var model = CliOptions.Model("With --by length: the model to be trained (its tokenizer and chat template count response tokens). With --by embedding: the encoder. Default: the embedded default model.");
        var reference = new Option<string?>("--reference") { Description = "With --by embedding: labelled reference records (any SFT format with a --reference-field); each label's prompts anchor one group (e.g. a few dev questions per task, as the paper uses MMLU's dev set per subject)." };
        var referenceField = new Option<string>("--reference-field") { Description = "With --by embedding: the label field of the reference records.", DefaultValueFactory = _ => "task" };
        var assign = new Option<string>("--assign") { Description = "With --by embedding: centroid (nearest mean of each label's normalised embeddings) or item (label of the single nearest reference record, the paper's 1-NN).", DefaultValueFactory = _ => "centroid" };
        var layer = new Option<int?>("--layer") { Description = "With --by embedding: the hidden_states index to mean-pool (0 = token embeddings; default: the final normed hidden states)." };
        var maxTokens = new Option<int>("--max-tokens") { Description = "With --by embedding: prompts are cut to this many tokens.", DefaultValueFactory = _ => 512 };
        var batch = new Option<int>("--batch-size") { Description = "With --by embedding: prompts per encoder forward.", DefaultValueFactory = _ => 32 };
        var groupField = new Option<string>("--group-field") { Description = "Output field for the group name (engine sft --sampler group reads \"group\").", DefaultValueFactory = _ => "group" };
        var device = CliOptions.Device();
        var cmd = new Command("group", "Assign every record to a CommonIT group and write the records with their group; groups below --min-group-size are merged into their nearest neighbour.")
        { input, output, by, field, groups, bins, minSize, model, reference, referenceField, assign, layer, maxTokens, batch, groupField, device };
        cmd.SetAction(r =>
        {
            var metric = r.GetValue(by) switch
            {
                "task" => GroupingMetric.Task, "length" => GroupingMetric.Length, "embedding" => GroupingMetric.Embedding,
                var x => throw new ArgumentException($"--by must be task, length or embedding, not '{x}'."),
            };
            var o = new CommonItOptions
            {
                By = metric, Field = r.GetValue(field)!, Groups = r.GetValue(groups), MinGroupSize = r.GetValue(minSize),
                Binning = r.GetValue(bins) switch
                {
                    "quantile" => LengthBinning.Quantile, "equal-width" => LengthBinning.EqualWidth,
                    var x => throw new ArgumentException($"--bins must be quantile or equal-width, not '{x}'."),
                },
                Model = metric == GroupingMetric.Task ? null : ModelResolver.Resolve(r.GetValue(model)),
                Reference = r.GetValue(reference), ReferenceField = r.GetValue(referenceField)!,
                Assignment = r.GetValue(assign) switch
                {
                    "centroid" => EmbeddingAssignment.Centroid, "item" => EmbeddingAssignment.NearestItem,
                    var x => throw new ArgumentException($"--assign must be centroid or item, not '{x}'."),
                },
                Layer = r.GetValue(layer), MaxTokens = r.GetValue(maxTokens), BatchSize = r.GetValue(batch),
                GroupField = r.GetValue(groupField)!, Device = CliOptions.ParseDevice(r.GetValue(device)!),
            };
            var result = new CommonItGrouper(o, m => Console.Error.WriteLine("commonit: " + m)).Run(r.GetValue(input)!, r.GetValue(output)!);
            Console.WriteLine($"commonit: {result.GroupOfRecord.Count} records in {result.Groups.Count} groups ({result.MergeLog.Count} merges) -> {r.GetValue(output)}");
            return 0;
        });
        return cmd;
    }
}
