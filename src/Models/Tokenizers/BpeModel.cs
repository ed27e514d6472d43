using System.Collections.Concurrent;
using System.Text;
using System.Text.Json.Nodes;

namespace Engine.Models.Tokenizers;

/// <summary>
/// tokenizer.json <c>model</c> of type BPE: a word is split into characters (or byte-fallback
/// tokens), then adjacent pairs are merged lowest-rank first until no merge applies.
/// Results are cached per word, so a dataset's repeated words cost one dictionary lookup.
/// </summary>
sealed class BpeModel
{
    readonly Dictionary<string, int> _vocab;
    readonly Dictionary<int, string> _idToToken;
    readonly Dictionary<long, (int Rank, int Merged)> _merges;
    readonly int? _unkId;
    readonly bool _fuseUnk, _byteFallback, _ignoreMerges;
    readonly string? _prefix, _suffix;
    readonly int[]? _byteIds;
    readonly ConcurrentDictionary<string, int[]> _cache = new(StringComparer.Ordinal);
    const int CacheCapacity = 500_000;

    public IReadOnlyDictionary<string, int> Vocab => _vocab;
    public int MaxId { get; }

    public BpeModel(Dictionary<string, int> vocab, IReadOnlyList<(string A, string B)> merges, string? unkToken,
        bool fuseUnk, bool byteFallback, bool ignoreMerges, string? continuingSubwordPrefix, string? endOfWordSuffix)
    {
        _vocab = vocab;
        _idToToken = new Dictionary<int, string>(vocab.Count);
        foreach (var (t, id) in vocab) _idToToken[id] = t;
        MaxId = vocab.Count == 0 ? -1 : vocab.Values.Max();
        _merges = new Dictionary<long, (int, int)>(merges.Count);
        int prefixLen = continuingSubwordPrefix?.Length ?? 0;
        for (int rank = 0; rank < merges.Count; rank++)
        {
            var (a, b) = merges[rank];
            if (!vocab.TryGetValue(a, out int ia) || !vocab.TryGetValue(b, out int ib))
                throw new FormatException($"tokenizer.json: merge #{rank} \"{a} {b}\" uses a token missing from the vocab");
            string merged = a + (prefixLen > 0 && b.StartsWith(continuingSubwordPrefix!, StringComparison.Ordinal) ? b[prefixLen..] : b);
            if (!vocab.TryGetValue(merged, out int im))
                throw new FormatException($"tokenizer.json: merge #{rank} \"{a} {b}\" produces \"{merged}\", missing from the vocab");
            _merges.TryAdd(Key(ia, ib), (rank, im));
        }
        if (unkToken is not null)
        {
            if (!vocab.TryGetValue(unkToken, out int u))
                throw new FormatException($"tokenizer.json: unk_token \"{unkToken}\" is not in the vocab");
            _unkId = u;
        }
        _fuseUnk = fuseUnk;
        _byteFallback = byteFallback;
        _ignoreMerges = ignoreMerges;
        _prefix = string.IsNullOrEmpty(continuingSubwordPrefix) ? null : continuingSubwordPrefix;
        _suffix = string.IsNullOrEmpty(endOfWordSuffix) ? null : endOfWordSuffix;
        if (byteFallback)
        {
            _byteIds = new int[256];
            for (int b = 0; b < 256; b++) _byteIds[b] = vocab.TryGetValue($"<0x{b:X2}>", out int id) ? id : -1;
        }
    }

    static long Key(int a, int b) => ((long)a << 32) | (uint)b;

    public static BpeModel FromJson(JsonNode model)
    {
        var vocab = new Dictionary<string, int>(StringComparer.Ordinal);
        if (model["vocab"] is JsonObject vo)
            foreach (var (k, v) in vo) vocab[k] = v!.GetValue<int>();
        var merges = new List<(string, string)>();
        if (model["merges"] is JsonArray ma)
            foreach (var m in ma)
            {
                if (m is JsonArray pair) merges.Add((pair[0]!.GetValue<string>(), pair[1]!.GetValue<string>()));
                else
                {
                    string s = m!.GetValue<string>();
                    int sp = s.IndexOf(' ', 1);   // a token may itself be a lone space in legacy files: split after the first char at least
                    if (sp < 0) throw new FormatException($"tokenizer.json: merge \"{s}\" is not \"a b\"");
                    merges.Add((s[..sp], s[(sp + 1)..]));
                }
            }
        if (model["dropout"] is JsonValue dv && dv.TryGetValue<double>(out double dropout) && dropout > 0)
            throw new NotSupportedException($"tokenizer.json: BPE dropout {dropout} is not supported (inference only uses 0/null)");
        return new BpeModel(vocab, merges, model.Str("unk_token"), model.Bool("fuse_unk", false), model.Bool("byte_fallback", false),
            model.Bool("ignore_merges", false), model.Str("continuing_subword_prefix"), model.Str("end_of_word_suffix"));
    }

    public int? TokenToId(string token) => _vocab.TryGetValue(token, out int id) ? id : null;
    public string? IdToToken(int id) => _idToToken.TryGetValue(id, out var t) ? t : null;

    public void EncodeWord(string word, List<int> output)
    {
        if (word.Length == 0) return;
        if (_ignoreMerges && _suffix is null && _vocab.TryGetValue(word, out int whole)) { output.Add(whole); return; }
        if (_cache.TryGetValue(word, out var cached)) { output.AddRange(cached); return; }
        var ids = Merge(InitialSymbols(word));
        if (_cache.Count < CacheCapacity) _cache.TryAdd(word, ids);
        output.AddRange(ids);
    }

    /// <summary>One symbol per character (surrogate pairs kept whole), with byte fallback or unk for unknown ones.</summary>
    List<int> InitialSymbols(string word)
    {
        var symbols = new List<int>(word.Length);
        bool lastWasUnk = false;
        Span<byte> utf8 = stackalloc byte[4];
        for (int i = 0; i < word.Length;)
        {
            int len = char.IsHighSurrogate(word[i]) && i + 1 < word.Length && char.IsLowSurrogate(word[i + 1]) ? 2 : 1;
            string ch = word.Substring(i, len);
            if (_prefix is not null && i > 0) ch = _prefix + ch;
            if (_suffix is not null && i + len == word.Length) ch += _suffix;
            i += len;
            if (_vocab.TryGetValue(ch, out int id)) { symbols.Add(id); lastWasUnk = false; continue; }
            if (_byteIds is not null)
            {
                int n = Encoding.UTF8.GetBytes(word.AsSpan(i - len, len), utf8);
                bool all = true;
                for (int k = 0; k < n; k++) all &= _byteIds[utf8[k]] >= 0;
                if (all)
                {
                    for (int k = 0; k < n; k++) symbols.Add(_byteIds[utf8[k]]);
                    lastWasUnk = false;
                    continue;
                }
            }
            if (_unkId is int unk)
            {
                if (!(_fuseUnk && lastWasUnk)) symbols.Add(unk);
                lastWasUnk = true;
            }
        }
        return symbols;
    }

    /// <summary>Applies merges lowest rank first (leftmost first among equal ranks) with a priority queue
    /// over a linked list of symbols: O(n log n) per word instead of rescanning all pairs after each merge.</summary>
    int[] Merge(List<int> symbols)
    {
        int n = symbols.Count;
        if (n < 2) return symbols.ToArray();
        var id = symbols.ToArray();
        var prev = new int[n];
        var next = new int[n];
        for (int i = 0; i < n; i++) { prev[i] = i - 1; next[i] = i + 1 < n ? i + 1 : -1; }
        var queue = new PriorityQueue<(int Left, int A, int B), (int Rank, int Pos)>();
        void Push(int left)
        {
            int right = next[left];
            if (left < 0 || right < 0) return;
            if (_merges.TryGetValue(Key(id[left], id[right]), out var m)) queue.Enqueue((left, id[left], id[right]), (m.Rank, left));
        }
        for (int i = 0; i + 1 < n; i++) Push(i);
        while (queue.TryDequeue(out var item, out _))
        {
            int left = item.Left, right = next[left];
            // Stale entry: one side was merged away or changed since it was queued.
            if (id[left] != item.A || right < 0 || id[right] != item.B || id[left] < 0) continue;
            id[left] = _merges[Key(item.A, item.B)].Merged;
            id[right] = -1;
            next[left] = next[right];
            if (next[right] >= 0) prev[next[right]] = left;
            if (prev[left] >= 0) Push(prev[left]);
            Push(left);
        }
        var result = new List<int>(n);
        for (int i = 0; i >= 0; i = next[i]) result.Add(id[i]);
        return result.ToArray();
    }
}
