using Engine.Runtime;

namespace Engine.Diagnostics.OpCases;

/// <summary>Moving case tensors between devices and reading them as f64 for the metrics.</summary>
public static class CaseData
{
    /// <summary>Every value of <paramref name="t"/> as f64 (exact for every float dtype and for ids below 2^53).</summary>
    public static double[] Values(Tensor t)
    {
        var h = t.Device.IsCpu ? t.Contiguous() : t.Detach().To(Device.Cpu);
        return h.DType switch
        {
            DType.I64 => h.ToArray<long>().Select(v => (double)v).ToArray(),
            DType.I32 => h.ToArray<int>().Select(v => (double)v).ToArray(),
            DType.U8 => h.ToArray<byte>().Select(v => (double)v).ToArray(),
            _ => h.ToDoubleArray(),
        };
    }

    /// <summary>The inputs on <paramref name="device"/> (contiguous copies; the case makes its own views).</summary>
    public static Tensor[] On(Tensor[] inputs, Device device) => inputs.Select(t => t.Detach().To(device)).ToArray();

    /// <summary>BF16/F16 inputs widened to F32 (exact), the rest unchanged: the CPU's side of a 16-bit case it has no kernel for.</summary>
    public static Tensor[] Widened(Tensor[] inputs) => inputs.Select(t => t.DType is DType.BF16 or DType.F16 ? t.To(DType.F32) : t).ToArray();

    /// <summary>A seed per case from the table's seed: stable across runs and independent of the case's position in the table.</summary>
    public static ulong SeedFor(OpCase c, ulong seed)
    {
        ulong h = 14695981039346656037UL; // FNV-1a of family and key
        foreach (var ch in c.Family + "\0" + c.Key) { h ^= ch; h *= 1099511628211UL; }
        return seed ^ h;
    }
}
