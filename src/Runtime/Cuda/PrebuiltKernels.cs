using System.Security.Cryptography;

namespace Engine.Runtime.Cuda;

/// <summary>
/// The ahead-of-time path: `cmake --build` (see CMakeLists.txt and native/README.md) compiles every kernels/*.cu
/// with nvcc into <c>NAME.fatbin</c> (SASS for sm_80 and sm_90, plus compute_90 PTX the driver can JIT for newer
/// GPUs) and writes <c>NAME.fatbin.sources</c>: one "sha256  file" line for the .cu file and one for every
/// kernels/*.cuh. A fatbin is used only when those hashes equal the hashes of the sources embedded in this
/// assembly, so a stale build can never run kernels that differ from the code the op table checked; otherwise
/// (or when the driver rejects the image) the kernel is compiled by NVRTC as usual.
/// Looked up in ENGINE_KERNELS_DIR, then next to the executable, then its kernels/ folder.
/// ENGINE_KERNELS_PREBUILT=0 turns the lookup off.
/// </summary>
public static class PrebuiltKernels
{
    public const string ManifestSuffix = ".sources";

    public static IEnumerable<string> SearchDirectories()
    {
        if (Environment.GetEnvironmentVariable("ENGINE_KERNELS_DIR") is { Length: > 0 } d) yield return d;
        yield return AppContext.BaseDirectory;
        yield return Path.Combine(AppContext.BaseDirectory, "kernels");
    }

    public static bool Enabled => Environment.GetEnvironmentVariable("ENGINE_KERNELS_PREBUILT") != "0";

    public static string Sha256(byte[] bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));

    /// <summary>The "file → sha256" set a fatbin of <paramref name="kernelFile"/> must have been built from.</summary>
    public static IReadOnlyDictionary<string, string> ExpectedHashes(string kernelFile)
    {
        var d = new Dictionary<string, string>(StringComparer.Ordinal) { [kernelFile] = Sha256(KernelSources.RawBytes(kernelFile)) };
        foreach (var h in KernelSources.HeaderFiles()) d[h] = Sha256(KernelSources.RawBytes(h));
        return d;
    }

    /// <summary>Parse a manifest ("sha256  file" per line, as sha256sum writes it; blank lines and # comments ignored).</summary>
    public static Dictionary<string, string> ParseManifest(string text)
    {
        var d = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.Trim();
            if (line.Length == 0 || line.StartsWith('#')) continue;
            var parts = line.Split((char[])[' ', '\t'], 2, StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length != 2) throw new FormatException($"Bad kernel manifest line '{line}': expected 'sha256  file'.");
            d[Path.GetFileName(parts[1].Trim().TrimStart('*'))] = parts[0].ToLowerInvariant();
        }
        return d;
    }

    /// <summary>True when the recorded hashes are exactly the expected ones; otherwise <paramref name="reason"/> says which file differs.</summary>
    public static bool Matches(IReadOnlyDictionary<string, string> recorded, IReadOnlyDictionary<string, string> expected, out string reason)
    {
        foreach (var (file, hash) in expected)
        {
            if (!recorded.TryGetValue(file, out var r)) { reason = $"built without {file}"; return false; }
            if (r != hash) { reason = $"built from a different {file} (sha256 {r[..12]}…, embedded {hash[..12]}…)"; return false; }
        }
        foreach (var file in recorded.Keys)
            if (!expected.ContainsKey(file)) { reason = $"built with {file}, which this engine does not embed"; return false; }
        reason = "";
        return true;
    }

    /// <summary>
    /// The first usable prebuilt image of <paramref name="kernelFile"/> in <paramref name="directories"/>, or null;
    /// <paramref name="detail"/> says which file was chosen or why each candidate was skipped.
    /// </summary>
    public static byte[]? Find(string kernelFile, IReadOnlyDictionary<string, string> expected, IEnumerable<string> directories, out string detail)
    {
        var notes = new List<string>();
        var name = Path.GetFileNameWithoutExtension(kernelFile);
        foreach (var dir in directories.Distinct())
        {
            var fatbin = Path.Combine(dir, name + ".fatbin");
            if (!File.Exists(fatbin)) continue;
            var manifest = fatbin + ManifestSuffix;
            if (!File.Exists(manifest)) { notes.Add($"{fatbin}: no {Path.GetFileName(manifest)}"); continue; }
            Dictionary<string, string> recorded;
            try { recorded = ParseManifest(File.ReadAllText(manifest)); }
            catch (FormatException e) { notes.Add($"{manifest}: {e.Message}"); continue; }
            if (!Matches(recorded, expected, out var why)) { notes.Add($"{fatbin}: {why}"); continue; }
            detail = $"prebuilt {fatbin}";
            return File.ReadAllBytes(fatbin);
        }
        detail = notes.Count == 0 ? "no prebuilt fatbin" : "prebuilt skipped: " + string.Join("; ", notes);
        return null;
    }

    /// <summary><see cref="Find(string, IReadOnlyDictionary{string, string}, IEnumerable{string}, out string)"/> with the embedded sources and the default directories.</summary>
    public static byte[]? Find(string kernelFile, out string detail)
    {
        if (!Enabled) { detail = "prebuilt lookup off (ENGINE_KERNELS_PREBUILT=0)"; return null; }
        return Find(kernelFile, ExpectedHashes(kernelFile), SearchDirectories(), out detail);
    }
}
