using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Engine.Models.Tokenizers;

/// <summary>tokenizer.json "decoder": a chain over the token strings (HF's decode_chain), joined at the end.</summary>
abstract class Decoder
{
    public abstract List<string> DecodeChain(List<string> tokens);

    public static Decoder? FromJson(JsonNode? node)
    {
        if (node is null) return null;
        string type = node.TypeOf("decoder");
        return type switch
        {
            "Sequence" => new SequenceDecoder(((JsonArray)node["decoders"]!).Select(n => FromJson(n)!).ToArray()),
            "ByteLevel" => new ByteLevelDecoder(),
            "Replace" => new ReplaceDecoder(JsonHelpers.Pattern(node["pattern"], "Replace decoder"), node.Str("content") ?? ""),
            "ByteFallback" => new ByteFallbackDecoder(),
            "Fuse" => new FuseDecoder(),
            "Strip" => new StripDecoder(node.Str("content") ?? " ", node.Int("start", 0), node.Int("stop", 0)),
            "Metaspace" => new MetaspaceDecoder(node.Str("replacement") ?? "▁",
                (node.Str("prepend_scheme") ?? (node.Bool("add_prefix_space", true) ? "always" : "never")) != "never"),
            _ => throw new NotSupportedException($"tokenizer.json: decoder type \"{type}\" is not supported"),
        };
    }

    sealed class SequenceDecoder(Decoder[] items) : Decoder
    {
        public override List<string> DecodeChain(List<string> tokens)
        {
            foreach (var d in items) tokens = d.DecodeChain(tokens);
            return tokens;
        }
    }

    /// <summary>Byte-alphabet characters back to bytes, then UTF-8 (invalid sequences → U+FFFD).
    /// A token with a character outside the alphabet contributes its own UTF-8 bytes.</summary>
    internal sealed class ByteLevelDecoder : Decoder
    {
        public override List<string> DecodeChain(List<string> tokens)
        {
            var bytes = new List<byte>();
            foreach (var t in tokens)
            {
                int mark = bytes.Count;
                bool ok = true;
                foreach (char c in t)
                {
                    if (ByteLevelAlphabet.TryCharToByte(c, out byte b)) bytes.Add(b);
                    else { ok = false; break; }
                }
                if (!ok)
                {
                    bytes.RemoveRange(mark, bytes.Count - mark);
                    bytes.AddRange(Encoding.UTF8.GetBytes(t));
                }
            }
            return [Encoding.UTF8.GetString(bytes.ToArray())];
        }
    }

    sealed class ReplaceDecoder(Regex pattern, string content) : Decoder
    {
        public override List<string> DecodeChain(List<string> tokens) =>
            tokens.Select(t => pattern.Replace(t, content.Replace("$", "$$"))).ToList();
    }

    /// <summary>Runs of &lt;0xNN&gt; tokens become the UTF-8 text they spell; each invalid byte becomes U+FFFD.</summary>
    sealed class ByteFallbackDecoder : Decoder
    {
        public override List<string> DecodeChain(List<string> tokens)
        {
            var output = new List<string>(tokens.Count);
            var pending = new List<byte>();
            void Flush()
            {
                if (pending.Count == 0) return;
                var arr = pending.ToArray();
                pending.Clear();
                try { output.Add(new UTF8Encoding(false, true).GetString(arr)); }
                catch (DecoderFallbackException) { foreach (var _ in arr) output.Add("\uFFFD"); }
            }
            foreach (var t in tokens)
            {
                if (TryParseByteToken(t, out byte b)) pending.Add(b);
                else { Flush(); output.Add(t); }
            }
            Flush();
            return output;
        }
    }

    internal static bool TryParseByteToken(string t, out byte b)
    {
        b = 0;
        return t.Length == 6 && t.StartsWith("<0x", StringComparison.Ordinal) && t[5] == '>'
            && byte.TryParse(t.AsSpan(3, 2), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out b);
    }

    sealed class FuseDecoder : Decoder
    {
        public override List<string> DecodeChain(List<string> tokens) => [string.Concat(tokens)];
    }

    /// <summary>Removes up to <c>start</c> leading and <c>stop</c> trailing copies of one character from each token.</summary>
    sealed class StripDecoder(string content, int start, int stop) : Decoder
    {
        public override List<string> DecodeChain(List<string> tokens) => tokens.Select(t =>
        {
            int a = 0, z = t.Length;
            for (int i = 0; i < start && a < z && t[a] == content[0]; i++) a++;
            for (int i = 0; i < stop && z > a && t[z - 1] == content[0]; i++) z--;
            return t[a..z];
        }).ToList();
    }

    sealed class MetaspaceDecoder(string replacement, bool stripLeadingSpace) : Decoder
    {
        public override List<string> DecodeChain(List<string> tokens)
        {
            var output = new List<string>(tokens.Count);
            for (int i = 0; i < tokens.Count; i++)
            {
                string t = tokens[i].Replace(replacement, " ");
                if (i == 0 && stripLeadingSpace && t.StartsWith(' ')) t = t[1..];
                output.Add(t);
            }
            return output;
        }
    }
}
