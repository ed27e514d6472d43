namespace Engine.Runtime;

/// <summary>
/// One implementation of the op surface per device kind. Split across files by op family
/// (partial interface): IBackend.Elementwise.cs, IBackend.Norm.cs, ... Inputs are contiguous
/// unless a method says otherwise; outputs are freshly allocated.
/// </summary>
public partial interface IBackend
{
    string Name { get; }
    Storage Allocate(long bytes, bool zero);
    /// <summary>Copy between same-shape, same-dtype tensors where at least one lives on this backend.</summary>
    void Copy(Tensor src, Tensor dst);
    Tensor Cast(Tensor x, DType dtype);
    /// <summary>What this backend runs: per op, the dtypes of its main input (see <see cref="BackendCapabilities.Supports"/>).</summary>
    IReadOnlyDictionary<BackendOp, IReadOnlyList<DType>> Capabilities { get; }
}

public static class Backend
{
    public static readonly CpuBackend Cpu = new();

    public static IBackend For(Device device)
    {
        if (device.IsCpu) return Cpu;
        if (device.Kind == DeviceKind.Cuda) return Cuda.CudaBackend.Get(device.Index);
        throw new NotSupportedException($"No backend for device {device}.");
    }

    /// <summary>The backend shared by all <paramref name="tensors"/>; errors when they live on different devices.</summary>
    public static IBackend Of(params ReadOnlySpan<Tensor?> tensors)
    {
        Device? dev = null;
        foreach (var t in tensors)
        {
            if (t is null) continue;
            if (dev is null) dev = t.Device;
            else if (dev != t.Device) throw new InvalidOperationException($"Tensors on different devices ({dev} and {t.Device}); move them with .To(device) first.");
        }
        return For(dev ?? Device.Cpu);
    }
}
