using System.Reflection;

namespace Engine.Methods.Speech.SelfPowered;

/// <summary>One task category of the instruction pool and its interchangeable templates.</summary>
public sealed record InstructionCategory(string Name, IReadOnlyList<string> Templates)
{
    /// <summary>Plain transcription: the target is the transcript itself, no LLM is asked.</summary>
    public bool IsTranscription => Name == InstructionPool.TranscriptionCategory;
}

/// <summary>
/// The instructions target generation draws from: categories of templates, read from a data file of "[name]" sections
/// (one template per line, "#" comments). The default is the method's pool, 7 categories × 5 templates
/// (<c>Templates/instructions.txt</c>); a user pool may have any categories. "asr" is the transcription category.
/// </summary>
public sealed class InstructionPool
{
    public const string TranscriptionCategory = "asr";
    private const string DefaultResource = "Engine.Methods.Speech.SelfPowered.Templates.instructions.txt";

    public IReadOnlyList<InstructionCategory> Categories { get; }
    /// <summary>The file's text, for job fingerprints.</summary>
    public string Text { get; }

    private InstructionPool(IReadOnlyList<InstructionCategory> categories, string text) { Categories = categories; Text = text; }

    public static InstructionPool Default { get; } = Parse(ReadResource(DefaultResource), "built-in instructions.txt");

    public static InstructionPool Load(string path) =>
        File.Exists(path) ? Parse(File.ReadAllText(path), path) : throw new FileNotFoundException($"Instruction file {path} does not exist.", path);

    public static InstructionPool Parse(string text, string source)
    {
        var cats = new List<InstructionCategory>();
        string? name = null;
        var templates = new List<string>();
        int lineNo = 0;
        void Close()
        {
            if (name is null) return;
            if (templates.Count == 0) throw new InvalidDataException($"{source}: category [{name}] has no templates.");
            cats.Add(new InstructionCategory(name, templates.ToArray()));
            templates.Clear();
        }
        foreach (var raw in text.Split('\n'))
        {
            lineNo++;
            var line = raw.TrimEnd('\r').Trim();
            if (line.Length == 0 || line.StartsWith('#')) continue;
            if (line.StartsWith('[') && line.EndsWith(']'))
            {
                Close();
                name = line[1..^1].Trim();
                if (name.Length == 0) throw new InvalidDataException($"{source}:{lineNo}: empty category name.");
                if (cats.Any(c => c.Name == name)) throw new InvalidDataException($"{source}:{lineNo}: category [{name}] appears twice.");
                continue;
            }
            if (name is null) throw new InvalidDataException($"{source}:{lineNo}: template before the first [category] line.");
            templates.Add(line);
        }
        Close();
        if (cats.Count == 0) throw new InvalidDataException($"{source}: no [category] sections.");
        return new InstructionPool(cats, text);
    }

    /// <summary>The categories named in <paramref name="names"/> (all when null), in the pool's order.</summary>
    public IReadOnlyList<InstructionCategory> Select(IReadOnlyList<string>? names)
    {
        if (names is null) return Categories;
        foreach (var n in names)
            if (Categories.All(c => c.Name != n))
                throw new ArgumentException($"Unknown instruction category '{n}'; the pool has {string.Join(", ", Categories.Select(c => c.Name))}.");
        return Categories.Where(c => names.Contains(c.Name)).ToArray();
    }

    public InstructionCategory this[string name] => Categories.FirstOrDefault(c => c.Name == name)
        ?? throw new ArgumentException($"Unknown instruction category '{name}'; the pool has {string.Join(", ", Categories.Select(c => c.Name))}.");

    internal static string ReadResource(string name)
    {
        using var s = Assembly.GetExecutingAssembly().GetManifestResourceStream(name)
            ?? throw new InvalidOperationException($"Embedded resource {name} is missing from Engine.Methods.");
        using var r = new StreamReader(s);
        return r.ReadToEnd();
    }
}
