using System.Text;

namespace Engine.Runtime.Distributed;

/// <summary>Argument checks every backend shares, and small helpers built on the interface.</summary>
public static class Collectives
{
    internal static void CheckRoot(int root, int size)
    {
        if ((uint)root >= (uint)size) throw new ArgumentOutOfRangeException(nameof(root), $"Broadcast root {root} is not a rank of a world of {size}.");
    }

    internal static void CheckTensor(Tensor t, Device device, string op, bool reduce)
    {
        if (!t.IsContiguous) throw new ArgumentException($"{op}: the tensor must be contiguous ({t}).");
        if (t.Device != device) throw new ArgumentException($"{op}: the tensor is on {t.Device}; this communicator works on {device}.");
        if (reduce && t.DType is not (DType.F32 or DType.F64)) throw new ArgumentException($"{op}: sums are over f32 or f64 tensors, not {t.DType}.");
    }

    /// <summary>Checks that <paramref name="whole"/> has exactly <paramref name="size"/> × the elements of <paramref name="block"/> and returns <paramref name="whole"/>.</summary>
    internal static Tensor CheckBlocks(Tensor whole, Tensor block, int size, string op)
    {
        if (whole.DType != block.DType) throw new ArgumentException($"{op}: dtypes differ ({whole.DType}, {block.DType}).");
        if (whole.NumElements != block.NumElements * size)
            throw new ArgumentException($"{op}: {whole.NumElements} elements are not {size} blocks of {block.NumElements}.");
        return whole;
    }

    /// <summary>
    /// True when <paramref name="comm"/> runs the collectives (MPI, NCCL), also in a world of one (see
    /// <see cref="Communicators.BackendVariable"/>); false for the local communicator, whose collectives are no-ops.
    /// </summary>
    public static bool RunsCollectives(this ICommunicator comm) => comm is not LocalCommunicator;

    /// <summary>Root's string on every rank.</summary>
    public static string BroadcastString(this ICommunicator comm, string? value, int root = 0)
    {
        if (comm.Size == 1) return value ?? "";
        var bytes = comm.Rank == root ? Encoding.UTF8.GetBytes(value ?? "") : [];
        Span<double> len = [comm.Rank == root ? bytes.Length : 0];
        comm.AllReduceSum(len);
        if (comm.Rank != root) bytes = new byte[(int)len[0]];
        if (bytes.Length > 0) comm.Broadcast(bytes, root);
        return Encoding.UTF8.GetString(bytes);
    }

    /// <summary>
    /// Every rank's flag, in rank order (each rank contributes its own). Used to fail every rank with the same message
    /// when some ranks found a problem, instead of leaving the others waiting in the next collective.
    /// </summary>
    public static bool[] GatherFlags(this ICommunicator comm, bool mine)
    {
        var v = new double[comm.Size];
        v[comm.Rank] = mine ? 1 : 0;
        comm.AllReduceSum(v);
        return v.Select(x => x != 0).ToArray();
    }
}
