using Engine.Runtime.Cuda.Native;

namespace Engine.Runtime.Cuda;

/// <summary>
/// Token ids on the device (cross-entropy targets, embedding ids): I32 ids are widened to the I64 the kernels read, and
/// the kernels check every id themselves. An out-of-range id is never dereferenced; the kernel records the lowest bad
/// row in a probe word, and the host turns it into the same error the CPU raises.
/// </summary>
public sealed unsafe partial class CudaBackend
{
    /// <summary><paramref name="ids"/> as a contiguous I64 tensor of <paramref name="count"/> elements on this device.</summary>
    private Tensor Ids64(string op, Tensor ids, long count, string what)
    {
        if (ids.DType is not (DType.I64 or DType.I32)) throw new ArgumentException($"{op}: {what} must be I64 or I32, got {ids.DType}.");
        if (ids.NumElements != count) throw new ArgumentException($"{op}: {what} {ids.ShapeString} must have {count} elements.");
        var c = ids.Contiguous();
        return c.DType == DType.I64 ? c : Cast(c, DType.I64);
    }

    /// <summary>The id at flat position <paramref name="i"/> of a device I64 tensor (one element copied back).</summary>
    private static long IdAt(Tensor ids64, long i)
    {
        using var _ = Autograd.NoGrad();
        return ids64.Reshape([checked((int)ids64.NumElements)]).Narrow(0, checked((int)i), 1).To(Runtime.Device.Cpu).ToArray<long>()[0];
    }

    /// <summary>
    /// One u64 on the device set to all ones, queued before the checking kernel, which lowers it to the first bad row.
    /// </summary>
    private Tensor BadIdWord()
    {
        var word = New([1], DType.I64);
        CudaDriver.Check(CudaDriver.cuMemsetD8Async(Addr(word), 0xFF, 8, S.Handle), "cuMemsetD8Async");
        return word;
    }

    /// <summary>
    /// The first bad row a checking kernel recorded in <paramref name="word"/>, or null. Reading it synchronizes the stream
    /// (one 8-byte copy); under graph capture the check is skipped (the kernel still reads nothing out of bounds and writes
    /// NaN for a bad row).
    /// </summary>
    private long? FirstBadRow(Tensor word)
    {
        if (S.IsCapturing) return null;
        long row = word.To(Runtime.Device.Cpu).ToArray<long>()[0];
        return row == -1 ? null : row;
    }
}
