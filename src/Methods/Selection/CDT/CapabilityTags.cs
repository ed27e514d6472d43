using Engine.Methods.Core.Data;

namespace Engine.Methods.Selection.CDT;

/// <summary>
/// One record's CDT tags: up to two cognition codes (most important first), a subdomain and a task type. Empty lists
/// mean the dimension is untagged; a record counts in the metrics and the selectors only when all three are tagged.
/// </summary>
public sealed record CapabilityTags(IReadOnlyList<string> Cognition, IReadOnlyList<string> Domain, IReadOnlyList<string> Task)
{
    public static readonly CapabilityTags Empty = new([], [], []);

    public IReadOnlyList<string> this[CdtDimension d] => d switch
    {
        CdtDimension.Cognition => Cognition,
        CdtDimension.Domain => Domain,
        _ => Task,
    };

    public bool IsComplete => Cognition.Count > 0 && Domain.Count > 0 && Task.Count > 0;

    /// <summary>The composite capability key, or null when a dimension is untagged.</summary>
    public CdtKey? Key => CdtKey.Of(this);

    public static CapabilityTags From(Func<CdtDimension, IReadOnlyList<string>> labels) =>
        new(labels(CdtDimension.Cognition), labels(CdtDimension.Domain), labels(CdtDimension.Task));

    /// <summary>
    /// A record's <c>tags</c> object (cognition, domain, task lists) read through a label set: values are matched to the
    /// label names ignoring case and surrounding space; values the set does not have are returned in
    /// <paramref name="unknown"/> and left out. A record without a <c>tags</c> object (or with an InsTag-style list) is untagged.
    /// </summary>
    public static CapabilityTags FromRecord(DataRecord record, CdtLabelSet labels, List<string>? unknown = null)
    {
        var tags = record.Fields.Tags;
        IReadOnlyList<string> Read(CdtDimension d)
        {
            if (!tags.TryGetValue(d.FieldName(), out var values)) return [];
            var kept = new List<string>();
            foreach (var v in values)
            {
                if (labels[d].Canonical(v) is { } c) { if (!kept.Contains(c)) kept.Add(c); }
                else unknown?.Add($"{d.FieldName()}: {v}");
            }
            return kept.Take(d.MaxLabels()).ToArray();
        }
        return From(Read);
    }

    public System.Text.Json.Nodes.JsonObject ToJson()
    {
        var o = new System.Text.Json.Nodes.JsonObject();
        foreach (var d in CdtDimensions.All)
            o[d.FieldName()] = new System.Text.Json.Nodes.JsonArray(this[d].Select(v => (System.Text.Json.Nodes.JsonNode)v).ToArray());
        return o;
    }
}
