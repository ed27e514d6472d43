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
            var (subject, map) = AstralShadow(piece);
            for (var m = regex.Match(subject); m.Success; m = m.NextMatch())
            {
                if (m.Length == 0) continue;
                int mStart = map is null ? m.Index : map[m.Index], mEnd = map is null ? m.Index + m.Length : map[m.Index + m.Length];
                if (mStart > pos) segs.Add((pos, mStart - pos, invert));
                segs.Add((mStart, mEnd - mStart, !invert));
                pos = mEnd;
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

    /// <summary>
    /// .NET regex sees UTF-16 code units, so a character outside the BMP is two "surrogates" that match neither
    /// \p{L} nor \p{N}, whereas HF's regex sees one code point (𝐀 is a letter, 𝟏 a digit). When a piece has
    /// surrogate pairs, the regex runs on a shadow string where each pair is one BMP character of the same
    /// Unicode category; <c>map</c> turns shadow indices back into piece indices.
    /// </summary>
    static (string Subject, int[]? Map) AstralShadow(string piece)
    {
        int first = -1;
        for (int i = 0; i + 1 < piece.Length; i++)
            if (char.IsHighSurrogate(piece[i]) && char.IsLowSurrogate(piece[i + 1])) { first = i; break; }
        if (first < 0) return (piece, null);
        var shadow = new System.Text.StringBuilder(piece.Length);
        var map = new List<int>(piece.Length + 1);
        for (int i = 0; i < piece.Length; i++)
        {
            map.Add(i);
            if (char.IsHighSurrogate(piece[i]) && i + 1 < piece.Length && char.IsLowSurrogate(piece[i + 1]))
            {
                shadow.Append(Representative(System.Globalization.CharUnicodeInfo.GetUnicodeCategory(char.ConvertToUtf32(piece[i], piece[i + 1]))));
                i++;
            }
            else shadow.Append(piece[i]);
        }
        map.Add(piece.Length);
        return (shadow.ToString(), map.ToArray());
    }

    /// <summary>A BMP character of the given category that patterns do not name literally.</summary>
    static char Representative(System.Globalization.UnicodeCategory c) => c switch
    {
        System.Globalization.UnicodeCategory.UppercaseLetter => 'Ａ',
        System.Globalization.UnicodeCategory.LowercaseLetter => 'ａ',
        System.Globalization.UnicodeCategory.TitlecaseLetter => '\u01C5',
        System.Globalization.UnicodeCategory.ModifierLetter => '\u02B0',
        System.Globalization.UnicodeCategory.OtherLetter => '\u4E00',
        System.Globalization.UnicodeCategory.NonSpacingMark => '\u0300',
        System.Globalization.UnicodeCategory.SpacingCombiningMark => '\u0903',
        System.Globalization.UnicodeCategory.EnclosingMark => '\u20DD',
        System.Globalization.UnicodeCategory.DecimalDigitNumber => '０',
        System.Globalization.UnicodeCategory.LetterNumber => '\u2160',
        System.Globalization.UnicodeCategory.OtherNumber => '\u00B2',
        System.Globalization.UnicodeCategory.MathSymbol => '\u00AC',
        System.Globalization.UnicodeCategory.CurrencySymbol => '\u00A2',
        System.Globalization.UnicodeCategory.ModifierSymbol => '\u02DA',
        System.Globalization.UnicodeCategory.ConnectorPunctuation => '\u203F',
        System.Globalization.UnicodeCategory.DashPunctuation => '\u2010',
        System.Globalization.UnicodeCategory.OpenPunctuation => '\u2045',
        System.Globalization.UnicodeCategory.ClosePunctuation => '\u2046',
        System.Globalization.UnicodeCategory.InitialQuotePunctuation => '\u00AB',
        System.Globalization.UnicodeCategory.FinalQuotePunctuation => '\u00BB',
        System.Globalization.UnicodeCategory.OtherPunctuation => '\u00B6',
        System.Globalization.UnicodeCategory.Format => '\u200B',
        System.Globalization.UnicodeCategory.PrivateUse => '\uE000',
        System.Globalization.UnicodeCategory.OtherNotAssigned => '\u0378',
        _ => '\u00A9',   // OtherSymbol (emoji) and anything else
    };

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
