using Engine.Models.Checkpoints;
using Engine.Runtime;

namespace Engine.Models.Lora;

/// <summary>Every tensor of one .safetensors file (adapter weights, optimizer moments) as owned CPU copies, by name.</summary>
public static class SafeTensorsDictionary
{
    public static Dictionary<string, Tensor> ReadAll(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"No safetensors file at {path}.", path);
        using var f = SafeTensorsFile.Open(path);
        return f.Entries.Keys.ToDictionary(k => k, k => f.Load(k), StringComparer.Ordinal);
    }
}
