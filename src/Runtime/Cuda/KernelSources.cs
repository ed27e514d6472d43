namespace Engine.Runtime.Cuda;

/// <summary>The kernels/*.cu and *.cuh sources, embedded in this assembly so a single-file binary carries them.</summary>
public static class KernelSources
{
    private const string Prefix = "kernels/";

    public static IReadOnlyList<string> KernelFiles() =>
        typeof(KernelSources).Assembly.GetManifestResourceNames().Where(n => n.StartsWith(Prefix) && n.EndsWith(".cu")).Select(n => n[Prefix.Length..]).Order(StringComparer.Ordinal).ToArray();

    public static IReadOnlyDictionary<string, string> Headers() =>
        typeof(KernelSources).Assembly.GetManifestResourceNames().Where(n => n.StartsWith(Prefix) && n.EndsWith(".cuh"))
            .ToDictionary(n => n[Prefix.Length..], Read);

    public static string Source(string file) => Read(Prefix + file);

    /// <summary>The embedded bytes exactly as in kernels/ (what the ahead-of-time manifest hashes).</summary>
    public static byte[] RawBytes(string file)
    {
        using var s = typeof(KernelSources).Assembly.GetManifestResourceStream(Prefix + file) ?? throw new FileNotFoundException($"Embedded kernel source '{Prefix + file}' not found.");
        using var m = new MemoryStream();
        s.CopyTo(m);
        return m.ToArray();
    }

    /// <summary>Names of the embedded headers (*.cuh).</summary>
    public static IReadOnlyList<string> HeaderFiles() =>
        typeof(KernelSources).Assembly.GetManifestResourceNames().Where(n => n.StartsWith(Prefix) && n.EndsWith(".cuh")).Select(n => n[Prefix.Length..]).Order(StringComparer.Ordinal).ToArray();

    private static string Read(string resource)
    {
        using var s = typeof(KernelSources).Assembly.GetManifestResourceStream(resource) ?? throw new FileNotFoundException($"Embedded kernel source '{resource}' not found.");
        using var r = new StreamReader(s);
        return r.ReadToEnd();
    }
}
