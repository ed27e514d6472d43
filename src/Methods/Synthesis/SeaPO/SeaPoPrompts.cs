using System.Reflection;

namespace Engine.Methods.Synthesis.SeaPO;

/// <summary>
/// The injection prompt of each error type: a template with <c>{question}</c> and <c>{response}</c> (and optionally
/// <c>{error_type}</c>, <c>{error_description}</c>) filled per record. The built-in templates are data files
/// (<c>Prompts/&lt;type&gt;.txt</c>, embedded); a user file replaces them for every type, a user folder per type.
/// </summary>
public sealed class SeaPoPrompts
{
    private readonly IReadOnlyDictionary<SeaPoErrorType, string> _templates;

    public SeaPoPrompts(IReadOnlyDictionary<SeaPoErrorType, string> templates)
    {
        foreach (var (type, text) in templates) Validate(text, $"the {type.Name()} template");
        _templates = templates;
    }

    /// <summary>What each type means, in the words the default prompts use (also <c>{error_description}</c>).</summary>
    public static readonly IReadOnlyDictionary<SeaPoErrorType, string> Descriptions = new Dictionary<SeaPoErrorType, string>
    {
        [SeaPoErrorType.Correctness] = "a wrong fact or a wrong calculation, so that a number, a value or the final result is no longer right.",
        [SeaPoErrorType.Logic] = "a reasoning step that does not follow from the one before it, a contradiction, or a conclusion the steps do not support.",
        [SeaPoErrorType.Hallucination] = "information that is made up, with no basis in the question, such as an invented rule, source or fact that the answer then relies on.",
    };

    private static SeaPoPrompts? _default;

    /// <summary>The built-in templates (embedded <c>Prompts/*.txt</c>).</summary>
    public static SeaPoPrompts Default => _default ??= new SeaPoPrompts(SeaPoErrorTypes.All.ToDictionary(t => t, t => ReadEmbedded(t.Name() + ".txt")));

    /// <summary>A template file used for every type, or a folder holding <c>&lt;type&gt;.txt</c> for each type it overrides (the others keep the default).</summary>
    public static SeaPoPrompts Load(string path)
    {
        if (Directory.Exists(path))
        {
            var d = SeaPoErrorTypes.All.ToDictionary(t => t, t => Default.Template(t));
            foreach (var t in SeaPoErrorTypes.All)
                if (File.Exists(Path.Combine(path, t.Name() + ".txt"))) d[t] = ReadFile(Path.Combine(path, t.Name() + ".txt"));
            return new SeaPoPrompts(d);
        }
        if (!File.Exists(path)) throw new FileNotFoundException($"SeaPO template: {path} is neither a file nor a folder.");
        var text = ReadFile(path);
        return new SeaPoPrompts(SeaPoErrorTypes.All.ToDictionary(t => t, _ => text));
    }

    public string Template(SeaPoErrorType type) => _templates[type];

    /// <summary>The injection prompt for one record and type. Placeholders are filled in one pass, so text in the question that looks like a placeholder stays as it is.</summary>
    public string Build(SeaPoErrorType type, string question, string response)
    {
        var values = new Dictionary<string, string>
        {
            ["question"] = question, ["response"] = response, ["error_type"] = type.Name(), ["error_description"] = Descriptions[type],
        };
        var t = _templates[type];
        var sb = new System.Text.StringBuilder(t.Length + question.Length + response.Length);
        int i = 0;
        while (i < t.Length)
        {
            int open = t.IndexOf('{', i);
            if (open < 0) { sb.Append(t, i, t.Length - i); break; }
            int close = t.IndexOf('}', open + 1);
            if (close > open && values.TryGetValue(t[(open + 1)..close], out var v)) { sb.Append(t, i, open - i).Append(v); i = close + 1; }
            else { sb.Append(t, i, open + 1 - i); i = open + 1; }
        }
        return sb.ToString();
    }

    /// <summary>A digest of every template, for job fingerprints.</summary>
    public IEnumerable<string> Describe() => SeaPoErrorTypes.All.Select(t => t.Name() + ":" + Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(_templates[t])))[..16]);

    private static void Validate(string text, string what)
    {
        if (!text.Contains("{question}", StringComparison.Ordinal) || !text.Contains("{response}", StringComparison.Ordinal))
            throw new ArgumentException($"SeaPO: {what} needs both {{question}} and {{response}} placeholders.");
    }

    private static string ReadFile(string path) => File.ReadAllText(path).Replace("\r\n", "\n");

    private static string ReadEmbedded(string name)
    {
        var asm = typeof(SeaPoPrompts).Assembly;
        var res = "Engine.Methods.Synthesis.SeaPO.Prompts." + name;
        using var s = asm.GetManifestResourceStream(res) ?? throw new InvalidOperationException($"SeaPO: embedded prompt {res} is missing from the build.");
        using var r = new StreamReader(s);
        return r.ReadToEnd().Replace("\r\n", "\n").TrimEnd('\n');
    }
}
