using Engine.Methods.Defaults;
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

    public static ModelBundle Load(string? model, string device) => ModelBundle.Load(Resolve(model), CliOptions.ParseDevice(device));
}
