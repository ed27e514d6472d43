using System.Text.Json.Serialization;

namespace Engine.Methods.Training;

/// <summary>
/// Source-generated JSON for what checkpoints store (metrics histories, options): no reflection, so the trimmed
/// single-file `engine` (bench/gpu/publish.sh) reads and writes the same state.json as a normal build.
/// </summary>
[JsonSourceGenerationOptions(WriteIndented = true, UseStringEnumConverter = true, NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals)]
[JsonSerializable(typeof(StepMetrics))]
[JsonSerializable(typeof(EvalMetrics))]
[JsonSerializable(typeof(TrainerOptions))]
internal sealed partial class TrainingJson : JsonSerializerContext;
