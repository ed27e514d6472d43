using System.Runtime.CompilerServices;

namespace Engine.Runtime;

/// <summary>The managed SIMD CPU backend: the reference every other backend is tested against.
/// Float ops run in the tensor's dtype, F32 or F64 (F64 for gradient checks).</summary>
public sealed partial class CpuBackend : IBackend
{
    public string Name => "cpu";

    public Storage Allocate(long bytes, bool zero) => Storage.AllocateCpu(bytes, zero);

    public void Copy(Tensor src, Tensor dst) => src.CopyTo(dst);

    public Tensor Cast(Tensor x, DType dtype) => x.To(dtype);

    /// <summary>
    /// Keeps <paramref name="tensors"/> reachable until this call. The kernels work through raw pointers, and a tensor's
    /// storage is freed by its finalizer once nothing references it: without this, a caller's temporary (an argument
    /// whose last use was the call) could be collected, and its memory freed, while a kernel still reads or writes it.
    /// Call it after the last raw access of every public op.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    internal static void Alive(params ReadOnlySpan<Tensor?> tensors) { }

    internal static void RequireFloat(Tensor t, string op)
    {
        if (t.DType is not (DType.F32 or DType.F64))
            throw new NotSupportedException($"{op} on cpu needs F32 or F64 tensors, got {t.DType}. Convert with .To(DType.F32).");
    }

    internal static void RequireSameDType(string op, params ReadOnlySpan<Tensor?> ts)
    {
        DType? d = null;
        foreach (var t in ts)
        {
            if (t is null) continue;
            RequireFloat(t, op);
            if (d is null) d = t.DType;
            else if (d != t.DType) throw new NotSupportedException($"{op}: mixed dtypes {d} and {t.DType}.");
        }
    }
}
