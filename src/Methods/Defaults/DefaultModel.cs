namespace Engine.Methods.Defaults;

/// <summary>
/// The embedded default model: a small model and tokenizer made by the project itself, built
/// deterministically on first use into ENGINE_HOME (default ~/.cache/engine), so a fresh clone
/// runs without downloads.
/// </summary>
public static class DefaultModel
{
    public const string Version = "default-v1";

    public static string Home =>
        Environment.GetEnvironmentVariable("ENGINE_HOME") is { Length: > 0 } h ? h
        : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "engine");

    public static string Directory => Path.Combine(Home, Version);

    public static string EnsureBuilt(Action<string>? log = null) => throw new NotImplementedException("default model: pending testbed merge");
}
