using System.Text.Json.Serialization;

namespace Engine.Methods.Evaluation.Testbed;

/// <summary>Source-generated JSON for per-item evaluation results (no reflection: the trimmed single-file build writes them too).</summary>
[JsonSerializable(typeof(ItemResult))]
public sealed partial class TestbedJson : JsonSerializerContext;
