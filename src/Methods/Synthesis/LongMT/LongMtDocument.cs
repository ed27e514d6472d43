using System.Text.Json.Nodes;
using Engine.Methods.Core.Data;

namespace Engine.Methods.Synthesis.LongMT;

/// <summary>
/// A document to translate: <c>text</c> holds the source, one sentence per line (the agent never re-segments);
/// <c>reference</c> (optional; needed by <c>longmt sample</c>) the aligned reference lines; <c>entities</c> (optional,
/// <c>[{source, target}]</c>) a glossary the entity-consistency score uses. Blank lines stay blank in the output.
/// </summary>
public sealed record LongMtDocument(string Id, IReadOnlyList<string> Source, IReadOnlyList<string>? Reference, IReadOnlyList<EntityGloss>? Entities)
{
    public static LongMtDocument FromRecord(DataRecord record, bool requireReference = false)
    {
        if (record.Format != DatasetFormat.Text)
            throw record.Error($"a {record.Format} record where a document is expected: \"text\" with one sentence per line", "text");
        var id = record.Id ?? $"line-{record.Row.Line}";
        var source = Lines(record.Text!);
        IReadOnlyList<string>? reference = null;
        if (record.Value["reference"] is { } refNode)
        {
            if (refNode is not JsonValue v || !v.TryGetValue<string>(out var refText)) throw record.Error("\"reference\" must be a string with one sentence per line", "reference");
            reference = Lines(refText);
            if (reference.Count != source.Count)
                throw record.Error($"\"reference\" has {reference.Count} lines for {source.Count} source lines; they must be aligned line by line", "reference");
        }
        else if (requireReference) throw record.Error("\"reference\" is missing; sampling scores translations against it", "reference");
        List<EntityGloss>? entities = null;
        if (record.Value["entities"] is { } entNode)
        {
            if (entNode is not JsonArray arr) throw record.Error("\"entities\" must be a list of {source, target}", "entities");
            entities = [];
            for (int i = 0; i < arr.Count; i++)
            {
                if (arr[i] is not JsonObject e || e["source"]?.GetValueKind() != System.Text.Json.JsonValueKind.String || e["target"]?.GetValueKind() != System.Text.Json.JsonValueKind.String)
                    throw record.Error("each entity needs string \"source\" and \"target\"", $"entities[{i}]");
                entities.Add(new EntityGloss(e["source"]!.GetValue<string>(), e["target"]!.GetValue<string>()));
            }
        }
        return new LongMtDocument(id, source, reference, entities);
    }

    /// <summary>Lines of a text: split on \n, a trailing \r dropped, surrounding spaces trimmed; a final newline adds no line.</summary>
    public static List<string> Lines(string text)
    {
        var lines = text.Replace("\r\n", "\n").Split('\n').Select(l => l.Trim()).ToList();
        if (lines.Count > 0 && lines[^1].Length == 0) lines.RemoveAt(lines.Count - 1);
        return lines;
    }
}
