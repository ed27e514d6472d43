namespace Engine.Runtime;

/// <summary>Where the engine keeps its files: ENGINE_HOME, default ~/.cache/engine.</summary>
public static class Paths
{
    public static string Home =>
        Environment.GetEnvironmentVariable("ENGINE_HOME") is { Length: > 0 } h ? h
        : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "engine");
}
