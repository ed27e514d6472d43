using System.Text.Json.Nodes;
using Microsoft.Extensions.AI;

namespace Engine.Methods.Synthesis.LongMT;

/// <summary>
/// A finished page as the page log stores it: enough to rebuild the memory without asking the model again (its
/// translation and memory update) and to write the document's output line (calls, problems, search and pairs).
/// </summary>
public sealed record PageRecord(long Doc, string Id, int Page, int First, int Count, IReadOnlyList<string> Translation,
    IReadOnlyList<ModuleCall> Calls, PageMemoryUpdate Memory, IReadOnlyList<string> Problems, JsonObject? Search)
{
    public JsonObject ToJson(string fingerprint) => new()
    {
        ["doc"] = Doc, ["id"] = Id, ["page"] = Page, ["first"] = First, ["count"] = Count,
        ["translation"] = Strings(Translation),
        ["calls"] = CallsJson(Calls),
        ["memory"] = new JsonObject
        {
            ["summary"] = Memory.Summary,
            ["entities"] = new JsonArray(Memory.Entities.Select(e => (JsonNode)new JsonObject { ["source"] = e.Source, ["target"] = e.Target }).ToArray()),
        },
        ["problems"] = Strings(Problems),
        ["search"] = Search?.DeepClone(),
        ["fingerprint"] = fingerprint,
    };

    public static PageRecord FromJson(JsonObject o) => new(
        o["doc"]!.GetValue<long>(), o["id"]!.GetValue<string>(), o["page"]!.GetValue<int>(), o["first"]!.GetValue<int>(), o["count"]!.GetValue<int>(),
        o["translation"]!.AsArray().Select(x => x!.GetValue<string>()).ToList(),
        o["calls"]!.AsArray().Select(c => new ModuleCall(MemoryModules.Parse(c!["module"]!.GetValue<string>())!.Value,
            c["items"] is JsonArray items ? items.Select(i => i!.GetValue<int>()).ToList() : null)).ToList(),
        new PageMemoryUpdate(o["memory"]?["summary"]?.GetValue<string>(),
            (o["memory"]?["entities"] as JsonArray ?? []).Select(e => new EntityGloss(e!["source"]!.GetValue<string>(), e["target"]!.GetValue<string>())).ToList()),
        o["problems"]!.AsArray().Select(x => x!.GetValue<string>()).ToList(),
        o["search"] as JsonObject);

    public static JsonArray Strings(IEnumerable<string> s) => new(s.Select(x => (JsonNode)JsonValue.Create(x)).ToArray());

    public static JsonArray CallsJson(IEnumerable<ModuleCall> calls) => new(calls.Select(c =>
    {
        var o = new JsonObject { ["module"] = c.Module.Name() };
        if (c.Items is { } items) o["items"] = new JsonArray(items.Select(i => (JsonNode)JsonValue.Create(i)).ToArray());
        return (JsonNode)o;
    }).ToArray());

    public static JsonArray Messages(IEnumerable<ChatMessage> messages) =>
        new(messages.Select(m => (JsonNode)new JsonObject { ["role"] = m.Role.Value, ["content"] = m.Text }).ToArray());

    /// <summary>The search result with its pairs in the standard conversational preference form.</summary>
    public static JsonObject SearchJson(PageSearchResult s) => new()
    {
        ["baseline"] = s.Baseline, ["score"] = s.Score, ["modules"] = Strings(s.Modules.Select(m => m.Name())), ["evaluations"] = s.Evaluations,
        ["tree"] = Strings(s.Tree),
        ["trajectory"] = Messages(s.Trajectory),
        ["pairs"] = new JsonArray(s.Pairs.Select(p => (JsonNode)new JsonObject
        {
            ["kind"] = p.Kind, ["level"] = p.Level,
            ["prompt"] = Messages(p.Prompt),
            ["chosen"] = new JsonArray(new JsonObject { ["role"] = "assistant", ["content"] = p.Chosen }),
            ["rejected"] = new JsonArray(new JsonObject { ["role"] = "assistant", ["content"] = p.Rejected }),
            ["chosen_score"] = p.ChosenScore, ["rejected_score"] = p.RejectedScore, ["chosen_visits"] = p.ChosenVisits, ["rejected_visits"] = p.RejectedVisits,
        }).ToArray()),
    };
}

/// <summary>
/// The per-page log beside a LongMT output (<c>&lt;output&gt;.pages.jsonl</c>): every finished page is appended and
/// flushed at once, so a run killed mid-document loses at most the page in progress. A resumed run replays the logged
/// pages of an unfinished document (translation and memory update, no model call) and continues with the next page;
/// a torn last line is dropped, and lines made with other options (another fingerprint) are ignored.
/// </summary>
public sealed class PageLog : IDisposable
{
    private readonly Dictionary<long, List<PageRecord>> _done = [];
    private readonly Core.Data.ResumableJsonlWriter _writer;
    private readonly string _fingerprint;
    private readonly object _lock = new();

    public string Path { get; }
    /// <summary>Logged lines ignored because another fingerprint made them.</summary>
    public int Ignored { get; }

    public PageLog(string path, bool resume, string fingerprint)
    {
        Path = path; _fingerprint = fingerprint;
        if (resume && File.Exists(path))
        {
            var complete = Core.Data.ResumableJsonlWriter.CountCompleteLines(path);
            foreach (var line in File.ReadLines(path).Take((int)complete))
            {
                if (JsonNode.Parse(line) is not JsonObject o) continue;
                if (o["fingerprint"]?.GetValue<string>() != fingerprint) { Ignored++; continue; }
                var r = PageRecord.FromJson(o);
                var list = _done.TryGetValue(r.Doc, out var l) ? l : _done[r.Doc] = [];
                // A page logged twice (never by this code, but a copied log could) counts once.
                if (!list.Any(x => x.Page == r.Page)) list.Add(r);
            }
        }
        _writer = new Core.Data.ResumableJsonlWriter(path, resume);
    }

    /// <summary>The logged pages of a document, in page order, stopping at the first gap.</summary>
    public IReadOnlyList<PageRecord> Done(long doc, string id)
    {
        lock (_lock)
        {
            if (!_done.TryGetValue(doc, out var list)) return [];
            var ordered = list.Where(r => r.Id == id).OrderBy(r => r.Page).ToList();
            int n = 0;
            while (n < ordered.Count && ordered[n].Page == n) n++;
            return ordered.Take(n).ToList();
        }
    }

    public void Append(PageRecord r)
    {
        lock (_lock) _writer.Write(r.ToJson(_fingerprint));
    }

    public void Dispose() { lock (_lock) _writer.Dispose(); }
}
