using System.Text;

namespace Engine.Methods.Teachers.Judges;

/// <summary>
/// The grading prompts, shipped as data files beside this class (<c>Prompts/*.txt</c>, embedded in the assembly) in the
/// project's own wording with the structure of Prometheus-style absolute grading: task description, instruction,
/// response, a reference answer worth 5, a rubric, and "Feedback:" after which the grader writes feedback and
/// "[RESULT] n". Users may load their own template and rubric files instead.
/// </summary>
public static class JudgePrompts
{
    /// <summary>The absolute-grading user prompt, with {instruction}, {response}, {reference_answer} and {rubric}.</summary>
    public static string AbsoluteGrading { get; } = Load("absolute-grading.txt");
    /// <summary>The grader's system prompt.</summary>
    public static string AbsoluteGradingSystem { get; } = Load("absolute-grading.system.txt");
    /// <summary>A 1–5 rubric for factual correctness, meeting the request, logical consistency and completeness (APT's criteria).</summary>
    public static string CorrectnessRubric { get; } = Load("rubric-correctness.txt");

    /// <summary>Placeholders a template may use; {instruction}, {response} and {rubric} are required.</summary>
    public static readonly string[] Placeholders = ["instruction", "response", "reference_answer", "rubric"];

    /// <summary>
    /// Fill the placeholders in one pass, so text inside a value (a response that contains "{rubric}") is never
    /// substituted again. Unknown braces stay as they are.
    /// </summary>
    public static string Fill(string template, IReadOnlyDictionary<string, string> values)
    {
        var sb = new StringBuilder(template.Length + values.Values.Sum(v => v.Length));
        int i = 0;
        while (i < template.Length)
        {
            if (template[i] == '{')
            {
                int close = template.IndexOf('}', i + 1);
                if (close > i && values.TryGetValue(template[(i + 1)..close], out var v)) { sb.Append(v); i = close + 1; continue; }
            }
            sb.Append(template[i++]);
        }
        return sb.ToString();
    }

    /// <summary>A template file: its text with the file's final line break removed.</summary>
    public static string LoadFile(string path) => Trim(File.ReadAllText(path));

    private static string Load(string name)
    {
        var asm = typeof(JudgePrompts).Assembly;
        using var s = asm.GetManifestResourceStream("judges/" + name)
            ?? throw new InvalidOperationException($"Judge prompt '{name}' is not embedded in {asm.GetName().Name}.");
        using var r = new StreamReader(s, Encoding.UTF8);
        return Trim(r.ReadToEnd());
    }

    private static string Trim(string text) => text.EndsWith("\r\n", StringComparison.Ordinal) ? text[..^2] : text.EndsWith('\n') ? text[..^1] : text;
}
