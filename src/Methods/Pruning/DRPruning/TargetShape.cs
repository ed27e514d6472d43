using System.Text.Json;
using System.Text.Json.Nodes;
using Engine.Models.Config;

namespace Engine.Methods.Pruning.DRPruning;

/// <summary>
/// The shape the pruned model must have: hidden size, query and KV heads, layers and MLP width (head_dim stays the
/// source's). Read from a JSON object with Hugging Face config keys (a full config.json works; other keys are ignored):
/// <c>hidden_size</c>, <c>num_attention_heads</c>, <c>num_key_value_heads</c>, <c>num_hidden_layers</c>,
/// <c>intermediate_size</c>. A key that is absent keeps the source's value (the KV heads then follow the source's
/// query heads per KV head).
/// </summary>
public sealed record TargetShape(int HiddenSize, int NumHeads, int NumKvHeads, int NumLayers, int IntermediateSize)
{
    /// <summary>Read a target shape file and check it against the source model; every problem names the file and the key.</summary>
    public static TargetShape Load(string path, ModelConfig source)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"Target shape file {path} does not exist.", path);
        JsonObject o;
        try { o = JsonNode.Parse(File.ReadAllText(path)) as JsonObject ?? throw new InvalidDataException($"{path}: the target shape must be a JSON object."); }
        catch (JsonException e) { throw new InvalidDataException($"{path}: invalid JSON: {e.Message}", e); }
        return FromJson(o, source, path);
    }

    /// <summary>The shape in <paramref name="o"/> (keys as in <see cref="Load"/>), validated against <paramref name="source"/>.</summary>
    public static TargetShape FromJson(JsonObject o, ModelConfig source, string where = "target shape")
    {
        int Get(string key, int fallback)
        {
            if (o[key] is null) return fallback;
            if (o[key] is JsonValue v && v.TryGetValue<int>(out var i)) return i;
            if (o[key] is JsonValue d && d.TryGetValue<double>(out var x) && x == Math.Floor(x) && Math.Abs(x) < int.MaxValue) return (int)x;
            throw new InvalidDataException($"{where}: \"{key}\" must be an integer, got {o[key]!.ToJsonString()}.");
        }
        if (o["head_dim"] is not null && Get("head_dim", source.HeadDim) != source.HeadDim)
            throw new InvalidDataException($"{where}: \"head_dim\" {Get("head_dim", source.HeadDim)} differs from the source's {source.HeadDim}; pruning keeps head_dim (it removes whole heads).");
        int heads = Get("num_attention_heads", source.NumHeads);
        int kvDefault = heads % source.KvGroups == 0 ? heads / source.KvGroups : source.NumKvHeads;
        var shape = new TargetShape(Get("hidden_size", source.HiddenSize), heads, Get("num_key_value_heads", kvDefault),
            Get("num_hidden_layers", source.NumLayers), Get("intermediate_size", source.IntermediateSize));
        shape.Validate(source, where);
        return shape;
    }

    /// <summary>Every field positive and no larger than the source's; whole KV groups only; something to prune.</summary>
    public void Validate(ModelConfig source, string where = "target shape")
    {
        void Check(string key, int target, int src)
        {
            if (target < 1) throw new InvalidDataException($"{where}: \"{key}\" must be at least 1, got {target}.");
            if (target > src) throw new InvalidDataException($"{where}: \"{key}\" {target} is larger than the source model's {src}; pruning can only shrink a model.");
        }
        Check("hidden_size", HiddenSize, source.HiddenSize);
        Check("num_attention_heads", NumHeads, source.NumHeads);
        Check("num_key_value_heads", NumKvHeads, source.NumKvHeads);
        Check("num_hidden_layers", NumLayers, source.NumLayers);
        Check("intermediate_size", IntermediateSize, source.IntermediateSize);
        if (NumHeads % NumKvHeads != 0)
            throw new InvalidDataException($"{where}: \"num_attention_heads\" {NumHeads} is not divisible by \"num_key_value_heads\" {NumKvHeads}; every KV head must serve the same number of query heads.");
        if (NumHeads / NumKvHeads != source.KvGroups)
            throw new InvalidDataException(source.KvGroups == 1
                ? $"{where}: the source model has one KV head per query head (MHA), so \"num_key_value_heads\" must equal \"num_attention_heads\" ({NumHeads}), got {NumKvHeads}."
                : $"{where}: \"num_attention_heads\" {NumHeads} must be {source.KvGroups} × \"num_key_value_heads\" {NumKvHeads}: on this GQA model DRPruning removes whole KV groups (a KV head with its {source.KvGroups} query heads), so the ratio stays the source's.");
        if (this == Of(source)) throw new InvalidDataException($"{where}: the target shape equals the source model's; there is nothing to prune.");
    }

    /// <summary>The shape of a model config.</summary>
    public static TargetShape Of(ModelConfig c) => new(c.HiddenSize, c.NumHeads, c.NumKvHeads, c.NumLayers, c.IntermediateSize);

    /// <summary>Prunable weights (attention and MLP matrices) of this shape with the source's head_dim.</summary>
    public long PrunableSize(int headDim) => PruningFormulas.PrunableSize(HiddenSize, NumLayers, NumHeads, NumKvHeads, headDim, IntermediateSize);

    /// <summary>True when transformers versions that derive head_dim from hidden_size / heads would read the exported config differently.</summary>
    public bool HeadDimImplicitlyDiffers(int headDim) => HiddenSize != NumHeads * headDim;

    public JsonObject ToJson() => new()
    {
        ["hidden_size"] = HiddenSize, ["num_attention_heads"] = NumHeads, ["num_key_value_heads"] = NumKvHeads,
        ["num_hidden_layers"] = NumLayers, ["intermediate_size"] = IntermediateSize,
    };
}
