using System.Text;
using Engine.Methods.Core.Jobs;

namespace Engine.Methods.Synthesis.AQuilt;

/// <summary>
/// AQuilt's prompts, read from data files (<c>Prompts/</c>, embedded in the assembly; or a folder of the same layout):
/// per language a task prompt for each of the ten task types (<c>en/&lt;slug&gt;.txt</c>, <c>zh/&lt;slug&gt;.txt</c>), the
/// reference template that carries the passage (<c>reference.txt</c>, with <c>{text}</c>) and the open-book
/// instruction of the finished SFT data (<c>open-book-instruction.txt</c>, with <c>{context}</c> and <c>{question}</c>);
/// and one inspection prompt (<c>inspection.txt</c>, with <c>{text}</c> and <c>{qa_pair}</c>). Prompts are raw text for
/// a base model: no chat template, plain concatenation, as AQuilt does.
/// </summary>
public sealed class AQuiltPrompts
{
    private readonly IReadOnlyDictionary<string, string> _files;

    private AQuiltPrompts(IReadOnlyDictionary<string, string> files)
    {
        _files = files;
        foreach (var lang in new[] { AQuiltTaskTypes.English, AQuiltTaskTypes.Chinese })
        {
            foreach (var t in AQuiltTaskTypes.All) File($"{lang}/{t.Slug}.txt");
            Require($"{lang}/reference.txt", "{text}");
            Require($"{lang}/open-book-instruction.txt", "{context}", "{question}");
        }
        Require("inspection.txt", "{text}", "{qa_pair}");
        Digest = ContentDigest.OfText(string.Join("\u0000", files.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => kv.Key + "\u0000" + kv.Value)));
    }

    /// <summary>The project's prompts, embedded in the assembly.</summary>
    public static AQuiltPrompts Default { get; } = FromAssembly();

    /// <summary>Prompts from a folder laid out like <c>Prompts/</c> (every file must be there).</summary>
    public static AQuiltPrompts Load(string dir)
    {
        if (!Directory.Exists(dir)) throw new DirectoryNotFoundException($"AQuilt prompts folder {dir} does not exist.");
        var files = Directory.GetFiles(dir, "*.txt", SearchOption.AllDirectories)
            .ToDictionary(f => Path.GetRelativePath(dir, f).Replace('\\', '/'), f => System.IO.File.ReadAllText(f, Encoding.UTF8));
        return new AQuiltPrompts(files);
    }

    /// <summary>SHA-256 of every prompt file: part of a job's fingerprint, so edited prompts never mix with old outputs.</summary>
    public string Digest { get; }

    /// <summary>The task prompt for a task type in the task's language.</summary>
    public string TaskPrompt(AQuiltTask task) => File($"{task.Language}/{task.Type.Slug}.txt");

    /// <summary>The generation prompt: task prompt, then the reference template holding the passage.</summary>
    public string Generation(AQuiltTask task, string passage) =>
        TaskPrompt(task) + Fill(File($"{task.Language}/reference.txt"), ("text", passage));

    /// <summary>
    /// Prefix forcing: the text put at the end of the prompt so that the model continues inside the question string
    /// (the opening of the JSON answer, then the task prefix). Empty when there is nothing to force.
    /// </summary>
    public static string ForcedOpening(string? taskPrefix, bool forceJson) =>
        taskPrefix is null && !forceJson ? "" : "```json\n{\"question\": \"" + (taskPrefix ?? "");

    /// <summary>The inspection prompt for a passage and a generated pair (shown as a fenced JSON block).</summary>
    public string Inspection(string passage, QaPair qa) =>
        Fill(File("inspection.txt"), ("text", passage), ("qa_pair", "```json\n" + AQuiltJson.Format(qa) + "\n```"));

    /// <summary>
    /// The instruction of a finished SFT item: for a task type that carries the passage, the open-book instruction
    /// with the passage and the question; otherwise the question alone. <paramref name="template"/> overrides the
    /// open-book file (placeholders <c>{context}</c>, <c>{question}</c>) for every task type.
    /// </summary>
    public string Instruction(AQuiltTask task, string context, string question, string? template = null)
    {
        if (template is not null) return Fill(template, ("context", context), ("question", question));
        return task.Type.CarriesPassage ? Fill(File($"{task.Language}/open-book-instruction.txt"), ("context", context), ("question", question)) : question;
    }

    /// <summary>
    /// Replaces each <c>{name}</c> of the given names in one left-to-right pass: text inserted for one placeholder is
    /// never searched again (a passage may itself contain "{qa_pair}"), and other braces (JSON) stay as they are.
    /// </summary>
    public static string Fill(string template, params (string Name, string Value)[] values)
    {
        var sb = new StringBuilder(template.Length + values.Sum(v => v.Value.Length));
        int i = 0;
        while (i < template.Length)
        {
            if (template[i] == '{')
            {
                var hit = values.FirstOrDefault(v => string.CompareOrdinal(template, i + 1, v.Name, 0, v.Name.Length) == 0
                    && i + 1 + v.Name.Length < template.Length && template[i + 1 + v.Name.Length] == '}');
                if (hit.Name is not null)
                {
                    sb.Append(hit.Value);
                    i += hit.Name.Length + 2;
                    continue;
                }
            }
            sb.Append(template[i++]);
        }
        return sb.ToString();
    }

    private string File(string name) =>
        _files.TryGetValue(name, out var text) ? text : throw new InvalidDataException($"AQuilt prompts: {name} is missing.");

    private void Require(string name, params string[] placeholders)
    {
        var text = File(name);
        foreach (var p in placeholders)
            if (!text.Contains(p, StringComparison.Ordinal)) throw new InvalidDataException($"AQuilt prompts: {name} has no {p} placeholder.");
    }

    private static AQuiltPrompts FromAssembly()
    {
        var asm = typeof(AQuiltPrompts).Assembly;
        const string root = "AQuilt/";
        var files = new Dictionary<string, string>();
        foreach (var name in asm.GetManifestResourceNames())
        {
            var normal = name.Replace('\\', '/');
            if (!normal.StartsWith(root, StringComparison.Ordinal)) continue;
            using var s = asm.GetManifestResourceStream(name)!;
            using var reader = new StreamReader(s, Encoding.UTF8);
            files[normal[root.Length..]] = reader.ReadToEnd();
        }
        return new AQuiltPrompts(files);
    }
}
