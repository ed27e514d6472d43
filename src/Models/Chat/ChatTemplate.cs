using System.Globalization;
using System.Text;
using Engine.Models.Chat.Jinja;

namespace Engine.Models.Chat;

/// <summary>
/// A Hugging Face chat template (Jinja2), rendered by our own interpreter of the Jinja subset that
/// real templates use (Qwen2.5, Llama 2/3.x, Mistral, SmolLM2/ChatML), with transformers' settings:
/// trim_blocks and lstrip_blocks on, tojson without key sorting or ASCII escaping, raise_exception()
/// and strftime_now() available.
/// </summary>
public sealed class ChatTemplate
{
    readonly Lazy<List<Node>> _nodes;

    /// <summary>Parsing happens on first use, so a tokenizer whose template uses something unsupported
    /// still loads; <see cref="Render"/> then reports the problem.</summary>
    public ChatTemplate(string jinjaSource)
    {
        Source = jinjaSource ?? throw new ArgumentNullException(nameof(jinjaSource));
        _nodes = new Lazy<List<Node>>(() => Parser.Parse(jinjaSource));
    }

    public string Source { get; }

    /// <param name="extra">More template variables: bos_token, eos_token, tools (null = none), date_string,
    /// "messages" (a richer list than <paramref name="messages"/>, e.g. with tool_calls), and "now"
    /// (a DateTime that strftime_now formats; defaults to the current date).</param>
    /// <exception cref="ChatTemplateException">The template called raise_exception() or used something unsupported.</exception>
    public string Render(IReadOnlyList<ChatMessage> messages, bool addGenerationPrompt, IReadOnlyDictionary<string, object?>? extra = null)
    {
        var scope = new Scope(null);
        DateTime now = extra is not null && extra.TryGetValue("now", out var n) && n is DateTime dt ? dt : DateTime.Now;
        scope.Set("raise_exception", new JinjaFunction("raise_exception", (a, _) =>
            throw new ChatTemplateException(a.Count > 0 ? Rt.ToStr(a[0]) : "raise_exception() called by the chat template")));
        scope.Set("strftime_now", new JinjaFunction("strftime_now", (a, _) => Strftime(now, a.Count > 0 ? Rt.ToStr(a[0]) : "%Y-%m-%d")));
        scope.Set("namespace", new JinjaFunction("namespace", (_, kw) => { var ns = new Namespace(); foreach (var (k, v) in kw) ns[k] = v; return ns; }));
        scope.Set("dict", new JinjaFunction("dict", (_, kw) => new Dictionary<string, object?>(kw)));
        scope.Set("range", new JinjaFunction("range", (a, _) =>
        {
            long start = a.Count > 1 ? (long)a[0]! : 0, stop = a.Count > 1 ? (long)a[1]! : a.Count > 0 ? (long)a[0]! : 0, step = a.Count > 2 ? (long)a[2]! : 1;
            var r = new List<object?>();
            for (long i = start; step > 0 ? i < stop : i > stop; i += step) r.Add(i);
            return r;
        }));
        scope.Set("messages", messages.Select(m => Rt.FromClr(m)).ToList());
        scope.Set("add_generation_prompt", addGenerationPrompt);
        if (extra is not null)
            foreach (var (k, v) in extra)
                if (k != "now") scope.Set(k, Rt.FromClr(v));
        var sb = new StringBuilder();
        var body = new Scope(scope);
        try { Node.RenderAll(_nodes.Value, body, sb); }
        catch (LoopControl) { throw new ChatTemplateException("chat template: break/continue outside a loop"); }
        return sb.ToString();
    }

    static readonly string[] Months = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"];
    static readonly string[] Days = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];

    /// <summary>Python strftime for the directives chat templates use (English names, as in the C locale).</summary>
    static string Strftime(DateTime t, string format)
    {
        var sb = new StringBuilder();
        for (int i = 0; i < format.Length; i++)
        {
            if (format[i] != '%' || i + 1 >= format.Length) { sb.Append(format[i]); continue; }
            char d = format[++i];
            sb.Append(d switch
            {
                'd' => t.Day.ToString("00", CultureInfo.InvariantCulture),
                'm' => t.Month.ToString("00", CultureInfo.InvariantCulture),
                'Y' => t.Year.ToString(CultureInfo.InvariantCulture),
                'y' => (t.Year % 100).ToString("00", CultureInfo.InvariantCulture),
                'b' => Months[t.Month - 1][..3],
                'B' => Months[t.Month - 1],
                'a' => Days[(int)t.DayOfWeek][..3],
                'A' => Days[(int)t.DayOfWeek],
                'H' => t.Hour.ToString("00", CultureInfo.InvariantCulture),
                'M' => t.Minute.ToString("00", CultureInfo.InvariantCulture),
                'S' => t.Second.ToString("00", CultureInfo.InvariantCulture),
                'j' => t.DayOfYear.ToString("000", CultureInfo.InvariantCulture),
                '%' => "%",
                _ => "%" + d,
            });
        }
        return sb.ToString();
    }
}
