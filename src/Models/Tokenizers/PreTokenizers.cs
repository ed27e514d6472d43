using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Engine.Models.Tokenizers;

/// <summary>tokenizer.json "pre_tokenizer": splits normalized text into words that BPE sees one at a time.</summary>
abstract class PreTokenizer
{
    /// <param name="firstSection">True when the text is the start of the input (not after an added token);
    /// Metaspace's prepend_scheme "first" depends on it.</param>
    public abstract void Split(List<string> pieces, bool firstSection);

    public static PreTokenizer? FromJson(JsonNode? node)
    {
        if (node is null) return null;
        string type = node.TypeOf("pre_tokenizer");
        return type switch
        {
            "Sequence" => new SequencePreTokenizer(((JsonArray)node["pretokenizers"]!).Select(n => FromJson(n)!).ToArray()),
            "ByteLevel" => new ByteLevelPreTokenizer(node.Bool("add_prefix_space", true), node.Bool("use_regex", true)),
            "Split" => new SplitPreTokenizer(JsonHelpers.Pattern(node["pattern"], "Split pre_tokenizer"),
                ParseBehavior(node.Str("behavior") ?? "Isolated"), node.Bool("invert", false)),
            "Metaspace" => new MetaspacePreTokenizer(node.Str("replacement") ?? "▁",
                node.Str("prepend_scheme") ?? (node.Bool("add_prefix_space", true) ? "always" : "never"), node.Bool("split", true)),
            "Digits" => new SplitPreTokenizer(RegexCache.Get(node.Bool("individual_digits", false) ? @"\p{Nd}" : @"\p{Nd}+"), SplitBehavior.Isolated, false),
            "Whitespace" => new SplitPreTokenizer(RegexCache.Get(@"\w+|[^\w\s]+"), SplitBehavior.Removed, true),
            "WhitespaceSplit" => new SplitPreTokenizer(RegexCache.Get(@"\s+"), SplitBehavior.Removed, false),
            "Punctuation" => new SplitPreTokenizer(RegexCache.Get(@"\p{P}"), ParseBehavior(node.Str("behavior") ?? "Isolated"), false),
            _ => throw new NotSupportedException($"tokenizer.json: pre_tokenizer type \"{type}\" is not supported"),
        };
    }

    public enum SplitBehavior { Removed, Isolated, MergedWithPrevious, MergedWithNext, Contiguous }

    static SplitBehavior ParseBehavior(string s) => s switch
    {
        "Removed" => SplitBehavior.Removed,
        "Isolated" => SplitBehavior.Isolated,
        "MergedWithPrevious" => SplitBehavior.MergedWithPrevious,
        "MergedWithNext" => SplitBehavior.MergedWithNext,
        "Contiguous" => SplitBehavior.Contiguous,
        _ => throw new NotSupportedException($"tokenizer.json: Split behavior \"{s}\" is not supported"),
    };

    /// <summary>Splits every piece at the regex matches and regroups per HF's SplitDelimiterBehavior.</summary>
    protected static void SplitAll(List<string> pieces, Regex regex, SplitBehavior behavior, bool invert)
    {
        var output = new List<string>(pieces.Count * 4);
        var segs = new List<(int Start, int Len, bool IsMatch)>();
        foreach (var piece in pieces)
        {
            segs.Clear();
            int pos = 0;
            for (var m = regex.Match(piece); m.Success; m = m.NextMatch())
            {
                if (m.Length == 0) continue;
                if (m.Index > pos) segs.Add((pos, m.Index - pos, invert));
                segs.Add((m.Index, m.Length, !invert));
                pos = m.Index + m.Length;
            }
            if (pos < piece.Length) segs.Add((pos, piece.Length - pos, invert));

            // In HF terms a "match" is a delimiter; with invert the regex describes the words instead.
            switch (behavior)
            {
                case SplitBehavior.Isolated:
                    foreach (var s in segs) output.Add(piece.Substring(s.Start, s.Len));
                    break;
                case SplitBehavior.Removed:
                    foreach (var s in segs) if (!s.IsMatch) output.Add(piece.Substring(s.Start, s.Len));
                    break;
                case SplitBehavior.MergedWithPrevious:
                {
                    int start = -1, end = 0;
                    foreach (var s in segs)
                    {
                        if (s.IsMatch && start >= 0) { end = s.Start + s.Len; output.Add(piece[start..end]); start = -1; continue; }
                        if (start >= 0) output.Add(piece[start..end]);
                        start = s.Start; end = s.Start + s.Len;
                        if (s.IsMatch) { output.Add(piece[start..end]); start = -1; }
                    }
                    if (start >= 0) output.Add(piece[start..end]);
                    break;
                }
                case SplitBehavior.MergedWithNext:
                {
                    int pending = -1;
                    foreach (var s in segs)
                    {
                        if (s.IsMatch)
                        {
                            if (pending >= 0) output.Add(piece[pending..s.Start]);
                            pending = s.Start;
                        }
                        else
                        {
                            output.Add(piece[(pending >= 0 ? pending : s.Start)..(s.Start + s.Len)]);
                            pending = -1;
                        }
                    }
                    if (pending >= 0) output.Add(piece[pending..]);
                    break;
                }
                case SplitBehavior.Contiguous:
                {
                    int i = 0;
                    while (i < segs.Count)
                    {
                        int j = i;
                        while (j + 1 < segs.Count && segs[j + 1].IsMatch == segs[i].IsMatch) j++;
                        output.Add(piece.Substring(segs[i].Start, segs[j].Start + segs[j].Len - segs[i].Start));
                        i = j + 1;
                    }
                    break;
                }
            }
        }
        pieces.Clear();
        pieces.AddRange(output);
    }

    sealed class SequencePreTokenizer(PreTokenizer[] items) : PreTokenizer
    {
        public override void Split(List<string> pieces, bool firstSection)
        {
            foreach (var p in items) p.Split(pieces, firstSection);
        }
    }

    sealed class SplitPreTokenizer(Regex regex, SplitBehavior behavior, bool invert) : PreTokenizer
    {
        public override void Split(List<string> pieces, bool firstSection) => SplitAll(pieces, regex, behavior, invert);
    }

    /// <summary>GPT-2's pre-tokenizer: optional leading space, the GPT-2 word regex, then bytes → byte alphabet.</summary>
    internal sealed class ByteLevelPreTokenizer(bool addPrefixSpace, bool useRegex) : PreTokenizer
    {
        public const string Gpt2Pattern = @"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+";
        static readonly Regex Gpt2Regex = RegexCache.Get(Gpt2Pattern);

        public override void Split(List<string> pieces, bool firstSection)
        {
            if (addPrefixSpace && pieces.Count > 0 && pieces[0].Length > 0 && pieces[0][0] != ' ')
                pieces[0] = " " + pieces[0];
            if (useRegex) SplitAll(pieces, Gpt2Regex, SplitBehavior.Isolated, false);
            for (int i = 0; i < pieces.Count; i++) pieces[i] = ByteLevelAlphabet.Encode(pieces[i]);
        }
    }

    /// <summary>SentencePiece-style: spaces become ▁, an optional ▁ is prepended, and words start at each ▁.</summary>
    sealed class MetaspacePreTokenizer(string replacement, string prependScheme, bool split) : PreTokenizer
    {
        readonly Regex _splitter = RegexCache.Get(Regex.Escape(replacement));

        public override void Split(List<string> pieces, bool firstSection)
        {
            for (int i = 0; i < pieces.Count; i++)
            {
                string p = pieces[i].Replace(" ", replacement);
                bool prepend = prependScheme == "always" || (prependScheme == "first" && firstSection && i == 0);
                if (prepend && !p.StartsWith(replacement, StringComparison.Ordinal)) p = replacement + p;
                pieces[i] = p;
            }
            if (split) SplitAll(pieces, _splitter, SplitBehavior.MergedWithNext, false);
        }
    }
}
