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

    private static string Read(string resource)
    {
        using var s = typeof(KernelSources).Assembly.GetManifestResourceStream(resource) ?? throw new FileNotFoundException($"Embedded kernel source '{resource}' not found.");
        using var r = new StreamReader(s);
        return r.ReadToEnd();
    }
}
