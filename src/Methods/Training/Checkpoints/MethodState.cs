using System.Text.Json.Nodes;
using Engine.Runtime;

namespace Engine.Methods.Training.Checkpoints;

/// <summary>
/// A method's named state as it goes into a checkpoint: JSON (small numbers, counters, options it must match) and/or
/// tensors (per-example weights, logged losses, caches). Doubles round-trip exactly through both. Tensors come back
/// on the CPU; a restore moves them where they belong.
/// </summary>
public sealed record MethodState(JsonNode? Json = null, IReadOnlyDictionary<string, Tensor>? Tensors = null)
{
    /// <summary>The folder of a checkpoint that holds method states: <c>&lt;name&gt;.json</c> (always) and <c>&lt;name&gt;.safetensors</c>.</summary>
    public const string Folder = "method_state";

    /// <summary>A tensor of the state, or a clear error when the checkpoint's state lacks it.</summary>
    public Tensor Tensor(string name) =>
        Tensors is not null && Tensors.TryGetValue(name, out var t) ? t : throw new InvalidDataException($"Method state has no tensor '{name}'.");
}
