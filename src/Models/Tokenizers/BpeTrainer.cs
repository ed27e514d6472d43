using System.Text.Json.Nodes;

namespace Engine.Models.Tokenizers;

/// <summary>
/// Trains a byte-level BPE tokenizer (GPT-2 / Qwen2 style) and returns it as an <see cref="HfTokenizer"/>
/// whose <see cref="HfTokenizer.Save"/> writes a tokenizer.json that HF tokenizers loads.
/// Vocabulary order: special tokens, the 256 byte-alphabet characters, then one token per merge.
/// Deterministic: the most frequent pair wins, ties go to the pair with the smaller ids.
/// </summary>
public static class BpeTrainer
{
    /// <summary>Qwen2's pre-tokenizer regex (GPT-4-like: case-insensitive contractions, single digits).</summary>
    public const string PreTokenizerPattern =
        @"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";

    public static HfTokenizer Train(IEnumerable<string> corpus, int vocabSize, IReadOnlyList<string> specialTokens,
        string? chatTemplate = null, int minFrequency = 2)
    {
        ArgumentNullException.ThrowIfNull(corpus);
        if (specialTokens.Distinct().Count() != specialTokens.Count)
            throw new ArgumentException("BpeTrainer.Train: special tokens must be distinct", nameof(specialTokens));
        int baseSize = specialTokens.Count + 256;
        if (vocabSize < baseSize)
            throw new ArgumentOutOfRangeException(nameof(vocabSize), $"BpeTrainer.Train: vocabSize {vocabSize} < {specialTokens.Count} special tokens + 256 bytes");
        if (minFrequency < 1) throw new ArgumentOutOfRangeException(nameof(minFrequency), "BpeTrainer.Train: minFrequency must be ≥ 1");

        // The same pipeline the saved tokenizer runs, so training words are exactly what encoding will see.
        var json = BuildJson(specialTokens, new Dictionary<string, int>(), []);
        var pipeline = HfTokenizer.FromNodes((JsonObject)json.DeepClone(), null);
        var wordCounts = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var text in corpus)
            foreach (var word in pipeline.PreTokenize(text))
                wordCounts[word] = wordCounts.GetValueOrDefault(word) + 1;

        var vocab = new Dictionary<string, int>(StringComparer.Ordinal);
        var tokens = new List<string>();
        foreach (var s in specialTokens) { vocab[s] = tokens.Count; tokens.Add(s); }
        foreach (char c in ByteLevelAlphabet.ByteToChar.OrderBy(c => c))
        {
            string s = c.ToString();
            if (vocab.TryAdd(s, tokens.Count)) tokens.Add(s);
        }

        // Words in a fixed order (ordinal) so pair bookkeeping, and hence ties, never depend on hashing.
        var words = wordCounts.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => (Symbols: kv.Key.Select(c => vocab[c.ToString()]).ToList(), Count: kv.Value)).ToList();
        var pairCounts = new Dictionary<long, long>();
        var where = new Dictionary<long, HashSet<int>>();
        for (int w = 0; w < words.Count; w++)
        {
            var (sym, count) = words[w];
            for (int i = 0; i + 1 < sym.Count; i++) AddPair(pairCounts, where, Key(sym[i], sym[i + 1]), count, w);
        }
        // Max-heap by count, then smaller pair; stale entries are re-checked when popped.
        var heap = new PriorityQueue<long, (long NegCount, long Pair)>();
        foreach (var (p, c) in pairCounts) heap.Enqueue(p, (-c, p));

        var merges = new List<(string, string)>();
        while (tokens.Count < vocabSize && heap.TryDequeue(out long pair, out var pri))
        {
            long current = pairCounts.GetValueOrDefault(pair);
            if (current != -pri.NegCount) { if (current > 0) heap.Enqueue(pair, (-current, pair)); continue; }
            if (current < minFrequency) break;
            int a = (int)(pair >> 32), b = (int)(pair & 0xFFFFFFFF);
            string merged = tokens[a] + tokens[b];
            if (!vocab.TryGetValue(merged, out int newId)) { newId = tokens.Count; vocab[merged] = newId; tokens.Add(merged); }
            merges.Add((tokens[a], tokens[b]));

            var touched = new Dictionary<long, long>();
            foreach (int w in where[pair].OrderBy(x => x).ToArray())
            {
                var (sym, count) = words[w];
                for (int i = 0; i + 1 < sym.Count; i++)
                {
                    if (sym[i] != a || sym[i + 1] != b) continue;
                    if (i > 0) Bump(pairCounts, touched, Key(sym[i - 1], a), -count);
                    if (i + 2 < sym.Count) Bump(pairCounts, touched, Key(b, sym[i + 2]), -count);
                    Bump(pairCounts, touched, pair, -count);
                    sym[i] = newId;
                    sym.RemoveAt(i + 1);
                    if (i > 0) { AddPair(pairCounts, where, Key(sym[i - 1], newId), count, w); touched[Key(sym[i - 1], newId)] = 0; }
                    if (i + 1 < sym.Count) { AddPair(pairCounts, where, Key(newId, sym[i + 1]), count, w); touched[Key(newId, sym[i + 1])] = 0; }
                }
            }
            where.Remove(pair);
            foreach (var p in touched.Keys)
                if (pairCounts.GetValueOrDefault(p) is long c && c > 0) heap.Enqueue(p, (-c, p));
        }

        var config = BuildConfig(specialTokens, chatTemplate);
        return HfTokenizer.FromNodes(BuildJson(specialTokens, vocab, merges), config);
    }

    static long Key(int a, int b) => ((long)a << 32) | (uint)b;

    static void AddPair(Dictionary<long, long> counts, Dictionary<long, HashSet<int>> where, long pair, long count, int word)
    {
        counts[pair] = counts.GetValueOrDefault(pair) + count;
        if (!where.TryGetValue(pair, out var set)) where[pair] = set = [];
        set.Add(word);
    }

    static void Bump(Dictionary<long, long> counts, Dictionary<long, long> touched, long pair, long delta)
    {
        counts[pair] = counts.GetValueOrDefault(pair) + delta;
        touched[pair] = 0;
    }

    static JsonObject BuildJson(IReadOnlyList<string> specialTokens, Dictionary<string, int> vocab, List<(string, string)> merges)
    {
        JsonObject ByteLevel() => new() { ["type"] = "ByteLevel", ["add_prefix_space"] = false, ["trim_offsets"] = true, ["use_regex"] = false };
        var added = new JsonArray();
        for (int i = 0; i < specialTokens.Count; i++) added.Add((JsonNode)new AddedToken(i, specialTokens[i], true).ToJson());
        var vocabJson = new JsonObject();
        foreach (var (t, id) in vocab.OrderBy(kv => kv.Value)) vocabJson[t] = id;
        var mergesJson = new JsonArray();
        foreach (var (x, y) in merges) mergesJson.Add((JsonNode)JsonValue.Create(x + " " + y));
        return new JsonObject
        {
            ["version"] = "1.0",
            ["truncation"] = null,
            ["padding"] = null,
            ["added_tokens"] = added,
            ["normalizer"] = null,
            ["pre_tokenizer"] = new JsonObject
            {
                ["type"] = "Sequence",
                ["pretokenizers"] = new JsonArray(
                    new JsonObject { ["type"] = "Split", ["pattern"] = new JsonObject { ["Regex"] = PreTokenizerPattern }, ["behavior"] = "Isolated", ["invert"] = false },
                    ByteLevel()),
            },
            ["post_processor"] = ByteLevel(),
            ["decoder"] = ByteLevel(),
            ["model"] = new JsonObject
            {
                ["type"] = "BPE",
                ["dropout"] = null,
                ["unk_token"] = null,
                ["continuing_subword_prefix"] = null,
                ["end_of_word_suffix"] = null,
                ["fuse_unk"] = false,
                ["byte_fallback"] = false,
                ["ignore_merges"] = false,
                ["vocab"] = vocabJson,
                ["merges"] = mergesJson,
            },
        };
    }

    /// <summary>tokenizer_config.json: EOS is the first of the usual end markers present among the special
    /// tokens (else the first special token), BOS likewise from the usual begin markers.</summary>
    static JsonObject BuildConfig(IReadOnlyList<string> specialTokens, string? chatTemplate)
    {
        string? Pick(params string[] names) => names.FirstOrDefault(specialTokens.Contains);
        string? eos = Pick("<|im_end|>", "<|endoftext|>", "</s>", "<|eot_id|>", "<|end_of_text|>") ?? specialTokens.FirstOrDefault();
        string? bos = Pick("<s>", "<|begin_of_text|>", "<|bos|>", "<|startoftext|>");
        string? pad = Pick("<|pad|>", "<pad>", "<|endoftext|>") ?? eos;
        var decoder = new JsonObject();
        for (int i = 0; i < specialTokens.Count; i++)
        {
            var entry = new AddedToken(i, specialTokens[i], true).ToJson();
            entry.Remove("id");
            decoder[i.ToString(System.Globalization.CultureInfo.InvariantCulture)] = entry;
        }
        var config = new JsonObject
        {
            ["added_tokens_decoder"] = decoder,
            ["bos_token"] = bos,
            ["eos_token"] = eos,
            ["pad_token"] = pad,
            ["unk_token"] = null,
            ["clean_up_tokenization_spaces"] = false,
            ["model_max_length"] = 1_000_000_000_000_000_019L,
            ["tokenizer_class"] = "PreTrainedTokenizerFast",
        };
        if (chatTemplate is not null) config["chat_template"] = chatTemplate;
        return config;
    }
}
