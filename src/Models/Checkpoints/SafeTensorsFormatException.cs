namespace Engine.Models.Checkpoints;

/// <summary>
/// A safetensors file (or checkpoint index) that breaks the format. The message names the file,
/// the tensor when there is one, and the rule that was broken.
/// Derives from <see cref="IOException"/> because <see cref="InvalidDataException"/> is sealed.
/// </summary>
public sealed class SafeTensorsFormatException : IOException
{
    public string FilePath { get; }
    public string? TensorName { get; }

    public SafeTensorsFormatException(string filePath, string? tensorName, string rule, Exception? inner = null)
        : base(Compose(filePath, tensorName, rule), inner)
    {
        FilePath = filePath;
        TensorName = tensorName;
    }

    private static string Compose(string file, string? tensor, string rule) =>
        tensor is null ? $"Invalid safetensors file '{file}': {rule}"
                       : $"Invalid safetensors file '{file}', tensor '{Clip(tensor)}': {rule}";

    // A hostile name could be megabytes long; the message stays readable.
    internal static string Clip(string s) => s.Length <= 200 ? s : s[..200] + $"…({s.Length} chars)";
}
