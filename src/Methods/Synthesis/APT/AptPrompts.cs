using System.Text;

namespace Engine.Methods.Synthesis.APT;

/// <summary>APT's prompt files (<c>Prompts/*.txt</c>), embedded in the assembly.</summary>
internal static class AptPrompts
{
    public static string Load(string name)
    {
        var asm = typeof(AptPrompts).Assembly;
        using var s = asm.GetManifestResourceStream("apt/" + name)
            ?? throw new InvalidOperationException($"APT prompt '{name}' is not embedded in {asm.GetName().Name}.");
        using var r = new StreamReader(s, Encoding.UTF8);
        var text = r.ReadToEnd();
        return text.EndsWith('\n') ? text[..^1] : text;
    }
}
