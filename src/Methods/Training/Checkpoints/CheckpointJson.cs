using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace Engine.Methods.Training.Checkpoints;

/// <summary>The small JSON files of a checkpoint folder: written indented and flushed to disk, read back as objects.</summary>
public static class CheckpointJson
{
    private static readonly JsonSerializerOptions Options = new()
    {
        WriteIndented = true, Converters = { new JsonStringEnumConverter() },
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    public static void Write(string path, JsonNode node)
    {
        using var fs = new FileStream(path, FileMode.Create, FileAccess.Write);
        fs.Write(System.Text.Encoding.UTF8.GetBytes(node.ToJsonString(Options) + "\n"));
        fs.Flush(flushToDisk: true);
    }

    public static JsonObject Read(string path)
    {
        if (!File.Exists(path)) throw new InvalidDataException($"{path} is missing; the checkpoint is incomplete or was written by another version.");
        return JsonNode.Parse(File.ReadAllText(path)) as JsonObject ?? throw new InvalidDataException($"{path} is not a JSON object.");
    }
}
