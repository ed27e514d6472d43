using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Engine.Methods.Core.Jobs;

namespace Engine.Methods.Selection.CDT;

/// <summary>One label: its name (the tag value), a definition shown in the prompt, and a group (a subdomain's main domain).</summary>
public sealed record CdtLabel(string Name, string? Definition, string? Group);

/// <summary>
/// The labels of one dimension, read from a data file (<c>{"labels": [{"name", "definition"?, "group"?}]}</c>). A bad
/// entry — a duplicate name (compared ignoring case, as answers are), an empty or missing name — is reported in
/// <see cref="Problems"/> and left out; the first spelling of a duplicate is kept. The file is never rejected for them.
/// </summary>
public sealed class CdtLabels
{
    private readonly Dictionary<string, string> _byName;

    public CdtLabels(CdtDimension dimension, IReadOnlyList<CdtLabel> labels, IReadOnlyList<string> problems)
    {
        Dimension = dimension; Labels = labels; Problems = problems;
        _byName = labels.ToDictionary(l => l.Name, l => l.Name, StringComparer.OrdinalIgnoreCase);
        Groups = labels.Where(l => l.Group is not null).Select(l => l.Group!).Distinct(StringComparer.Ordinal).ToArray();
    }

    public CdtDimension Dimension { get; }
    public IReadOnlyList<CdtLabel> Labels { get; }
    public int Count => Labels.Count;
    /// <summary>Group names in file order (domain: the 9 main domains).</summary>
    public IReadOnlyList<string> Groups { get; }
    public IReadOnlyList<string> Problems { get; }
    public IEnumerable<string> Names => Labels.Select(l => l.Name);

    /// <summary>The label spelled like <paramref name="value"/> ignoring case and surrounding space, or null.</summary>
    public string? Canonical(string value) => _byName.TryGetValue(value.Trim(), out var name) ? name : null;

    /// <summary>Parse a label file's text; <paramref name="source"/> names it in messages.</summary>
    public static CdtLabels Parse(CdtDimension dimension, string json, string source)
    {
        JsonNode? root;
        try { root = JsonNode.Parse(json); }
        catch (JsonException e) { throw new InvalidDataException($"{source}: not valid JSON ({e.Message})."); }
        if (root?["labels"] is not JsonArray list)
            throw new InvalidDataException($"{source}: expected {{\"labels\": [{{\"name\": ..., \"definition\": ...}}, ...]}}.");
        var labels = new List<CdtLabel>();
        var problems = new List<string>();
        var seen = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase);
        for (int i = 0; i < list.Count; i++)
        {
            string? Text(string field) => list[i] is JsonObject o && o[field] is JsonValue v && v.TryGetValue<string>(out var s) ? s.Trim() : null;
            var name = Text("name");
            if (string.IsNullOrEmpty(name)) { problems.Add($"{source}: labels[{i}] has no name; left out."); continue; }
            if (seen.TryGetValue(name, out var first))
            {
                problems.Add($"{source}: labels[{i}] \"{name}\" repeats labels[{first}] \"{labels.First(l => l.Name.Equals(name, StringComparison.OrdinalIgnoreCase)).Name}\"; the first is kept.");
                continue;
            }
            seen[name] = i;
            labels.Add(new CdtLabel(name, Text("definition") is { Length: > 0 } d ? d : null, Text("group") is { Length: > 0 } g ? g : null));
        }
        if (labels.Count == 0) throw new InvalidDataException($"{source}: no usable labels.");
        return new CdtLabels(dimension, labels, problems);
    }
}

/// <summary>
/// The three label sets CDT tags with: 18 cognition codes, 33 subdomains in 9 main domains, and the task types (13:
/// the paper counts 16 but published 13). The defaults are embedded data files; <see cref="Load"/> reads a folder
/// holding <c>cognition.json</c>, <c>domain.json</c> and <c>task.json</c> in the same form.
/// </summary>
public sealed class CdtLabelSet(CdtLabels cognition, CdtLabels domain, CdtLabels task)
{
    private static readonly Lazy<CdtLabelSet> Embedded = new(() => new CdtLabelSet(
        CdtLabels.Parse(CdtDimension.Cognition, CdtResources.Read("cognition.json"), "cognition.json (built in)"),
        CdtLabels.Parse(CdtDimension.Domain, CdtResources.Read("domain.json"), "domain.json (built in)"),
        CdtLabels.Parse(CdtDimension.Task, CdtResources.Read("task.json"), "task.json (built in)")));

    public static CdtLabelSet Default => Embedded.Value;

    public CdtLabels Cognition { get; } = cognition;
    public CdtLabels Domain { get; } = domain;
    public CdtLabels Task { get; } = task;

    public CdtLabels this[CdtDimension d] => d switch
    {
        CdtDimension.Cognition => Cognition,
        CdtDimension.Domain => Domain,
        _ => Task,
    };

    /// <summary>Every problem found while reading the three files.</summary>
    public IReadOnlyList<string> Problems => [.. Cognition.Problems, .. Domain.Problems, .. Task.Problems];

    /// <summary>All possible composite capabilities: (C(n_c, 2) + n_c) · n_d · n_t (90,288 for the paper's 18/33/16).</summary>
    public long CoverageDenominator => CdtMetrics.CoverageDenominator(Cognition.Count, Domain.Count, Task.Count);

    /// <summary>Content digest of the labels as used (after dropping bad entries), for job fingerprints.</summary>
    public string Digest
    {
        get
        {
            var sb = new StringBuilder();
            foreach (var d in CdtDimensions.All)
                foreach (var l in this[d].Labels) sb.Append(d.FieldName()).Append('\t').Append(l.Group).Append('\t').Append(l.Name).Append('\t').Append(l.Definition).Append('\n');
            return ContentDigest.OfText(sb.ToString());
        }
    }

    /// <summary>Label files from a folder; a file the folder lacks falls back to the built-in one.</summary>
    public static CdtLabelSet Load(string dir)
    {
        if (!Directory.Exists(dir)) throw new DirectoryNotFoundException($"Label folder not found: {dir} (it should hold cognition.json, domain.json and/or task.json).");
        CdtLabels Read(CdtDimension d)
        {
            var path = Path.Combine(dir, d.FieldName() + ".json");
            return File.Exists(path) ? CdtLabels.Parse(d, File.ReadAllText(path), path) : Default[d];
        }
        return new CdtLabelSet(Read(CdtDimension.Cognition), Read(CdtDimension.Domain), Read(CdtDimension.Task));
    }
}

/// <summary>The method's embedded data files (label sets and prompts).</summary>
internal static class CdtResources
{
    public static string Read(string name)
    {
        using var s = typeof(CdtResources).Assembly.GetManifestResourceStream("cdt/" + name)
            ?? throw new FileNotFoundException($"Embedded CDT data file '{name}' not found.");
        using var r = new StreamReader(s, Encoding.UTF8);
        return r.ReadToEnd();
    }
}
