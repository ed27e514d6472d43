using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Engine.Methods.Core.Jobs;

namespace Engine.Methods.Selection.CDT;

/// <summary>How the option list is written: with each label's definition (the paper), or names only (short enough for a tiny local tagger's context).</summary>
public enum CdtPromptStyle { Full, Compact }

/// <summary>One dimension's prompt: a system line and a template with {options}, {instruction}, {count}, {groups} and {max}.</summary>
public sealed record CdtPrompt(string System, string Template);

/// <summary>
/// CDT's three tagging prompts (a data file: the built-in <c>prompts.json</c> or the user's own), and the building of
/// one prompt. The option list is shuffled per sample to spread position bias, as the paper does, but with a seed
/// derived from the instruction text and the dimension (the paper's shuffle is unseeded), so the same instruction
/// always gets the same prompt: tagging is reproducible and cacheable.
/// </summary>
public sealed partial class CdtPrompts(CdtPrompt cognition, CdtPrompt domain, CdtPrompt task)
{
    private static readonly Lazy<CdtPrompts> Embedded = new(() => Parse(CdtResources.Read("prompts.json"), "prompts.json (built in)"));
    public static CdtPrompts Default => Embedded.Value;

    public CdtPrompt this[CdtDimension d] => d switch
    {
        CdtDimension.Cognition => cognition,
        CdtDimension.Domain => domain,
        _ => task,
    };

    public string Digest => ContentDigest.OfText(string.Join("\n\u0001", CdtDimensions.All.Select(d => this[d].System + "\n\u0002" + this[d].Template)));

    public static CdtPrompts Load(string path) => Parse(File.ReadAllText(path), path);

    public static CdtPrompts Parse(string json, string source)
    {
        JsonNode? root;
        try { root = JsonNode.Parse(json); }
        catch (JsonException e) { throw new InvalidDataException($"{source}: not valid JSON ({e.Message})."); }
        CdtPrompt Read(CdtDimension d)
        {
            string Field(string f) => root?[d.FieldName()]?[f] is JsonValue v && v.TryGetValue<string>(out var s) && s.Length > 0 ? s
                : throw new InvalidDataException($"{source}: \"{d.FieldName()}.{f}\" is missing or not a string.");
            var p = new CdtPrompt(Field("system"), Field("template"));
            foreach (var needed in new[] { "{options}", "{instruction}" })
                if (!p.Template.Contains(needed, StringComparison.Ordinal))
                    throw new InvalidDataException($"{source}: \"{d.FieldName()}.template\" has no {needed} placeholder.");
            return p;
        }
        return new CdtPrompts(Read(CdtDimension.Cognition), Read(CdtDimension.Domain), Read(CdtDimension.Task));
    }

    /// <summary>The paper's clean-up of the instruction before tagging: blank lines collapsed ("\n\n" → "\n").</summary>
    public static string CleanInstruction(string instruction) => instruction.Replace("\n\n", "\n", StringComparison.Ordinal);

    /// <summary>The seed of one sample's option order.</summary>
    public static ulong OptionSeed(CdtDimension d, string instruction, ulong seed) => CdtRandom.Hash(d.FieldName() + "\u0001" + instruction) ^ seed;

    /// <summary>The (system, user) prompt for one instruction and dimension.</summary>
    public (string System, string User) Build(CdtDimension d, string instruction, CdtLabelSet labels, CdtPromptStyle style, ulong seed = 0)
    {
        var text = CleanInstruction(instruction);
        var set = labels[d];
        var values = new Dictionary<string, string>
        {
            ["options"] = Options(set, style, new CdtRandom(OptionSeed(d, text, seed))),
            ["instruction"] = text,
            ["count"] = set.Count.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["groups"] = set.Groups.Count.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["max"] = d.MaxLabels().ToString(System.Globalization.CultureInfo.InvariantCulture),
        };
        // One pass, so braces inside the instruction are never taken for placeholders.
        var user = Placeholder().Replace(this[d].Template, m => values[m.Groups[1].Value]);
        return (this[d].System, user);
    }

    /// <summary>
    /// The option lines, each starting with "\n": grouped labels as "Main: sub1, sub2" (one line per group, groups
    /// shuffled), others as "NAME: definition" (full) or "NAME" (compact), shuffled.
    /// </summary>
    public static string Options(CdtLabels set, CdtPromptStyle style, CdtRandom rng)
    {
        var lines = new List<string>();
        foreach (var group in set.Groups)
            lines.Add(group + ": " + string.Join(", ", set.Labels.Where(l => l.Group == group).Select(l => l.Name)));
        foreach (var l in set.Labels.Where(l => l.Group is null))
            lines.Add(style == CdtPromptStyle.Full && l.Definition is { } def ? l.Name + ": " + def : l.Name);
        rng.Shuffle(lines);
        var sb = new StringBuilder();
        foreach (var line in lines) sb.Append('\n').Append(line);
        return sb.ToString();
    }

    [GeneratedRegex(@"\{(options|instruction|count|groups|max)\}")]
    private static partial Regex Placeholder();
}
