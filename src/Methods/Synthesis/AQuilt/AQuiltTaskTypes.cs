namespace Engine.Methods.Synthesis.AQuilt;

/// <summary>
/// One of AQuilt's ten task types. <see cref="Key"/> is the English name, <see cref="ChineseKey"/> its Chinese twin,
/// <see cref="Slug"/> the prompt file name. <see cref="CarriesPassage"/>: the finished instruction includes the passage
/// (open-book, extractive, summarisation and inference tasks), so its question may point at the text; the others must
/// stand alone, and the text-independence filter applies to them.
/// </summary>
public sealed record AQuiltTaskType(string Key, string ChineseKey, string Slug, bool CarriesPassage);

/// <summary>A task type as the user named it: the type and the prompt language the name implies.</summary>
public sealed record AQuiltTask(AQuiltTaskType Type, string Language)
{
    /// <summary>The name in its language ("extractive question answering" or "抽取式问答"), written into outputs.</summary>
    public string Name => Language == AQuiltTaskTypes.Chinese ? Type.ChineseKey : Type.Key;
    public override string ToString() => Name;
}

/// <summary>The ten task types and how a name given on the command line or in a record resolves to one.</summary>
public static class AQuiltTaskTypes
{
    public const string English = "en";
    public const string Chinese = "zh";

    public static readonly IReadOnlyList<AQuiltTaskType> All =
    [
        new("single choice question answering", "单项选择问答", "single-choice-question-answering", false),
        new("multi choice question answering", "多项选择问答", "multi-choice-question-answering", false),
        new("close question answering", "闭卷问答", "close-question-answering", false),
        new("open question answering", "开卷问答", "open-question-answering", true),
        new("text summarization", "文本摘要", "text-summarization", true),
        new("text generation", "文本生成", "text-generation", false),
        new("natural language inference", "自然语言推断", "natural-language-inference", true),
        new("text classification", "文本分类", "text-classification", false),
        new("extractive question answering", "抽取式问答", "extractive-question-answering", true),
        new("natural language understanding", "自然语言理解", "natural-language-understanding", false),
    ];

    /// <summary>
    /// The task a name means: an English key (any case; spaces, hyphens and underscores alike), a Chinese key, or a slug.
    /// The prompt language follows the name, as in AQuilt: Chinese when it has more CJK characters than Latin letters.
    /// An unknown name is an error that lists every valid one.
    /// </summary>
    public static AQuiltTask Parse(string name)
    {
        var trimmed = name.Trim();
        var normal = Normalise(trimmed);
        foreach (var t in All)
        {
            if (trimmed == t.ChineseKey) return new AQuiltTask(t, Chinese);
            if (normal == Normalise(t.Key)) return new AQuiltTask(t, LanguageOf(trimmed));
        }
        throw new ArgumentException($"Unknown AQuilt task type '{name}'. Valid task types: "
            + string.Join(", ", All.Select(t => $"'{t.Key}' ({t.ChineseKey})")) + ".");
    }

    /// <summary>A comma-separated list of task types (English or Chinese names), each resolved by <see cref="Parse"/>; duplicates are an error.</summary>
    public static IReadOnlyList<AQuiltTask> ParseList(string list)
    {
        var tasks = list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(Parse).ToList();
        if (tasks.Count == 0) throw new ArgumentException("No AQuilt task type given. Valid task types: " + string.Join(", ", All.Select(t => $"'{t.Key}'")) + ".");
        var dup = tasks.GroupBy(t => t.Name).FirstOrDefault(g => g.Count() > 1);
        if (dup is not null) throw new ArgumentException($"AQuilt task type '{dup.Key}' is listed twice.");
        return tasks;
    }

    /// <summary>"zh" when the text has more CJK ideographs (U+4E00–U+9FFF) than ASCII letters, else "en".</summary>
    public static string LanguageOf(string text)
    {
        int cjk = 0, latin = 0;
        foreach (var c in text)
        {
            if (c is >= '\u4E00' and <= '\u9FFF') cjk++;
            else if (c is >= 'a' and <= 'z' or >= 'A' and <= 'Z') latin++;
        }
        return cjk > latin ? Chinese : English;
    }

    private static string Normalise(string s) => string.Join(' ', s.ToLowerInvariant().Split([' ', '-', '_'], StringSplitOptions.RemoveEmptyEntries));
}
