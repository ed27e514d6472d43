namespace Engine.Methods.Synthesis.LongMT;

/// <summary>The memory modules the agent may call before translating a page, in their canonical order.</summary>
public enum MemoryModule
{
    /// <summary>Summaries of earlier pages (the most similar ones when there are many).</summary>
    ViewSummaries,
    /// <summary>Earlier source/target sentence pairs most similar to the page.</summary>
    ViewPages,
    /// <summary>Records of the names on this page and how they were translated before.</summary>
    LookUpEntities,
}

public static class MemoryModules
{
    public static readonly IReadOnlyList<MemoryModule> All = [MemoryModule.ViewSummaries, MemoryModule.ViewPages, MemoryModule.LookUpEntities];

    /// <summary>The name the agent writes in its answer.</summary>
    public static string Name(this MemoryModule m) => m switch
    {
        MemoryModule.ViewSummaries => "view_summaries",
        MemoryModule.ViewPages => "view_pages",
        MemoryModule.LookUpEntities => "look_up_entities",
        _ => throw new ArgumentOutOfRangeException(nameof(m)),
    };

    /// <summary>The word that ends the module calls of a page.</summary>
    public const string End = "END";

    /// <summary>A module by its name, tolerant of case, spaces/hyphens for underscores, a trailing "()" and the short forms "summaries", "pages", "entities".</summary>
    public static MemoryModule? Parse(string text)
    {
        var t = Normalize(text);
        foreach (var m in All)
        {
            var name = m.Name();
            if (t == name || t == name.Replace("_", "")) return m;
        }
        return t switch
        {
            "summaries" or "summary" => MemoryModule.ViewSummaries,
            "pages" or "sentence_pairs" or "pairs" => MemoryModule.ViewPages,
            "entities" or "entity_records" or "lookup_entities" => MemoryModule.LookUpEntities,
            _ => null,
        };
    }

    internal static string Normalize(string text)
    {
        var t = text.Trim().Trim('`', '"', '\'', '*', '.', ';').ToLowerInvariant();
        if (t.EndsWith("()", StringComparison.Ordinal)) t = t[..^2];
        return string.Join('_', t.Split([' ', '-', '_', '\t'], StringSplitOptions.RemoveEmptyEntries));
    }

    /// <summary>Parse a comma list of module names ("view_pages,look_up_entities", "all", "none").</summary>
    public static IReadOnlyList<MemoryModule> ParseList(string text)
    {
        var t = text.Trim().ToLowerInvariant();
        if (t is "all") return All;
        if (t is "" or "none") return [];
        return text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(s => Parse(s) ?? throw new ArgumentException($"'{s}' is not a memory module; expected {string.Join(", ", All.Select(m => m.Name()))}, all or none."))
            .Distinct().OrderBy(m => m).ToList();
    }
}
