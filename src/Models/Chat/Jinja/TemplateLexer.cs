using System.Text;

namespace Engine.Models.Chat.Jinja;

enum ChunkKind { Text, Output, Statement }

/// <summary>A piece of template source: literal text, or the inside of a {{ }} / {% %} tag.</summary>
sealed record Chunk(ChunkKind Kind, string Content, int Line);

/// <summary>
/// Cuts template source into text and tags and applies whitespace control the way transformers'
/// Jinja environment does: explicit <c>{%- -%}</c>/<c>{{- -}}</c> trimming plus trim_blocks and
/// lstrip_blocks (both on in transformers) for statement and comment tags.
/// </summary>
static class TemplateLexer
{
    sealed class Raw
    {
        public ChunkKind Kind; public bool IsComment; public string Content = ""; public int Line;
        public bool TrimLeft, TrimRight, NoLstrip, PendingTrimStart, PendingNewline;
        public StringBuilder? Text;
    }

    public static List<Chunk> Lex(string src)
    {
        var raws = new List<Raw>();
        int pos = 0, line = 1;
        var text = new StringBuilder();
        while (pos < src.Length)
        {
            int open = src.IndexOf('{', pos);
            while (open >= 0 && open + 1 < src.Length && src[open + 1] is not ('{' or '%' or '#')) open = src.IndexOf('{', open + 1);
            if (open < 0 || open + 1 >= src.Length) { text.Append(src, pos, src.Length - pos); break; }
            text.Append(src, pos, open - pos);
            raws.Add(new Raw { Kind = ChunkKind.Text, Text = text, Line = line });
            line += CountLines(src, pos, open);
            text = new StringBuilder();
            char kind = src[open + 1];
            string close = kind switch { '{' => "}}", '%' => "%}", _ => "#}" };
            int start = open + 2;
            var raw = new Raw { Line = line, Kind = kind == '{' ? ChunkKind.Output : ChunkKind.Statement, IsComment = kind == '#' };
            if (start < src.Length && src[start] == '-') { raw.TrimLeft = true; start++; }
            else if (start < src.Length && src[start] == '+') { raw.NoLstrip = true; start++; }
            int end = FindClose(src, start, close, kind == '#');
            if (end < 0) throw new ChatTemplateException($"chat template line {line}: unclosed '{{{kind}' tag");
            int contentEnd = end;
            if (contentEnd > start && src[contentEnd - 1] == '-') { raw.TrimRight = true; contentEnd--; }
            else if (contentEnd > start && src[contentEnd - 1] == '+') contentEnd--;
            raw.Content = src[start..contentEnd].Trim();
            raws.Add(raw);
            line += CountLines(src, open, end + 2);
            pos = end + 2;
        }
        raws.Add(new Raw { Kind = ChunkKind.Text, Text = text, Line = line });

        for (int i = 0; i < raws.Count; i++)
        {
            var r = raws[i];
            if (r.Kind == ChunkKind.Text) continue;
            bool block = r.Kind == ChunkKind.Statement;
            var before = raws[i - 1].Text!;   // tags always sit between two text raws
            var after = raws[i + 1].Kind == ChunkKind.Text ? raws[i + 1].Text : null;
            if (r.TrimLeft) TrimEnd(before);
            else if (block && !r.NoLstrip) LstripBlock(before, i == 1 ? null : raws[i - 2]);
            if (after is not null)
            {
                if (r.TrimRight) raws[i + 1].PendingTrimStart = true;
                else if (block) raws[i + 1].PendingNewline = true;
            }
        }

        var chunks = new List<Chunk>();
        foreach (var r in raws)
        {
            if (r.Kind == ChunkKind.Text)
            {
                string s = r.Text!.ToString();
                if (r.PendingTrimStart) s = s.TrimStart();
                else if (r.PendingNewline) s = s.StartsWith("\r\n") ? s[2..] : s.StartsWith('\n') ? s[1..] : s;
                if (s.Length > 0) chunks.Add(new Chunk(ChunkKind.Text, s, r.Line));
            }
            else if (!r.IsComment) chunks.Add(new Chunk(r.Kind, r.Content, r.Line));
        }
        return chunks;
    }

    static int CountLines(string s, int from, int to)
    {
        int n = 0;
        for (int i = from; i < to && i < s.Length; i++) if (s[i] == '\n') n++;
        return n;
    }

    static int FindClose(string src, int from, string close, bool comment)
    {
        if (comment) return src.IndexOf(close, from, StringComparison.Ordinal);
        char quote = '\0';
        for (int i = from; i + 1 < src.Length; i++)
        {
            char c = src[i];
            if (quote != '\0') { if (c == '\\') i++; else if (c == quote) quote = '\0'; continue; }
            if (c is '\'' or '"') { quote = c; continue; }
            if (c == close[0] && src[i + 1] == close[1]) return i;
        }
        return -1;
    }

    static void TrimEnd(StringBuilder sb)
    {
        int n = sb.Length;
        while (n > 0 && char.IsWhiteSpace(sb[n - 1])) n--;
        sb.Length = n;
    }

    /// <summary>lstrip_blocks: spaces/tabs between the start of a line and a block tag are dropped.</summary>
    static void LstripBlock(StringBuilder sb, Raw? tagBefore)
    {
        int n = sb.Length;
        while (n > 0 && sb[n - 1] is ' ' or '\t') n--;
        bool atLineStart = n > 0 ? sb[n - 1] == '\n' : tagBefore is null;
        if (atLineStart) sb.Length = n;
    }
}
