using System.Runtime.Intrinsics.X86;
using System.Text;

namespace Engine.Runtime.Cpu;

/// <summary>
/// What the GEMM tuning table looks at: CPUID vendor, family and model, the vector extensions, and the per-core L1d and
/// L2 sizes (Linux sysfs; typical values when unreadable). Read once per process, so a run never changes its choice.
/// </summary>
internal readonly record struct GemmCpu(string Vendor, int Family, int Model, bool Avx512, bool Avx2Fma, int L1dBytes, int L2Bytes)
{
    public static GemmCpu Current { get; } = Detect();

    public bool IsAmd => Vendor == "AuthenticAMD";
    public bool IsIntel => Vendor == "GenuineIntel";

    public override string ToString() => $"{Vendor} family {Family} model {Model}, L1d {L1dBytes / 1024} KiB, L2 {L2Bytes / 1024} KiB, " +
        (Avx512 ? "AVX-512" : Avx2Fma ? "AVX2+FMA" : "no AVX2");

    private static GemmCpu Detect()
    {
        string vendor = "unknown";
        int family = 0, model = 0;
        if (X86Base.IsSupported)
        {
            var (_, ebx, ecx, edx) = X86Base.CpuId(0, 0);
            Span<byte> v = stackalloc byte[12];
            BitConverter.TryWriteBytes(v, ebx); BitConverter.TryWriteBytes(v[4..], edx); BitConverter.TryWriteBytes(v[8..], ecx);
            vendor = Encoding.ASCII.GetString(v);
            int eax = X86Base.CpuId(1, 0).Eax;
            (family, model) = FamilyModel(eax);
        }
        int l1 = CacheBytes(1, "Data") ?? 32 * 1024, l2 = CacheBytes(2, "Unified") ?? 1024 * 1024;
        return new GemmCpu(vendor, family, model, GemmKernelAvx512<float>.IsSupported, GemmKernelAvx2<float>.IsSupported, l1, l2);
    }

    /// <summary>Display family and model from CPUID leaf 1 EAX (extended fields added as the SDM and APM specify).</summary>
    public static (int Family, int Model) FamilyModel(int eax)
    {
        int baseFamily = (eax >> 8) & 0xF, baseModel = (eax >> 4) & 0xF;
        int family = baseFamily == 0xF ? baseFamily + ((eax >> 20) & 0xFF) : baseFamily;
        int model = baseFamily is 0xF or 0x6 ? (((eax >> 16) & 0xF) << 4) | baseModel : baseModel;
        return (family, model);
    }

    private static int? CacheBytes(int level, string type)
    {
        try
        {
            foreach (var dir in Directory.EnumerateDirectories("/sys/devices/system/cpu/cpu0/cache", "index*"))
            {
                if (File.ReadAllText(Path.Combine(dir, "level")).Trim() != level.ToString()) continue;
                if (File.ReadAllText(Path.Combine(dir, "type")).Trim() != type) continue;
                return ParseSize(File.ReadAllText(Path.Combine(dir, "size")));
            }
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
        return null;
    }

    /// <summary>A sysfs cache size ("48K", "1024K", "32M"), in bytes; null if malformed.</summary>
    public static int? ParseSize(string text)
    {
        var s = text.Trim();
        if (s.Length == 0) return null;
        int mul = char.ToUpperInvariant(s[^1]) switch { 'K' => 1024, 'M' => 1024 * 1024, _ => 1 };
        if (mul != 1) s = s[..^1];
        return int.TryParse(s, out int v) && v > 0 ? v * mul : null;
    }
}
