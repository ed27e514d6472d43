using Engine.Runtime.Distributed.Mpi;
using Engine.Runtime.Distributed.Nccl;

namespace Engine.Runtime.Distributed;

/// <summary>
/// Creates the communicator a process's launcher implies, and holds the one the host chose for this process
/// (<see cref="Current"/>), so that code far from the command line (a trainer inside a method) joins the same world.
/// </summary>
public static class Communicators
{
    private static ICommunicator? _current;

    /// <summary>The process's communicator, set by the host (the CLI) when it runs under a launcher; null means one process.</summary>
    public static ICommunicator? Current { get => Volatile.Read(ref _current); set => Volatile.Write(ref _current, value); }

    /// <summary><see cref="Current"/>, or a world of one on <paramref name="device"/>.</summary>
    public static ICommunicator CurrentOrLocal(Device device) => Current ?? new LocalCommunicator(device);

    /// <summary>
    /// Environment variable that makes a world of one use the real backend ("nccl" or "mpi") instead of the local
    /// communicator, so a single process runs the whole data-parallel path (bucketed all-reduce, metric reduction):
    /// that is how the path's own cost is measured, and how a one-GPU machine checks that NCCL works at all.
    /// </summary>
    public const string BackendVariable = "ENGINE_COLLECTIVES";

    private static string? ForcedBackend() => Environment.GetEnvironmentVariable(BackendVariable)?.Trim().ToLowerInvariant() switch
    {
        null or "" or "auto" => null,
        "nccl" => "nccl",
        "mpi" => "mpi",
        var v => throw new ArgumentException($"{BackendVariable}='{v}': expected nccl, mpi or auto."),
    };

    /// <summary>
    /// The communicator for <paramref name="world"/> on <paramref name="device"/>: a world of one needs none (local);
    /// CPU tensors use MPI (the launcher must be mpirun, or Slurm's srun with an MPI plugin); CUDA tensors use NCCL, one
    /// process per GPU, its unique id passed through MPI when mpirun started the job, else through a TCP rendezvous on
    /// MASTER_ADDR:MASTER_PORT (torchrun, Slurm).
    /// </summary>
    public static ICommunicator Create(WorldInfo world, Device device)
    {
        var forced = ForcedBackend();
        if (!world.IsDistributed && forced is null) return new LocalCommunicator(device);
        if (forced == "nccl" && device.IsCpu) throw new ArgumentException($"{BackendVariable}=nccl needs a CUDA device; CPU tensors use MPI.");
        if (forced == "mpi" && !device.IsCpu) throw new ArgumentException($"{BackendVariable}=mpi: CUDA tensors use NCCL.");
        if (device.IsCpu)
        {
            if (world.Launcher == "torchrun")
                throw new NotSupportedException("CPU data parallelism runs on MPI: start the job with mpirun (or Slurm's srun with --mpi=pmix), not torchrun, or use CUDA devices (NCCL).");
            var mpi = MpiCommunicator.Initialize();
            if (mpi.Rank != world.Rank || mpi.Size != world.Size)
                throw new InvalidOperationException($"MPI says rank {mpi.Rank} of {mpi.Size}; the launcher's environment says {world}. Was MPI started by another launcher?");
            return mpi;
        }
        return NcclCommunicator.Create(world, device);
    }
}
