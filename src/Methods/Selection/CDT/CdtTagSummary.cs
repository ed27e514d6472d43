using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Engine.Methods.Core.Data;

namespace Engine.Methods.Selection.CDT;

/// <summary>
/// What a tagging run produced, counted from its output (so a resumed or merged output is counted whole): records,
/// fully tagged ones, records with nothing to tag, per dimension the records left without a label, the answers' values
/// that are not labels (with the most frequent ones), and labels dropped beyond a dimension's maximum.
/// </summary>
public sealed record CdtTagSummary(int Records, int FullyTagged, int NoText, IReadOnlyDictionary<CdtDimension, int> NoLabel,
    IReadOnlyDictionary<CdtDimension, int> Unknown, IReadOnlyList<(string Value, int Count)> TopUnknown, int Dropped)
{
    public static CdtTagSummary Read(string taggedJsonl)
    {
        int records = 0, full = 0, noText = 0, dropped = 0;
        var noLabel = CdtDimensions.All.ToDictionary(d => d, _ => 0);
        var unknown = CdtDimensions.All.ToDictionary(d => d, _ => 0);
        var values = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var line in JsonlReader.Read(taggedJsonl))
        {
            records++;
            var tags = line.Value["tags"] as JsonObject;
            if (CdtDimensions.All.All(d => tags?[d.FieldName()] is JsonArray { Count: > 0 })) full++;
            if (line.Value["cdt"] is not JsonObject report) continue;
            if (report["problem"] is not null) noText++;
            if (report["no_label"] is JsonArray nl)
                foreach (var d in CdtDimensions.All) if (nl.Any(x => x?.GetValue<string>() == d.FieldName())) noLabel[d]++;
            if (report["unknown"] is JsonObject u)
                foreach (var d in CdtDimensions.All)
                    if (u[d.FieldName()] is JsonArray list)
                    {
                        unknown[d] += list.Count;
                        foreach (var v in list) { var key = d.FieldName() + ": " + v!.GetValue<string>(); values[key] = values.GetValueOrDefault(key) + 1; }
                    }
            if (report["dropped"] is JsonObject dr) dropped += dr.Sum(x => x.Value!.GetValue<int>());
        }
        var top = values.OrderByDescending(x => x.Value).ThenBy(x => x.Key, StringComparer.Ordinal).Take(10).Select(x => (x.Key, x.Value)).ToArray();
        return new CdtTagSummary(records, full, noText, noLabel, unknown, top, dropped);
    }

    public string ToText()
    {
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"cdt tag: {Records} records, {FullyTagged} tagged in all three dimensions");
        if (NoText > 0) sb.Append(CultureInfo.InvariantCulture, $", {NoText} with no instruction text");
        sb.AppendLine();
        foreach (var d in CdtDimensions.All)
            if (NoLabel[d] > 0 || Unknown[d] > 0)
                sb.AppendLine(CultureInfo.InvariantCulture, $"  {d.FieldName()}: {NoLabel[d]} records without a label, {Unknown[d]} answer values not in the label set");
        if (Dropped > 0) sb.AppendLine(CultureInfo.InvariantCulture, $"  {Dropped} labels beyond a dimension's maximum dropped");
        if (TopUnknown.Count > 0) sb.AppendLine("  most frequent unknown values: " + string.Join("; ", TopUnknown.Select(t => $"{t.Value} ×{t.Count}")));
        return sb.ToString().TrimEnd();
    }
}
