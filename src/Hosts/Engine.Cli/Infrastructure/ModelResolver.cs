using Engine.Methods.Evaluation;
using Engine.Models;

namespace Engine.Cli.Infrastructure;

/// <summary>--model DIR, or the embedded default model (built deterministically on first use).</summary>
public static class ModelResolver
{
    public static string Resolve(string? model)
    {
        if (!string.IsNullOrEmpty(model)) return model;
        return DefaultModel.EnsureBuilt(msg => Console.Error.WriteLine(msg));
    }

    /// <param name="dtype">A --dtype value (auto, f32, bf16); auto is bf16 on cuda and f32 on the cpu.</param>
    public static ModelBundle Load(string? model, string device, string dtype = "auto")
    {
        var dev = CliOptions.ParseDevice(device);
        return ModelBundle.Load(Resolve(model), dev, CliOptions.ParseDType(dtype, dev));
    }
}
