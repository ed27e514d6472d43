using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using Engine.Models.Chat;

namespace Engine.Models.Tokenizers;

/// <summary>
/// A Hugging Face <c>tokenizer.json</c> (BPE model: byte-level GPT-2/Qwen2/Llama 3 style, or
/// SentencePiece-style with byte fallback as in Llama 2/Mistral) plus its <c>tokenizer_config.json</c>
/// (special tokens, chat template). Pipeline per HF: added tokens → normalizer → pre-tokenizer →
/// BPE → post-processor; decoding runs the decoder chain.
/// </summary>
public sealed class HfTokenizer : ITokenizer
{
    readonly JsonObject _json;
    readonly JsonObject? _config;
    readonly Normalizer? _normalizer;
    readonly PreTokenizer? _preTokenizer;
    readonly BpeModel _model;
    readonly Decoder? _decoder;
    readonly PostProcessor? _postProcessor;
    readonly (bool Bos, bool Eos)? _configAddsSpecial;
    readonly List<AddedToken> _added;
    readonly Dictionary<int, AddedToken> _addedById = new();
    readonly Dictionary<string, AddedToken> _addedByContent = new(StringComparer.Ordinal);
    readonly AddedTokenSplitter _splitter;
    readonly HashSet<int> _specialIds;

    public int VocabSize { get; }
    public IReadOnlyCollection<int> SpecialTokenIds => _specialIds;
    public IReadOnlyList<AddedToken> AddedTokens => _added;

    public string? BosToken { get; }
    public string? EosToken { get; }
    public string? PadToken { get; }
    public string? UnkToken { get; }
    public int? BosTokenId => BosToken is null ? null : TokenToId(BosToken);
    public int? EosTokenId => EosToken is null ? null : TokenToId(EosToken);
    public int? PadTokenId => PadToken is null ? null : TokenToId(PadToken);
    public ChatTemplate? ChatTemplate { get; }

    HfTokenizer(JsonObject json, JsonObject? config, string? chatTemplateFile)
    {
        _json = json;
        _config = config;
        var model = json["model"] ?? throw new FormatException("tokenizer.json has no \"model\"");
        string type = model.Str("type") ?? (model["merges"] is not null ? "BPE" : "unknown");
        if (type != "BPE")
            throw new NotSupportedException($"tokenizer.json model type \"{type}\" is not supported: only BPE (byte-level or SentencePiece-style) is implemented");
        _model = BpeModel.FromJson(model);
        _normalizer = Normalizer.FromJson(json["normalizer"]);
        _preTokenizer = PreTokenizer.FromJson(json["pre_tokenizer"]);
        _decoder = Decoder.FromJson(json["decoder"]);
        _postProcessor = PostProcessor.FromJson(json["post_processor"]);

        _added = json["added_tokens"] is JsonArray arr ? arr.Select(n => AddedToken.FromJson(n!)).ToList() : [];
        foreach (var t in _added) { _addedById[t.Id] = t; _addedByContent.TryAdd(t.Content, t); }
        _splitter = new AddedTokenSplitter(_added);
        _specialIds = _added.Where(t => t.Special).Select(t => t.Id).ToHashSet();
        VocabSize = Math.Max(_model.MaxId, _added.Count == 0 ? -1 : _added.Max(t => t.Id)) + 1;

        BosToken = TokenName(config?["bos_token"]);
        EosToken = TokenName(config?["eos_token"]);
        PadToken = TokenName(config?["pad_token"]);
        UnkToken = TokenName(config?["unk_token"]) ?? model.Str("unk_token");
        // transformers rebuilds the post-processor of Llama-style tokenizers from these two flags.
        if (config is not null && (config["add_bos_token"] is JsonValue || config["add_eos_token"] is JsonValue))
            _configAddsSpecial = (config.Bool("add_bos_token", false), config.Bool("add_eos_token", false));

        string? template = chatTemplateFile ?? SelectTemplate(config?["chat_template"]);
        if (template is not null) ChatTemplate = new ChatTemplate(template);
    }

    static string? TokenName(JsonNode? n) => n switch
    {
        JsonValue v when v.TryGetValue<string>(out var s) => s,
        JsonObject o => o.Str("content"),
        _ => null,
    };

    static string? SelectTemplate(JsonNode? n)
    {
        if (n is JsonValue v && v.TryGetValue<string>(out var s)) return s;
        if (n is JsonArray a)
        {
            var named = a.OfType<JsonObject>().ToList();
            var pick = named.FirstOrDefault(o => o.Str("name") == "default") ?? named.FirstOrDefault();
            return pick?.Str("template");
        }
        return null;
    }

    /// <summary>Loads tokenizer.json from a file or a model folder, with tokenizer_config.json (and
    /// chat_template.jinja, which newer transformers write instead of the config field) beside it.</summary>
    public static HfTokenizer Load(string pathOrDir)
    {
        string file = Directory.Exists(pathOrDir) ? Path.Combine(pathOrDir, "tokenizer.json") : pathOrDir;
        if (!File.Exists(file)) throw new FileNotFoundException($"HfTokenizer.Load: no tokenizer.json at {file}", file);
        string dir = Path.GetDirectoryName(Path.GetFullPath(file))!;
        string configPath = Path.Combine(dir, "tokenizer_config.json");
        string jinjaPath = Path.Combine(dir, "chat_template.jinja");
        string? config = File.Exists(configPath) ? File.ReadAllText(configPath) : null;
        var tok = FromJson(File.ReadAllText(file), config);
        if (tok.ChatTemplate is null && File.Exists(jinjaPath))
            return new HfTokenizer(tok._json, tok._config, File.ReadAllText(jinjaPath));
        return tok;
    }

    public static HfTokenizer FromJson(string tokenizerJson, string? tokenizerConfigJson = null)
    {
        var opts = new JsonNodeOptions { PropertyNameCaseInsensitive = false };
        var json = JsonNode.Parse(tokenizerJson, opts) as JsonObject ?? throw new FormatException("tokenizer.json is not a JSON object");
        var config = tokenizerConfigJson is null ? null : JsonNode.Parse(tokenizerConfigJson, opts) as JsonObject;
        return new HfTokenizer(json, config, null);
    }

    internal static HfTokenizer FromNodes(JsonObject json, JsonObject? config) => new(json, config, null);

    static readonly JsonSerializerOptions WriteOptions = new() { WriteIndented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>Writes tokenizer.json (and tokenizer_config.json when there is one) in the HF format.</summary>
    public void Save(string dir)
    {
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "tokenizer.json"), _json.ToJsonString(WriteOptions));
        if (_config is not null) File.WriteAllText(Path.Combine(dir, "tokenizer_config.json"), _config.ToJsonString(WriteOptions));
    }

    public int? TokenToId(string token) =>
        _addedByContent.TryGetValue(token, out var t) ? t.Id : _model.TokenToId(token);

    public string? IdToToken(int id) =>
        _addedById.TryGetValue(id, out var t) ? t.Content : _model.IdToToken(id);

    /// <summary>The words BPE sees for <paramref name="text"/> (added tokens removed): normalizer + pre-tokenizer.</summary>
    internal IEnumerable<string> PreTokenize(string text)
    {
        foreach (var (start, length, token) in _splitter.Split(text))
        {
            if (token is not null) continue;
            string section = text.Substring(start, length);
            if (_normalizer is not null) section = _normalizer.Normalize(section);
            if (section.Length == 0) continue;
            var pieces = new List<string> { section };
            _preTokenizer?.Split(pieces, start == 0);
            foreach (var p in pieces) yield return p;
        }
    }

    public int[] Encode(string text, bool addSpecialTokens = false)
    {
        var ids = new List<int>(text.Length / 3 + 4);
        var pieces = new List<string>();
        foreach (var (start, length, token) in _splitter.Split(text))
        {
            if (token is not null) { ids.Add(token.Id); continue; }
            string section = text.Substring(start, length);
            if (_normalizer is not null) section = _normalizer.Normalize(section);
            if (section.Length == 0) continue;
            pieces.Clear();
            pieces.Add(section);
            _preTokenizer?.Split(pieces, start == 0);
            foreach (var word in pieces) _model.EncodeWord(word, ids);
        }
        var result = ids.ToArray();
        if (!addSpecialTokens) return result;
        if (_configAddsSpecial is var (bos, eos))
        {
            var wrapped = new List<int>(result.Length + 2);
            if (bos && BosTokenId is int b) wrapped.Add(b);
            wrapped.AddRange(result);
            if (eos && EosTokenId is int e) wrapped.Add(e);
            return wrapped.ToArray();
        }
        return _postProcessor?.Process(result) ?? result;
    }

    /// <summary>Renders the tokenizer's chat template with its bos_token/eos_token filled in, as
    /// transformers' apply_chat_template(tokenize=False) does.</summary>
    public string ApplyChatTemplate(IReadOnlyList<ChatMessage> messages, bool addGenerationPrompt, IReadOnlyDictionary<string, object?>? extra = null)
    {
        var template = ChatTemplate ?? throw new InvalidOperationException("HfTokenizer.ApplyChatTemplate: this tokenizer has no chat_template");
        var vars = new Dictionary<string, object?> { ["bos_token"] = BosToken ?? "", ["eos_token"] = EosToken ?? "" };
        if (extra is not null) foreach (var (k, v) in extra) vars[k] = v;
        return template.Render(messages, addGenerationPrompt, vars);
    }

    public string Decode(ReadOnlySpan<int> ids, bool skipSpecialTokens = false)
    {
        var tokens = new List<string>(ids.Length);
        foreach (int id in ids)
        {
            if (skipSpecialTokens && _specialIds.Contains(id)) continue;
            if (IdToToken(id) is { } t) tokens.Add(t);
        }
        return _decoder is null ? string.Join(" ", tokens) : string.Concat(_decoder.DecodeChain(tokens));
    }
}
