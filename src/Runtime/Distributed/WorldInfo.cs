using System.Collections;
using System.Globalization;

namespace Engine.Runtime.Distributed;

/// <summary>
/// Which process of a multi-process job this is, as the launcher that started it says: mpirun (<c>OMPI_COMM_WORLD_*</c>),
/// MPICH/Hydra (<c>PMI_RANK</c>/<c>PMI_SIZE</c>), torchrun (<c>RANK</c>, <c>WORLD_SIZE</c>, <c>LOCAL_RANK</c>,
/// <c>MASTER_ADDR</c>, <c>MASTER_PORT</c>) or Slurm (<c>SLURM_PROCID</c>/<c>SLURM_NTASKS</c>/<c>SLURM_LOCALID</c>).
/// With none of them this is the one process of a world of one.
/// </summary>
public sealed record WorldInfo(int Rank, int Size, int LocalRank, int LocalSize, string Launcher, string? MasterAddr = null, int? MasterPort = null)
{
    public static readonly WorldInfo Single = new(0, 1, 0, 1, "none");

    public bool IsDistributed => Size > 1;
    public bool IsRoot => Rank == 0;
    /// <summary>True when the launcher is an MPI runtime, so <c>MPI_Init</c> finds its peers.</summary>
    public bool IsMpiLaunch => Launcher is "mpirun" or "pmi";

    /// <summary>The world of this process, from its environment.</summary>
    public static WorldInfo Detect() => Detect(Environment.GetEnvironmentVariables());

    /// <summary>The world an environment describes (the first launcher whose variables are set wins, in the order above).</summary>
    public static WorldInfo Detect(IDictionary env)
    {
        string? Get(string k) => env[k] as string is { Length: > 0 } v ? v : null;
        int? Int(string k)
        {
            if (Get(k) is not { } v) return null;
            if (!int.TryParse(v, NumberStyles.None, CultureInfo.InvariantCulture, out var i))
                throw new ArgumentException($"Launcher environment: {k}='{v}' is not a non-negative integer.");
            return i;
        }
        string? addr = Get("MASTER_ADDR");
        int? port = Int("MASTER_PORT");
        WorldInfo? w = null;
        if (Int("OMPI_COMM_WORLD_RANK") is { } or && Int("OMPI_COMM_WORLD_SIZE") is { } os)
            w = new(or, os, Int("OMPI_COMM_WORLD_LOCAL_RANK") ?? 0, Int("OMPI_COMM_WORLD_LOCAL_SIZE") ?? 1, "mpirun", addr, port);
        else if (Int("PMI_RANK") is { } pr && Int("PMI_SIZE") is { } ps)
            w = new(pr, ps, Int("MPI_LOCALRANKID") ?? 0, Int("MPI_LOCALNRANKS") ?? 1, "pmi", addr, port);
        else if (Int("RANK") is { } tr && Int("WORLD_SIZE") is { } ts)
            w = new(tr, ts, Int("LOCAL_RANK") ?? 0, Int("LOCAL_WORLD_SIZE") ?? 1, "torchrun", addr, port);
        else if (Int("SLURM_PROCID") is { } sr && Int("SLURM_NTASKS") is { } sn)
            w = new(sr, sn, Int("SLURM_LOCALID") ?? 0, Int("SLURM_NTASKS_PER_NODE") ?? 1, "slurm", addr ?? FirstSlurmNode(Get("SLURM_JOB_NODELIST")), port);
        if (w is null) return Single;
        if (w.Size < 1 || w.Rank >= w.Size)
            throw new ArgumentException($"Launcher environment ({w.Launcher}): rank {w.Rank} is not in a world of {w.Size}.");
        return w;
    }

    /// <summary>The first host of a simple Slurm node list ("node[01-04],gpu7" → "node01"); null when it cannot tell.</summary>
    internal static string? FirstSlurmNode(string? list)
    {
        if (string.IsNullOrEmpty(list)) return null;
        int bracket = list.IndexOf('['), comma = list.IndexOf(',');
        if (bracket < 0 || (comma >= 0 && comma < bracket)) return comma < 0 ? list : list[..comma];
        var prefix = list[..bracket];
        var first = list[(bracket + 1)..].Split([',', '-', ']'])[0];
        return prefix + first;
    }

    public override string ToString() => $"rank {Rank}/{Size} (local {LocalRank}/{LocalSize}, {Launcher})";
}
