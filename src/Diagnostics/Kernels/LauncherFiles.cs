namespace Engine.Diagnostics.Kernels;

/// <summary>The generated launcher files on disk against what <see cref="LauncherWriter"/> makes of the kernel sources.</summary>
public static class LauncherFiles
{
    /// <summary>A launcher file that differs from its kernel file: its new text, or null when it is to be deleted.</summary>
    public sealed record Stale(string Path, string? Text, string Why);

    private const string Suffix = "Kernels.g.cs";

    /// <summary>Every generated file under <paramref name="cudaDir"/> that is missing, different, or left from a deleted kernel file.</summary>
    public static IReadOnlyList<Stale> Compare(string kernelsDir, string cudaDir)
    {
        var kernels = KernelSourceParser.ParseDirectory(kernelsDir);
        var folders = Directory.GetDirectories(cudaDir).Select(Path.GetFileName).OfType<string>().ToArray();
        var wanted = LauncherWriter.Write(kernels, folders).ToDictionary(f => Path.GetFullPath(Path.Combine(cudaDir, f.RelativePath)), f => f.Text);
        var stale = new List<Stale>();
        foreach (var (path, text) in wanted.OrderBy(w => w.Key, StringComparer.Ordinal))
        {
            if (!File.Exists(path)) stale.Add(new Stale(path, text, "missing"));
            else if (File.ReadAllText(path).ReplaceLineEndings("\n") != text) stale.Add(new Stale(path, text, "differs from its kernel file"));
        }
        foreach (var path in Directory.GetFiles(cudaDir, "*" + Suffix, SearchOption.AllDirectories).Select(Path.GetFullPath).Order(StringComparer.Ordinal))
            if (!wanted.ContainsKey(path)) stale.Add(new Stale(path, null, "no kernel file makes it any more"));
        return stale;
    }

    public static void Apply(IEnumerable<Stale> stale)
    {
        foreach (var s in stale)
        {
            if (s.Text is null) File.Delete(s.Path);
            else File.WriteAllText(s.Path, s.Text);
        }
    }
}
