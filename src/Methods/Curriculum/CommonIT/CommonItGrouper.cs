using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Engine.Methods.Core.Data;
using Engine.Methods.Training.Data;
using Engine.Models;
using Engine.Models.Embeddings;

namespace Engine.Methods.Curriculum.CommonIT;

/// <summary>The result of grouping: each record's group name (input order), the groups with their sizes, and the merges logged.</summary>
public sealed record GroupAssignment(IReadOnlyList<string> GroupOfRecord, IReadOnlyList<(string Name, int Size)> Groups, IReadOnlyList<string> MergeLog);

/// <summary>
/// Assigns every record of a data set to a CommonIT group — by a task field, by response length in tokens, or by the
/// reference label nearest to its prompt embedding — merges groups below the minimum size into their nearest neighbour
/// (logged), and writes the records unchanged plus the group name in <see cref="CommonItOptions.GroupField"/>, in input
/// order. <c>engine sft --sampler group</c> then trains with one group per batch.
/// </summary>
public sealed class CommonItGrouper(CommonItOptions options, Action<string>? log = null)
{
    private readonly CommonItOptions _o = Validated(options);

    private static CommonItOptions Validated(CommonItOptions o) { o.Validate(); return o; }

    /// <summary>Group the records of <paramref name="input"/> and write them with their group to <paramref name="output"/> (atomically).</summary>
    public GroupAssignment Run(string input, string output)
    {
        var rows = ReadRows(input);
        var result = Assign(rows);
        WriteAtomically(output, rows.Select((r, i) =>
        {
            var o = (JsonObject)r.Value.DeepClone();
            o[_o.GroupField] = result.GroupOfRecord[i];
            return o.ToJsonString();
        }));
        return result;
    }

    /// <summary>Every record of a file or folder, in order (the one place this method reads records).</summary>
    public static List<DataRow> ReadRows(string path) => DatasetFiles.Read(path).ToList();

    public GroupAssignment Assign(IReadOnlyList<DataRow> rows)
    {
        if (rows.Count == 0) throw new InvalidDataException("CommonIT: there are no records to group.");
        var (keys, names, distance) = _o.By switch
        {
            GroupingMetric.Task => ByTask(rows),
            GroupingMetric.Length => ByLength(rows),
            _ => ByEmbedding(rows),
        };
        var sizes = new int[names.Length];
        foreach (var k in keys) sizes[k]++;
        var plan = CommonItGrouping.MergeSmallGroups(sizes, _o.MinGroupSize, distance);
        var finalName = new Dictionary<int, string>();
        var mergeLog = new List<string>();
        foreach (var m in plan.Merges)
            mergeLog.Add($"group '{names[m.From]}' ({m.FromSize} records) is below the minimum of {_o.MinGroupSize}: merged into '{names[m.Into]}' (now {m.IntoSizeAfter})");
        foreach (var s in plan.Survivors)
        {
            var members = Enumerable.Range(0, names.Length).Where(g => plan.Target[g] == s && sizes[g] > 0).ToArray();
            finalName[s] = _o.By == GroupingMetric.Length ? LengthName(members, keys, rows.Count) : string.Join('+', members.Select(g => names[g]));
        }
        var groups = plan.Survivors.Select(s => (finalName[s], Enumerable.Range(0, names.Length).Where(g => plan.Target[g] == s).Sum(g => sizes[g]))).ToList();
        foreach (var (name, size) in groups)
        {
            if (size == 0) throw new InvalidDataException($"CommonIT: group '{name}' is empty after merging.");
            if (size < _o.MinGroupSize)
                throw new InvalidDataException($"CommonIT: after merging, group '{name}' has {size} records, fewer than the minimum group size {_o.MinGroupSize}: " +
                    $"the whole data set ({rows.Count} records) is smaller than one group may be; lower the minimum group size.");
        }
        foreach (var line in mergeLog) log?.Invoke(line);
        log?.Invoke($"{groups.Count} groups: " + string.Join(", ", groups.Select(g => $"{g.Item1} ({g.Item2})")));
        return new GroupAssignment(keys.Select(k => finalName[plan.Target[k]]).ToArray(), groups, mergeLog);
    }

    // ---- the three metrics: a group id per record, the groups' names, and their distances for merging ----

    private (int[] Keys, string[] Names, double[,] Distance) ByTask(IReadOnlyList<DataRow> rows)
    {
        var labels = rows.Select(r => Label(r, _o.Field, "to group by task")).ToArray();
        var (keys, names) = Index(labels);
        // No geometry between tasks: undersized tasks go into the smallest other group, so tiny tasks pool together.
        return (keys, names, new double[names.Length, names.Length]);
    }

    private (int[] Keys, string[] Names, double[,] Distance) ByLength(IReadOnlyList<DataRow> rows)
    {
        var bundle = ModelBundle.Load(_o.Model!, _o.Device);
        var tok = ExampleTokenizer.FromModel(bundle);
        _lengths = rows.Select(r =>
        {
            var ex = tok.ToSft(Parse(r)) ?? throw new RecordFormatException(r.Source, r.Line, "the record has no response token to measure");
            return ex.Labels.Skip(1).Count(l => l != LabelMask.Ignore);
        }).ToArray();
        var bins = _o.Binning == LengthBinning.Quantile ? CommonItGrouping.QuantileBins(_lengths, _o.Groups) : CommonItGrouping.EqualWidthBins(_lengths, _o.Groups);
        int k = bins.Max() + 1;
        var lo = Enumerable.Range(0, k).Select(g => Enumerable.Range(0, rows.Count).Where(i => bins[i] == g).Min(i => _lengths[i])).ToArray();
        var hi = Enumerable.Range(0, k).Select(g => Enumerable.Range(0, rows.Count).Where(i => bins[i] == g).Max(i => _lengths[i])).ToArray();
        var d = new double[k, k];
        for (int a = 0; a < k; a++) for (int b = 0; b < k; b++) d[a, b] = Math.Max(0, Math.Max(lo[b] - hi[a], lo[a] - hi[b]));
        return (bins, Enumerable.Range(0, k).Select(g => $"len{lo[g]}-{hi[g]}").ToArray(), d);
    }

    private int[] _lengths = [];

    private string LengthName(int[] members, int[] keys, int n)
    {
        var set = members.ToHashSet();
        var lengths = Enumerable.Range(0, n).Where(i => set.Contains(keys[i])).Select(i => _lengths[i]).ToArray();
        return string.Create(CultureInfo.InvariantCulture, $"len{lengths.Min()}-{lengths.Max()}");
    }

    private (int[] Keys, string[] Names, double[,] Distance) ByEmbedding(IReadOnlyList<DataRow> rows)
    {
        var reference = ReadRows(_o.Reference!);
        if (reference.Count == 0) throw new InvalidDataException($"CommonIT: the reference file {_o.Reference} has no records.");
        var (refKeys, names) = Index(reference.Select(r => Label(r, _o.ReferenceField, "to label the reference records")).ToArray());
        var bundle = ModelBundle.Load(_o.Model!, _o.Device);
        var embedder = new MeanPooledEmbedder(bundle.Model, _o.BatchSize, _o.Layer);
        var refVectors = embedder.Embed(bundle.Tokenizer, reference.Select(PromptText).ToArray(), maxTokens: _o.MaxTokens);
        var vectors = embedder.Embed(bundle.Tokenizer, rows.Select(PromptText).ToArray(), maxTokens: _o.MaxTokens);
        var centroids = CommonItGrouping.Centroids(refVectors, refKeys, names.Length);
        var keys = vectors.Select(v => _o.Assignment == EmbeddingAssignment.Centroid
            ? CommonItGrouping.Nearest(v, centroids)
            : refKeys[CommonItGrouping.Nearest(v, refVectors)]).ToArray();
        var d = new double[names.Length, names.Length];
        for (int a = 0; a < names.Length; a++)
            for (int b = 0; b < names.Length; b++) d[a, b] = 1 - CommonItGrouping.Cosine(centroids[a], centroids[b]);
        log?.Invoke($"embedding anchors: {names.Length} labels from {reference.Count} reference records ({_o.Reference}), encoder {_o.Model}, " +
                    $"{(_o.Layer is { } l ? $"hidden_states[{l}]" : "final hidden states")}, {_o.Assignment.ToString().ToLowerInvariant()} assignment");
        return (keys, names, d);
    }

    // ---- record access ----

    private static SftRecord Parse(DataRow r) => RecordParser.ParseSft(r);

    /// <summary>The text an embedding describes a record by: its user turns (the instruction and input), or its text.</summary>
    private static string PromptText(DataRow r)
    {
        var rec = Parse(r);
        if (rec.Text is not null) return rec.Text;
        var user = rec.Messages.Where(m => m.Role == RecordParser.User).Select(m => m.Content).ToArray();
        if (user.Length == 0) throw new RecordFormatException(r.Source, r.Line, "the record has no user turn to embed");
        return string.Join("\n", user);
    }

    private static string Label(DataRow r, string field, string why)
    {
        var node = r.Value[field];
        string? value = node is JsonValue v
            ? (v.TryGetValue<string>(out var s) ? s : v.GetValueKind() == System.Text.Json.JsonValueKind.Number ? v.ToJsonString() : null)
            : null;
        if (string.IsNullOrWhiteSpace(value))
            throw new RecordFormatException(r.Source, r.Line, node is null
                ? $"no \"{field}\" field (needed {why})"
                : $"\"{field}\" must be a non-empty string or number (needed {why}), got {node.ToJsonString()}");
        return value;
    }

    private static (int[] Keys, string[] Names) Index(string[] labels)
    {
        var names = labels.Distinct().Order(StringComparer.Ordinal).ToArray();
        var id = names.Select((n, i) => (n, i)).ToDictionary(x => x.n, x => x.i, StringComparer.Ordinal);
        return (labels.Select(l => id[l]).ToArray(), names);
    }

    private static void WriteAtomically(string path, IEnumerable<string> lines)
    {
        var full = Path.GetFullPath(path);
        var dir = Path.GetDirectoryName(full)!;
        Directory.CreateDirectory(dir);
        var tmp = Path.Combine(dir, $".{Path.GetFileName(full)}.{Environment.ProcessId}.tmp");
        using (var w = new StreamWriter(tmp, false, new UTF8Encoding(false)))
            foreach (var line in lines) { w.Write(line); w.Write('\n'); }
        File.Move(tmp, full, overwrite: true);
    }
}
