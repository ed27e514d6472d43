using System.CommandLine;
using Engine.Methods.Core.Inference;
using Engine.Methods.Core.Jobs;

namespace Engine.Cli.Infrastructure;

/// <summary>The options every record-job verb (score, generate) shares — input, output, shard, resume/overwrite, bad records — and running the job with progress.</summary>
public sealed class RecordJobCliOptions(string inputDescription, string outputDescription)
{
    public Option<string> Input { get; } = new("--input") { Description = inputDescription + " JSONL, a JSON array (.json) or Parquet, or a folder of them.", Required = true };
    public Option<string> Output { get; } = new("--output") { Description = outputDescription, Required = true };
    public Option<string?> Shard { get; } = CliOptions.Shard();
    public Option<bool> Resume { get; } = CliOptions.Resume();
    public Option<bool> Overwrite { get; } = CliOptions.Overwrite();
    public Option<bool> SkipBadRecords { get; } = CliOptions.SkipBadRecords();
    public Option<int?> ChunkSize { get; } = new("--chunk-size")
    {
        Description = "Records read, batched and written together (default: 2048 for score, 64 × batch size samples for generate). Larger chunks waste "
            + "less compute on filler rows (every batch has --batch-size rows, so each length bucket's last batch in a chunk is filled up); "
            + "smaller ones lose less work to a crash and write sooner. It never changes the output.",
    };

    public IEnumerable<Option> All => [Input, Output, Shard, Resume, Overwrite, SkipBadRecords, ChunkSize];

    public JobOptions JobOptions(ParseResult r, int defaultChunkSize, IReadOnlyDictionary<string, string>? sources = null)
    {
        int chunkSize = r.GetValue(ChunkSize) ?? defaultChunkSize;
        if (chunkSize < 1) throw new ArgumentException("--chunk-size must be ≥ 1.");
        if (r.GetValue(Resume) && r.GetValue(Overwrite)) throw new ArgumentException("--resume and --overwrite exclude each other: continue the output, or start it again.");
        return new JobOptions
        {
            Input = r.GetValue(Input)!, Output = r.GetValue(Output)!, Shard = ShardOrLauncher(r.GetValue(Shard)),
            ChunkSize = chunkSize, Resume = r.GetValue(Resume), Overwrite = r.GetValue(Overwrite), SkipBadRecords = r.GetValue(SkipBadRecords),
            Sources = sources,
        };
    }

    /// <summary>
    /// --shard i/n when given; else, under a launcher (mpirun -np N, srun), this process's rank and the world size, so
    /// every rank runs its shard and rank 0 merges them (<see cref="Run"/>).
    /// </summary>
    public static Shard ShardOrLauncher(string? option)
    {
        if (!string.IsNullOrWhiteSpace(option)) return Methods.Core.Jobs.Shard.Parse(option);
        var world = Runtime.Distributed.WorldInfo.Detect();
        return world.IsDistributed ? new Shard(world.Rank, world.Size) : Methods.Core.Jobs.Shard.Whole;
    }

    /// <summary>True when <paramref name="shard"/> is this process's rank of the launcher's world: rank 0 then merges after all ranks finish.</summary>
    public static bool IsLauncherShard(Shard shard)
    {
        var world = Runtime.Distributed.WorldInfo.Detect();
        return world.IsDistributed && shard == new Shard(world.Rank, world.Size);
    }

    /// <summary>Under a launcher: wait for every rank's shard, then true on rank 0 (which merges), false on the others.</summary>
    public static bool WaitForShards()
    {
        var comm = DistributedCli.Join(Runtime.Device.Cpu);
        comm.Barrier();
        return comm.Rank == 0;
    }

    /// <summary>Run a job with progress on stderr and say where its output went (and how to merge a shard).</summary>
    public static int Run<T>(IRecordJob<T> job, JobOptions o)
    {
        JobSummary s;
        bool launched = IsLauncherShard(o.Shard);
        if (launched) DistributedCli.Join(Runtime.Device.Cpu); // join before the work, so a missing MPI fails fast
        using (var progress = new ProgressReporter())
            s = RecordJobRunner.Run(job, o, progress.Meter);
        if (launched)
        {
            if (!WaitForShards()) return 0;
            var m = JobMerge.Merge(o.Output, o.Shard.Count);
            Console.Error.WriteLine($"{job.Name}: {m.Shards} shards from {m.Shards} processes merged, {m.Records} records -> {m.Output}");
            return 0;
        }
        var note = o.Shard.IsWhole ? "" : $"; when every shard is done: engine merge --output {o.Output}";
        Console.Error.WriteLine($"{job.Name}: {s.Records} record{(s.Records == 1 ? "" : "s")}{(s.Resumed > 0 ? $" ({s.Resumed} from the earlier run)" : "")}" +
            $"{(s.Skipped > 0 ? $", {s.Skipped} bad skipped" : "")} -> {s.Output}{note}");
        return 0;
    }

    /// <summary>Load --model (or the default model) with --dtype on --device, and --adapter when given.</summary>
    public static InferenceModel LoadModel(string? model, string device, string dtype, string? adapter)
    {
        var dev = DistributedCli.PerProcessDevice(device, CliOptions.ParseDevice(device));
        return InferenceModel.Load(ModelResolver.Resolve(model), dev, CliOptions.ParseDType(dtype, dev), adapter);
    }
}
