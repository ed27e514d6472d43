using System.Globalization;
using System.Text;

namespace Engine.Models;

/// <summary>Python json.dumps string escaping, which both HF index files and chat templates' tojson follow.</summary>
public static class PythonJson
{
    /// <param name="ensureAscii">json.dumps' ensure_ascii: everything outside ' '..'~' becomes \uXXXX (index files);
    /// false keeps non-ASCII as is and escapes only control characters (tojson in chat templates).</param>
    public static void WriteString(StringBuilder sb, string s, bool ensureAscii)
    {
        sb.Append('"');
        foreach (char c in s)
        {
            switch (c)
            {
                case '"': sb.Append("\\\""); break;
                case '\\': sb.Append("\\\\"); break;
                case '\n': sb.Append("\\n"); break;
                case '\r': sb.Append("\\r"); break;
                case '\t': sb.Append("\\t"); break;
                case '\b': sb.Append("\\b"); break;
                case '\f': sb.Append("\\f"); break;
                default:
                    if (c < 0x20 || (ensureAscii && c > '~')) sb.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                    else sb.Append(c);
                    break;
            }
        }
        sb.Append('"');
    }

    /// <summary>The string literal alone, as json.dumps writes it.</summary>
    public static string Quote(string s, bool ensureAscii)
    {
        var sb = new StringBuilder(s.Length + 2);
        WriteString(sb, s, ensureAscii);
        return sb.ToString();
    }
}
