using System.Globalization;
using System.Text;

namespace Engine.Models.Chat.Jinja;

enum TokKind { Name, String, Int, Float, Op, End }

readonly record struct Tok(TokKind Kind, string Text, object? Value = null);

/// <summary>Tokens of a Jinja expression (the inside of a tag).</summary>
static class ExprLexer
{
    static readonly string[] TwoCharOps = ["==", "!=", "<=", ">=", "//", "**"];

    public static List<Tok> Lex(string s, int line)
    {
        var toks = new List<Tok>();
        int i = 0;
        while (i < s.Length)
        {
            char c = s[i];
            if (char.IsWhiteSpace(c)) { i++; continue; }
            if (char.IsLetter(c) || c == '_')
            {
                int st = i;
                while (i < s.Length && (char.IsLetterOrDigit(s[i]) || s[i] == '_')) i++;
                toks.Add(new Tok(TokKind.Name, s[st..i]));
                continue;
            }
            if (char.IsDigit(c))
            {
                int st = i;
                while (i < s.Length && (char.IsDigit(s[i]) || s[i] == '_')) i++;
                bool isFloat = i + 1 < s.Length && s[i] == '.' && char.IsDigit(s[i + 1]);
                if (isFloat) { i++; while (i < s.Length && char.IsDigit(s[i])) i++; }
                string num = s[st..i].Replace("_", "");
                toks.Add(isFloat ? new Tok(TokKind.Float, num, double.Parse(num, CultureInfo.InvariantCulture))
                                 : new Tok(TokKind.Int, num, long.Parse(num, CultureInfo.InvariantCulture)));
                continue;
            }
            if (c is '\'' or '"')
            {
                var sb = new StringBuilder();
                i++;
                while (true)
                {
                    if (i >= s.Length) throw new ChatTemplateException($"chat template line {line}: unterminated string in '{s}'");
                    char d = s[i++];
                    if (d == c) break;
                    if (d != '\\' || i >= s.Length) { sb.Append(d); continue; }
                    char e = s[i++];
                    switch (e)
                    {
                        case 'n': sb.Append('\n'); break;
                        case 't': sb.Append('\t'); break;
                        case 'r': sb.Append('\r'); break;
                        case '\\': sb.Append('\\'); break;
                        case '\'': sb.Append('\''); break;
                        case '"': sb.Append('"'); break;
                        case 'u' when i + 4 <= s.Length:
                            sb.Append((char)int.Parse(s.AsSpan(i, 4), NumberStyles.HexNumber, CultureInfo.InvariantCulture)); i += 4; break;
                        default: sb.Append('\\').Append(e); break;   // Python keeps unknown escapes verbatim
                    }
                }
                toks.Add(new Tok(TokKind.String, sb.ToString(), sb.ToString()));
                continue;
            }
            if (i + 1 < s.Length && Array.IndexOf(TwoCharOps, s.Substring(i, 2)) >= 0)
            {
                toks.Add(new Tok(TokKind.Op, s.Substring(i, 2)));
                i += 2;
                continue;
            }
            if ("+-*/%~|.,:()[]{}=<>!".IndexOf(c) >= 0) { toks.Add(new Tok(TokKind.Op, c.ToString())); i++; continue; }
            throw new ChatTemplateException($"chat template line {line}: unexpected character '{c}' in '{s}'");
        }
        toks.Add(new Tok(TokKind.End, ""));
        return toks;
    }
}
