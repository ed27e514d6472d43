using Engine.Runtime;
using Engine.Runtime.Distributed;

namespace Engine.Cli.Infrastructure;

/// <summary>How a verb joins the world its launcher (mpirun, Slurm, torchrun) started it in.</summary>
public static class DistributedCli
{
    /// <summary>
    /// The communicator for this process on <paramref name="device"/> (a world of one without a launcher), also set as
    /// <see cref="Communicators.Current"/> so trainers inside methods join it.
    /// </summary>
    public static ICommunicator Join(Device device)
    {
        if (Communicators.Current is { } c) return c;
        var world = WorldInfo.Detect();
        c = Communicators.Create(world, device);
        Communicators.Current = c;
        // One line per rank: which process is which (to find or stop one rank of a job).
        if (world.IsDistributed || c.RunsCollectives()) Console.Error.WriteLine($"distributed: rank {world.Rank} of {world.Size} pid {Environment.ProcessId} ({world.Launcher}, {c.Backend})");
        return c;
    }

    /// <summary>
    /// The experiments compare arms on the testbed in one process; under a launcher every rank would repeat the whole
    /// experiment and write the same results, so they stop with an error instead.
    /// </summary>
    public static void RefuseUnderLauncher(System.CommandLine.Command command)
    {
        if (command.Name != "experiment") return;
        var world = WorldInfo.Detect();
        if (world.IsDistributed)
            throw new InvalidOperationException($"`{command.Parents.OfType<System.CommandLine.Command>().FirstOrDefault()?.Name} experiment` runs as one process, not under a launcher ({world}): start it without mpirun/srun/torchrun. The training verbs (sft, dpo, kto, ccl, prune, apt run, lsm train, ...) train data parallel.");
    }

    /// <summary>The device a training verb's --device option names for this process, after joining the launcher's world on it.</summary>
    public static Device JoinForTraining(string option)
    {
        var device = PerProcessDevice(option, CliOptions.ParseDevice(option));
        Join(device);
        return device;
    }

    /// <summary>"cuda" under a launcher means the GPU of this process's local rank (one process per GPU); anything else is kept.</summary>
    public static Device PerProcessDevice(string option, Device parsed)
    {
        var world = WorldInfo.Detect();
        return !parsed.IsCpu && world.IsDistributed && !option.Contains(':') ? Device.Cuda(world.LocalRank) : parsed;
    }
}
