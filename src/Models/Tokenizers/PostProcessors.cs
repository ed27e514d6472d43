using System.Text.Json.Nodes;

namespace Engine.Models.Tokenizers;

/// <summary>tokenizer.json "post_processor": adds special tokens (BOS, CLS/SEP, ...) around an encoded sequence.</summary>
abstract class PostProcessor
{
    public abstract int[] Process(int[] ids);

    /// <summary>Ids this processor may add; they come from the tokenizer's vocabulary.</summary>
    public virtual IEnumerable<int> AddedIds => [];

    public static PostProcessor? FromJson(JsonNode? node)
    {
        if (node is null) return null;
        string type = node.TypeOf("post_processor");
        return type switch
        {
            "Sequence" => new SequenceProcessor(((JsonArray)node["processors"]!).Select(n => FromJson(n)!).ToArray()),
            "ByteLevel" => new NoOpProcessor(),
            "TemplateProcessing" => TemplateProcessor.Parse(node),
            "RobertaProcessing" or "BertProcessing" => new WrapProcessor(
                node["cls"]![1]!.GetValue<int>(), node["sep"]![1]!.GetValue<int>()),
            _ => throw new NotSupportedException($"tokenizer.json: post_processor type \"{type}\" is not supported"),
        };
    }

    sealed class NoOpProcessor : PostProcessor
    {
        public override int[] Process(int[] ids) => ids;
    }

    sealed class SequenceProcessor(PostProcessor[] items) : PostProcessor
    {
        public override int[] Process(int[] ids)
        {
            foreach (var p in items) ids = p.Process(ids);
            return ids;
        }
        public override IEnumerable<int> AddedIds => items.SelectMany(p => p.AddedIds);
    }

    sealed class WrapProcessor(int cls, int sep) : PostProcessor
    {
        public override int[] Process(int[] ids) => [cls, .. ids, sep];
        public override IEnumerable<int> AddedIds => [cls, sep];
    }

    /// <summary>The "single" template: e.g. [{SpecialToken: "&lt;s&gt;"}, {Sequence: "A"}].</summary>
    sealed class TemplateProcessor(List<int[]?> pieces) : PostProcessor
    {
        public static TemplateProcessor Parse(JsonNode node)
        {
            var specials = new Dictionary<string, int[]>();
            if (node["special_tokens"] is JsonObject st)
                foreach (var (name, v) in st)
                    specials[name] = ((JsonArray)v!["ids"]!).Select(x => x!.GetValue<int>()).ToArray();
            var pieces = new List<int[]?>();
            foreach (var item in (JsonArray)node["single"]!)
            {
                if (item!["SpecialToken"] is { } sp)
                {
                    string id = sp.Str("id")!;
                    pieces.Add(specials.TryGetValue(id, out var ids) ? ids
                        : throw new FormatException($"tokenizer.json: TemplateProcessing uses special token \"{id}\" missing from special_tokens"));
                }
                else if (item["Sequence"] is not null) pieces.Add(null);
                else throw new FormatException($"tokenizer.json: TemplateProcessing item {item.ToJsonString()} not understood");
            }
            return new TemplateProcessor(pieces);
        }

        public override int[] Process(int[] ids)
        {
            var output = new List<int>(ids.Length + 4);
            foreach (var p in pieces) output.AddRange(p ?? ids);
            return output.ToArray();
        }

        public override IEnumerable<int> AddedIds => pieces.Where(p => p is not null).SelectMany(p => p!);
    }
}
