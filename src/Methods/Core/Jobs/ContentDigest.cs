using System.Security.Cryptography;
using System.Text;
using Engine.Methods.Core.Data;

namespace Engine.Methods.Core.Jobs;

/// <summary>
/// Content identities for fingerprints: SHA-256 of file contents, never of paths or times, so shards on machines that
/// mount the model or data at different places still agree, and a changed file is always noticed.
/// Hashing reads every byte once (about 1–2 s per GB).
/// </summary>
public static class ContentDigest
{
    /// <summary>The files of a Hugging Face model folder that decide its outputs: config, tokenizer, generation config, weights.</summary>
    private static readonly string[] ModelFiles =
    [
        "config.json", "generation_config.json", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json",
        "added_tokens.json", "vocab.json", "merges.txt", "tokenizer.model", "model.safetensors.index.json",
        "adapter_config.json",
    ];

    /// <summary>The weights' identity of a model (or PEFT adapter) folder: "sha256:…" over the name, size and content of each file that matters.</summary>
    public static string OfModel(string dir)
    {
        if (!Directory.Exists(dir)) throw new DirectoryNotFoundException($"Model folder not found: {dir}");
        var files = Directory.EnumerateFiles(dir)
            .Where(f => ModelFiles.Contains(Path.GetFileName(f)) || f.EndsWith(".safetensors", StringComparison.Ordinal))
            .OrderBy(f => Path.GetFileName(f), StringComparer.Ordinal).ToList();
        if (files.Count == 0) throw new FileNotFoundException($"{dir} holds no model files (config.json, *.safetensors, ...).");
        return Combine(files.Select(f => (Path.GetFileName(f), f)));
    }

    /// <summary>The input's identity: the content of every dataset file a path names (a folder: each file, with its name, in read order).</summary>
    public static string OfInput(string path)
    {
        var files = DatasetFiles.Expand(path);
        return Combine(files.Select(f => (files.Count == 1 ? "" : Path.GetFileName(f), f)));
    }

    /// <summary>"sha256:…" of a string (prompt lists, templates).</summary>
    public static string OfText(string text) => "sha256:" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));

    public static string OfFile(string path)
    {
        using var s = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20);
        return Convert.ToHexStringLower(SHA256.HashData(s));
    }

    private static string Combine(IEnumerable<(string Name, string Path)> files)
    {
        var list = files.ToList();
        // Files hash in parallel (sharded checkpoints); the combination is in name order.
        var digests = new string[list.Count];
        Parallel.For(0, list.Count, i => digests[i] = OfFile(list[i].Path));
        var sb = new StringBuilder();
        for (int i = 0; i < list.Count; i++) sb.Append(list[i].Name).Append('\t').Append(new FileInfo(list[i].Path).Length).Append('\t').Append(digests[i]).Append('\n');
        return OfText(sb.ToString());
    }
}
