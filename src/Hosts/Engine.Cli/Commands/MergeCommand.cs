using System.CommandLine;
using Engine.Methods.Core.Jobs;

namespace Engine.Cli.Commands;

/// <summary>`engine merge`: the shard outputs of a record job (score, generate, ...) → the output one whole run writes.</summary>
public static class MergeCommand
{
    public static Command Create()
    {
        var output = new Option<string>("--output") { Description = "The --output the shards were run with; the shards are <stem>.shard-i-of-n<ext> beside it, the merged output is written here (with its .job.json).", Required = true };
        var shards = new Option<int?>("--num-shards") { Description = "The shard count n, when shard outputs for several counts are there (default: the one count found)." };
        var cmd = new Command("merge", "Merge the shard outputs of score/generate (run with --shard i/n) into one output in input order, byte for byte what one whole run writes. "
            + "Checks first that every shard 0..n-1 is there and finished, all made with the same options, model and input, each with the lines its records need; "
            + "otherwise it writes nothing and lists what is missing or different.") { output, shards };
        cmd.SetAction(r =>
        {
            var s = JobMerge.Merge(r.GetValue(output)!, r.GetValue(shards));
            Console.Error.WriteLine($"merge: {s.Shards} shards, {s.Records} records, {s.Lines} lines -> {s.Output}");
            return 0;
        });
        return cmd;
    }
}
