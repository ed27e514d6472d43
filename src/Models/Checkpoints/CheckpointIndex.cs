using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Engine.Models.Checkpoints;

/// <summary>
/// model.safetensors.index.json: {"metadata": {"total_size": N}, "weight_map": {tensor: shard file}}.
/// Reading validates the structure and that shard names are plain file names (no paths that escape
/// the folder); writing produces what transformers writes (json.dumps(indent=2, sort_keys=True) + "\n").
/// </summary>
internal static class CheckpointIndex
{
    private const long MaxIndexBytes = 100_000_000;

    public static List<KeyValuePair<string, string>> ReadWeightMap(string indexPath)
    {
        var info = new FileInfo(indexPath);
        if (info.Length > MaxIndexBytes) throw Fail(indexPath, null, $"index is {info.Length} bytes, above the {MaxIndexBytes}-byte limit");
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(File.ReadAllBytes(indexPath), new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Disallow, MaxDepth = 64 });
        }
        catch (JsonException e) { throw Fail(indexPath, null, $"index is not valid JSON: {e.Message}", e); }
        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object) throw Fail(indexPath, null, $"index must be a JSON object, found {root.ValueKind}");
            JsonElement? weightMap = null;
            foreach (var p in root.EnumerateObject())
                if (p.Name == "weight_map")
                {
                    if (weightMap is not null) throw Fail(indexPath, null, "duplicate key 'weight_map'");
                    weightMap = p.Value;
                }
            if (weightMap is not { } map) throw Fail(indexPath, null, "missing 'weight_map'");
            if (map.ValueKind != JsonValueKind.Object) throw Fail(indexPath, null, $"'weight_map' must be an object of tensor name to shard file, found {map.ValueKind}");
            var seen = new HashSet<string>(StringComparer.Ordinal);
            var result = new List<KeyValuePair<string, string>>();
            foreach (var p in map.EnumerateObject())
            {
                if (!seen.Add(p.Name)) throw Fail(indexPath, p.Name, "listed twice in 'weight_map'");
                if (p.Value.ValueKind != JsonValueKind.String) throw Fail(indexPath, p.Name, $"'weight_map' value must be a shard file name, found {p.Value.ValueKind}");
                var file = p.Value.GetString()!;
                if (!IsPlainFileName(file)) throw Fail(indexPath, p.Name, $"shard '{file}' is not a plain file name in the checkpoint folder");
                result.Add(new(p.Name, file));
            }
            return result;
        }
    }

    private static bool IsPlainFileName(string f) =>
        f.Length > 0 && f != "." && f != ".." && f.IndexOfAny(['/', '\\']) < 0
        && f.IndexOfAny(Path.GetInvalidFileNameChars()) < 0 && Path.GetFileName(f) == f && !Path.IsPathRooted(f);

    public static void Write(string indexPath, long totalSize, IEnumerable<KeyValuePair<string, string>> weightMap)
    {
        var sb = new StringBuilder();
        sb.Append("{\n  \"metadata\": {\n    \"total_size\": ").Append(totalSize.ToString(CultureInfo.InvariantCulture)).Append("\n  },\n  \"weight_map\": {");
        bool first = true;
        foreach (var (name, file) in weightMap.OrderBy(kv => kv.Key, CodePointOrder.Instance))
        {
            sb.Append(first ? "\n" : ",\n");
            first = false;
            sb.Append("    ");
            PythonString(sb, name);
            sb.Append(": ");
            PythonString(sb, file);
        }
        sb.Append(first ? "}\n}\n" : "\n  }\n}\n");
        var bytes = Encoding.ASCII.GetBytes(sb.ToString()); // ASCII by construction (ensure_ascii)
        AtomicFile.Write(indexPath, fs => fs.Write(bytes));
    }

    /// <summary>Python json.dumps with ensure_ascii: everything outside ' '..'~' becomes \uXXXX.</summary>
    private static void PythonString(StringBuilder sb, string s) => PythonJson.WriteString(sb, s, ensureAscii: true);

    private static SafeTensorsFormatException Fail(string file, string? tensor, string rule, Exception? inner = null) => new(file, tensor, rule, inner);
}

/// <summary>Order by Unicode code point (Python's str order), not UTF-16 units.</summary>
internal sealed class CodePointOrder : IComparer<string>
{
    public static readonly CodePointOrder Instance = new();

    public int Compare(string? x, string? y)
    {
        var a = (x ?? "").EnumerateRunes();
        var b = (y ?? "").EnumerateRunes();
        while (true)
        {
            bool ha = a.MoveNext(), hb = b.MoveNext();
            if (!ha || !hb) return ha.CompareTo(hb);
            int c = a.Current.Value.CompareTo(b.Current.Value);
            if (c != 0) return c;
        }
    }
}
