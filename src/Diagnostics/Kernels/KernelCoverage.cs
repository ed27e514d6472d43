using Engine.Runtime.Cuda;

namespace Engine.Diagnostics.Kernels;

/// <summary>Which kernels of kernels/*.cu a device has launched: the op table must run every one.</summary>
public static class KernelCoverage
{
    /// <summary>Every kernel of the kernels/*.cu sources this engine carries (embedded in Engine.Runtime).</summary>
    public static IReadOnlyList<KernelSignature> EmbeddedKernels()
    {
        var headers = KernelSources.HeaderFiles().Select(KernelSources.Source).ToArray();
        return KernelSources.KernelFiles().SelectMany(f => KernelSourceParser.Parse(f, KernelSources.Source(f), headers)).ToArray();
    }

    /// <summary>"file:kernel" of every kernel <paramref name="device"/> has not launched since it was opened.</summary>
    public static IReadOnlyList<string> NotLaunched(CudaDevice device)
    {
        var counts = device.LaunchCounts;
        return EmbeddedKernels().Where(k => !counts.TryGetValue(k.Name, out var n) || n == 0).Select(k => $"{k.File}:{k.Name}").ToArray();
    }
}
