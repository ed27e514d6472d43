using System.Text.Json;
using System.Text.Json.Nodes;

namespace Engine.Methods.Speech.SelfPowered;

/// <summary>
/// What <c>engine lsm train</c> leaves in its output folder besides checkpoints: <c>lsm.json</c> naming the LLM and the
/// encoder folders (absolute; both unchanged), the connector folder (<c>connector/</c>: speech_connector.json +
/// model.safetensors), the LoRA adapter folder when the LLM had one, and the prompt format the connector was trained
/// with, so <c>engine lsm generate</c> builds the same prompts.
/// </summary>
public sealed record SpeechLlmFolder(string Directory, string Llm, string Encoder, string Connector, string? Adapter, SpeechPromptFormat Format)
{
    public const string FileName = "lsm.json", ConnectorFolder = "connector";

    public static void Write(string dir, string llm, string encoder, bool hasAdapter, SpeechPromptFormat format)
    {
        var o = new JsonObject
        {
            ["model_type"] = "self_powered_lsm",
            ["llm"] = Path.GetFullPath(llm),
            ["encoder"] = Path.GetFullPath(encoder),
            ["connector"] = ConnectorFolder,
            ["adapter"] = hasAdapter ? "." : null,
            ["prompt_format_name"] = format.Name,
            ["prompt_format"] = JsonNode.Parse(format.Json),
        };
        System.IO.Directory.CreateDirectory(dir);
        var path = Path.Combine(dir, FileName);
        File.WriteAllText(path + ".tmp", o.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");
        File.Move(path + ".tmp", path, overwrite: true);
    }

    public static SpeechLlmFolder Read(string dir)
    {
        var path = Path.Combine(dir, FileName);
        if (!File.Exists(path)) throw new FileNotFoundException($"{dir} has no {FileName}: it is not the output of engine lsm train.", path);
        try
        {
            var o = JsonNode.Parse(File.ReadAllText(path)) as JsonObject ?? throw new InvalidDataException("not a JSON object");
            string Str(string k) => o[k] is JsonValue v && v.TryGetValue<string>(out var s) ? s : throw new InvalidDataException($"missing '{k}'");
            if (Str("model_type") != "self_powered_lsm") throw new InvalidDataException($"model_type is '{Str("model_type")}', not self_powered_lsm");
            var format = SpeechPromptFormat.Parse(o["prompt_format"]?.ToJsonString() ?? throw new InvalidDataException("missing 'prompt_format'"), Str("prompt_format_name"));
            string Local(string rel) => Path.GetFullPath(rel, Path.GetFullPath(dir));
            var adapter = o["adapter"] is JsonValue a && a.TryGetValue<string>(out var ad) ? Local(ad) : null;
            return new SpeechLlmFolder(dir, Str("llm"), Str("encoder"), Local(Str("connector")), adapter, format);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or InvalidDataException)
        {
            throw new InvalidDataException($"{path}: {e.Message}", e);
        }
    }
}
