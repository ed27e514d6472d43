using System.Reflection;
using System.Text;
using System.Text.RegularExpressions;

namespace Engine.Methods.Synthesis.LongMT;

/// <summary>The items a memory module returns, as the prompts show them.</summary>
public abstract record MemoryItem;
public sealed record SummaryItem(int Page, string Text) : MemoryItem;
public sealed record PairItem(int Page, string Source, string Target) : MemoryItem;
public sealed record EntityItem(string Name, string Target, string Note) : MemoryItem;

/// <summary>
/// The prompt templates of LongMT, kept as data: a set is one text file of "### section" blocks with {placeholders}
/// (<c>Prompts/default.txt</c>, Loong's structure; <c>Prompts/compact.txt</c>, the same structure in few tokens for
/// small-context models), loadable from any file so users can rewrite every prompt.
/// </summary>
public sealed partial class LongMtPrompts
{
    public static readonly IReadOnlyList<string> Sections =
    [
        "system", "select_first", "select_next", "choices",
        "memory_view_summaries", "memory_view_pages", "memory_look_up_entities",
        "item_view_summaries", "item_view_pages", "item_look_up_entities",
        "aux_view_summaries", "aux_view_pages", "aux_look_up_entities",
        "translate", "translate_plain", "summary", "entity_extract", "entity_target",
    ];

    private readonly Dictionary<string, string> _sections;

    /// <summary>"default", "compact" or the file it was read from.</summary>
    public string Name { get; }

    private LongMtPrompts(string name, Dictionary<string, string> sections) { Name = name; _sections = sections; }

    public string this[string section] => _sections[section];

    public static LongMtPrompts Default { get; } = Builtin("default");
    public static LongMtPrompts Compact { get; } = Builtin("compact");

    /// <summary>A built-in set ("default", "compact") or a prompt file.</summary>
    public static LongMtPrompts Load(string nameOrPath) => nameOrPath switch
    {
        "default" => Default,
        "compact" => Compact,
        _ when File.Exists(nameOrPath) => Parse(File.ReadAllText(nameOrPath), nameOrPath),
        _ => throw new FileNotFoundException($"prompt set '{nameOrPath}' is neither a built-in set (default, compact) nor a file."),
    };

    private static LongMtPrompts Builtin(string name)
    {
        using var s = typeof(LongMtPrompts).Assembly.GetManifestResourceStream($"longmt/{name}.txt")
            ?? throw new InvalidOperationException($"built-in LongMT prompt set '{name}' is missing from the assembly.");
        using var r = new StreamReader(s, Encoding.UTF8);
        return Parse(r.ReadToEnd(), name);
    }

    /// <summary>Parse a prompt file; every section must be there (a missing or unknown one is named in the error).</summary>
    public static LongMtPrompts Parse(string text, string origin)
    {
        var sections = new Dictionary<string, string>();
        string? current = null;
        var body = new StringBuilder();
        void Close()
        {
            if (current is null) return;
            if (sections.ContainsKey(current)) throw new FormatException($"{origin}: section '{current}' appears twice.");
            sections[current] = body.ToString().TrimEnd('\n');
            body.Clear();
        }
        foreach (var raw in text.Replace("\r\n", "\n").Split('\n'))
        {
            if (raw.StartsWith("### ", StringComparison.Ordinal))
            {
                Close();
                current = raw[4..].Trim();
                if (!Sections.Contains(current)) throw new FormatException($"{origin}: unknown section '{current}'; sections are {string.Join(", ", Sections)}.");
                continue;
            }
            if (current is null) continue; // comments before the first section
            body.Append(raw).Append('\n');
        }
        Close();
        var missing = Sections.Where(s => !sections.ContainsKey(s)).ToList();
        if (missing.Count > 0) throw new FormatException($"{origin}: missing section{(missing.Count == 1 ? "" : "s")} {string.Join(", ", missing)}.");
        return new LongMtPrompts(origin, sections);
    }

    /// <summary>Fill {name} placeholders in one pass (inserted text is never re-scanned; unknown braces stay).</summary>
    public string Fill(string section, IReadOnlyDictionary<string, string> values) =>
        Placeholder().Replace(_sections[section], m => values.TryGetValue(m.Groups[1].Value, out var v) ? v : m.Value);

    public string SystemPrompt(Languages lang) => Fill("system", lang.Values());

    /// <summary>The first selection turn: the page, every offered module's items, and the choice.</summary>
    public string SelectFirst(Languages lang, IReadOnlyList<string> page, IReadOnlyList<(MemoryModule Module, IReadOnlyList<MemoryItem> Items)> offered)
    {
        var memory = string.Join("\n", offered.Select(o => this["memory_" + o.Module.Name()] + "\n" + Items(o.Module, o.Items)));
        return Fill("select_first", new Dictionary<string, string>(lang.Values())
        {
            ["page"] = PageMarkup.Render(page), ["memory"] = memory, ["choices"] = Choices(offered.Select(o => o.Module)),
        });
    }

    /// <summary>A later selection turn: what was consulted and the choice among the modules left.</summary>
    public string SelectNext(Languages lang, IReadOnlyList<MemoryModule> called, IEnumerable<MemoryModule> offered) =>
        Fill("select_next", new Dictionary<string, string>(lang.Values())
        {
            ["called"] = called.Count == 0 ? "nothing" : string.Join(", ", called.Select(m => m.Name())), ["choices"] = Choices(offered),
        });

    private string Choices(IEnumerable<MemoryModule> offered) =>
        Fill("choices", new Dictionary<string, string> { ["options"] = string.Join(" | ", offered.Select(m => m.Name()).Append(MemoryModules.End)) });

    /// <summary>The page translation prompt, with the selected memory (none: the plain prompt).</summary>
    public string Translate(Languages lang, IReadOnlyList<string> page, AuxContext aux)
    {
        var values = new Dictionary<string, string>(lang.Values()) { ["lines"] = PageMarkup.Render(page) };
        var used = aux.Sections.Where(a => a.Items.Count > 0).ToList();
        if (used.Count == 0) return Fill("translate_plain", values);
        values["aux"] = string.Concat(used.Select(a => this["aux_" + a.Module.Name()] + "\n" + Items(a.Module, a.Items) + "\n"));
        return Fill("translate", values);
    }

    public string Summary(Languages lang, string text, int words) =>
        Fill("summary", new Dictionary<string, string>(lang.Values()) { ["text"] = text, ["words"] = words.ToString(System.Globalization.CultureInfo.InvariantCulture) });

    public string EntityExtract(Languages lang, string text) => Fill("entity_extract", new Dictionary<string, string>(lang.Values()) { ["text"] = text });

    public string EntityTarget(Languages lang, string src, string tgt, string entity) =>
        Fill("entity_target", new Dictionary<string, string>(lang.Values()) { ["src"] = src, ["tgt"] = tgt, ["entity"] = entity });

    /// <summary>Numbered item lines of one module.</summary>
    public string Items(MemoryModule module, IReadOnlyList<MemoryItem> items) => string.Join("\n", items.Select((it, k) =>
    {
        var v = new Dictionary<string, string> { ["i"] = (k + 1).ToString(System.Globalization.CultureInfo.InvariantCulture) };
        switch (it)
        {
            case SummaryItem s: v["summary"] = s.Text; break;
            case PairItem p: v["source"] = p.Source; v["target"] = p.Target; break;
            case EntityItem e: v["name"] = e.Name; v["target"] = e.Target; v["note"] = e.Note; break;
        }
        return Fill("item_" + module.Name(), v);
    }));

    [GeneratedRegex(@"\{([a-z_]+)\}")]
    private static partial Regex Placeholder();
}

/// <summary>Source and target language: codes and the names the prompts use.</summary>
public sealed record Languages(string Source, string Target)
{
    private static readonly Dictionary<string, string> Names = new(StringComparer.OrdinalIgnoreCase)
    {
        ["en"] = "English", ["zh"] = "Chinese", ["ja"] = "Japanese", ["de"] = "German", ["fr"] = "French", ["es"] = "Spanish",
        ["it"] = "Italian", ["pt"] = "Portuguese", ["ru"] = "Russian", ["ko"] = "Korean", ["ar"] = "Arabic", ["cs"] = "Czech",
        ["nl"] = "Dutch", ["pl"] = "Polish", ["tr"] = "Turkish", ["uk"] = "Ukrainian", ["glosh"] = "Glosh",
    };

    /// <summary>The display name of a language code (the code itself when unknown).</summary>
    public static string NameOf(string code) => Names.TryGetValue(code, out var n) ? n : code;

    public string SourceName => NameOf(Source);
    public string TargetName => NameOf(Target);

    public IReadOnlyDictionary<string, string> Values() => new Dictionary<string, string> { ["src_lang"] = SourceName, ["tgt_lang"] = TargetName };
}
