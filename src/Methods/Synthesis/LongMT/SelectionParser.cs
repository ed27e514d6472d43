using System.Text.RegularExpressions;

namespace Engine.Methods.Synthesis.LongMT;

/// <summary>
/// What one selection answer asks for: the module to call next with the item numbers to keep (null = all of them), or
/// the end of the module calls; plus what was wrong with the answer (reported, never thrown).
/// </summary>
public sealed record SelectionAnswer(MemoryModule? Module, IReadOnlyList<int>? Items, IReadOnlyList<string> Problems)
{
    public bool IsEnd => Module is null;

    /// <summary>The canonical answer text for an action: what scripted trajectories teach and DPO pairs contain.</summary>
    public static string Render(MemoryModule? module, IReadOnlyList<int>? items = null) =>
        "[Selection]\n" + (module is { } m ? m.Name() + (items is null ? "" : ": " + string.Join(", ", items)) : MemoryModules.End);
}

/// <summary>
/// A tolerant parser of "[Selection]" answers. It reads the text after the last "[Selection]" (or "Selection:") tag up to
/// the next "[Tag]", else the whole answer, and takes its first entry: a module name (case, spaces, hyphens and "()"
/// forgiven; short forms accepted), optionally followed by ": 1, 3" item numbers, or END / N/A / none. Anything it
/// cannot use — no answer, a module that does not exist, one that was not offered, item numbers out of range — becomes
/// a problem and ends the module calls for the page, so a bad answer costs context, never the run.
/// </summary>
public static partial class SelectionParser
{
    /// <param name="offered">Modules the agent may call now, with how many items each shows.</param>
    public static SelectionAnswer Parse(string answer, IReadOnlyDictionary<MemoryModule, int> offered)
    {
        var problems = new List<string>();
        var body = Body(answer ?? "");
        var entry = body.Split([',', '\n', ';'], StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).FirstOrDefault();
        if (entry is null)
        {
            problems.Add("the selection answer is empty");
            return new SelectionAnswer(null, null, problems);
        }
        // "view_pages: 1, 3" → name and item list (the items may continue after the first comma).
        string name = entry;
        string? itemText = null;
        int colon = body.IndexOf(':');
        if (colon >= 0 && body[..colon].Trim() is { Length: > 0 } head && !head.Contains('\n'))
        {
            name = head;
            itemText = body[(colon + 1)..];
        }
        var normalized = MemoryModules.Normalize(name);
        if (normalized is "end" or "n/a" or "na" or "none" or "nothing" or "translate" or "stop" or "done")
            return new SelectionAnswer(null, null, problems);
        var module = MemoryModules.Parse(name);
        if (module is null)
        {
            problems.Add($"the selection names a module that does not exist: '{Short(name)}' (modules: {string.Join(", ", MemoryModules.All.Select(m => m.Name()))}, or END)");
            return new SelectionAnswer(null, null, problems);
        }
        if (!offered.TryGetValue(module.Value, out int available))
        {
            problems.Add($"the selection names {module.Value.Name()}, which was not offered now");
            return new SelectionAnswer(null, null, problems);
        }
        IReadOnlyList<int>? items = null;
        if (itemText is not null && Numbers().Matches(itemText) is { Count: > 0 } nums)
        {
            var chosen = new SortedSet<int>();
            foreach (Match n in nums)
            {
                if (int.TryParse(n.Value, out var k) && k >= 1 && k <= available) chosen.Add(k);
                else problems.Add($"item {n.Value} of {module.Value.Name()} does not exist (1..{available}); ignored");
            }
            items = chosen.ToList();
            if (items.Count == 0)
            {
                problems.Add($"no valid item of {module.Value.Name()} was selected");
                return new SelectionAnswer(null, null, problems);
            }
        }
        return new SelectionAnswer(module, items, problems);
    }

    private static string Body(string answer)
    {
        var tags = SelectionTag().Matches(answer);
        if (tags.Count == 0) return answer.Trim();
        var after = answer[(tags[^1].Index + tags[^1].Length)..];
        var next = AnyTag().Match(after);
        return (next.Success ? after[..next.Index] : after).Trim();
    }

    private static string Short(string s) => s.Length > 40 ? s[..37] + "..." : s;

    [GeneratedRegex(@"\[\s*selection\s*\]\s*:?|(?m)^\s*selection\s*:", RegexOptions.IgnoreCase)]
    private static partial Regex SelectionTag();

    [GeneratedRegex(@"\[[A-Za-z][A-Za-z ]*\]")]
    private static partial Regex AnyTag();

    [GeneratedRegex(@"-?\d+")]
    private static partial Regex Numbers();
}
