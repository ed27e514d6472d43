using System.Text.Json.Nodes;

namespace Engine.Methods.Core.Data;

/// <summary>
/// One input record as a JSON object, with where it came from: the file and its 1-based line (JSONL) or
/// row (Parquet) number, so every error can name the record.
/// </summary>
public readonly record struct DataRow(string Source, long Line, JsonObject Value)
{
    public override string ToString() => $"{Source}:{Line}";
}
