using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Engine.Methods.Core.Jobs;

/// <summary>
/// The small JSON file beside a job output (<c>&lt;output&gt;.job.json</c>): the fingerprint of what produced it, its
/// shard, how many lines each record gets, and — once the job finished — the number of valid input records, the
/// output's lines and the records skipped. Written atomically at the start and at the end of a run.
/// </summary>
public sealed record JobManifest
{
    public const int FormatVersion = 1;

    public required JobFingerprint Fingerprint { get; init; }
    public required Shard Shard { get; init; }
    public required int OutputsPerRecord { get; init; }
    /// <summary>Where the model, input, ... were read from (for people; not compared).</summary>
    public IReadOnlyDictionary<string, string> Sources { get; init; } = new Dictionary<string, string>();
    public bool Complete { get; init; }
    /// <summary>Valid records in the whole input (every shard sees the same number); set when complete.</summary>
    public long? Records { get; init; }
    /// <summary>Lines of this output; set when complete.</summary>
    public long? Lines { get; init; }
    public long Skipped { get; init; }

    public static string PathFor(string output) => output + ".job.json";

    public void Write(string output)
    {
        var o = new JsonObject
        {
            ["engine_record_job"] = FormatVersion,
            ["fingerprint"] = Fingerprint.ToJson(),
            ["shard"] = Shard.ToString(),
            ["outputs_per_record"] = OutputsPerRecord,
            ["sources"] = new JsonObject(Sources.Select(kv => new KeyValuePair<string, JsonNode?>(kv.Key, kv.Value))),
            ["complete"] = Complete,
            ["records"] = Records,
            ["lines"] = Lines,
            ["skipped"] = Skipped,
        };
        var path = PathFor(output);
        var tmp = path + ".tmp";
        File.WriteAllText(tmp, o.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n", new UTF8Encoding(false));
        File.Move(tmp, path, overwrite: true);
    }

    public static JobManifest? TryRead(string output)
    {
        var path = PathFor(output);
        if (!File.Exists(path)) return null;
        try
        {
            var o = JsonNode.Parse(File.ReadAllText(path)) as JsonObject ?? throw new InvalidDataException("not a JSON object");
            if (o["engine_record_job"]?.GetValue<int>() != FormatVersion) throw new InvalidDataException($"unknown manifest version {o["engine_record_job"]}");
            return new JobManifest
            {
                Fingerprint = JobFingerprint.FromJson(o["fingerprint"]!.AsObject()),
                Shard = Shard.Parse(o["shard"]!.GetValue<string>()),
                OutputsPerRecord = o["outputs_per_record"]!.GetValue<int>(),
                Sources = (o["sources"] as JsonObject)?.ToDictionary(kv => kv.Key, kv => kv.Value?.GetValue<string>() ?? "") ?? [],
                Complete = o["complete"]!.GetValue<bool>(),
                Records = o["records"]?.GetValue<long>(),
                Lines = o["lines"]?.GetValue<long>(),
                Skipped = o["skipped"]?.GetValue<long>() ?? 0,
            };
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or InvalidDataException or NullReferenceException or FormatException)
        {
            throw new InvalidDataException($"{path}: not a readable job manifest ({e.Message}).", e);
        }
    }
}
