using Engine.Models.Embeddings;
using Engine.Models.Tokenizers;
using Engine.Models.Transformer;

namespace Engine.Methods.Synthesis.LongMT;

/// <summary>Vectors for retrieval: the memory ranks earlier summaries and sentence pairs by cosine similarity to the page.</summary>
public interface ITextEmbedder
{
    /// <summary>What makes the vectors (kept in job fingerprints: another embedder retrieves other items).</summary>
    string Identity { get; }
    float[][] Embed(IReadOnlyList<string> texts);
}

/// <summary>
/// Hashed character n-grams (lower-cased, words padded with spaces) counted into a fixed number of buckets: no model,
/// deterministic, and good at what retrieval here needs — finding earlier sentences that share words and names with
/// the page. Loong uses a sentence-transformer (all-distilroberta-v1); <see cref="ModelEmbedder"/> takes any model folder.
/// </summary>
public sealed class HashedNgramEmbedder(int dimensions = 1024, int n = 3) : ITextEmbedder
{
    public int Dimensions { get; } = dimensions >= 16 ? dimensions : throw new ArgumentOutOfRangeException(nameof(dimensions), "dimensions must be ≥ 16.");
    public int N { get; } = n >= 1 ? n : throw new ArgumentOutOfRangeException(nameof(n), "n must be ≥ 1.");

    public string Identity => $"ngram-hash:{N}:{Dimensions}";

    public float[][] Embed(IReadOnlyList<string> texts) => texts.Select(One).ToArray();

    private float[] One(string text)
    {
        var v = new float[Dimensions];
        foreach (var w in TextMatch.Words(text.ToLowerInvariant()))
        {
            var padded = " " + w + " ";
            for (int i = 0; i + N <= padded.Length; i++)
            {
                ulong h = 0xCBF29CE484222325UL;
                for (int k = i; k < i + N; k++) { h ^= padded[k]; h *= 0x100000001B3UL; }
                v[(int)(h % (ulong)Dimensions)] += 1;
            }
        }
        return v;
    }
}

/// <summary>Mean-pooled hidden states of a causal LM (any model folder) as sentence vectors.</summary>
public sealed class ModelEmbedder(TransformerModel model, ITokenizer tokenizer, string identity) : ITextEmbedder
{
    private readonly MeanPooledEmbedder _embedder = new(model);

    public string Identity { get; } = identity;

    public float[][] Embed(IReadOnlyList<string> texts)
    {
        // An empty text has no tokens to pool; it gets a zero vector (cosine 0 with everything).
        var idx = Enumerable.Range(0, texts.Count).Where(i => tokenizer.Encode(texts[i], false).Length > 0).ToList();
        var result = texts.Select(_ => new float[model.Config.HiddenSize]).ToArray();
        if (idx.Count == 0) return result;
        lock (_embedder)
        {
            var vectors = _embedder.Embed(tokenizer, idx.Select(i => texts[i]).ToList());
            for (int k = 0; k < idx.Count; k++) result[idx[k]] = vectors[k];
        }
        return result;
    }
}
