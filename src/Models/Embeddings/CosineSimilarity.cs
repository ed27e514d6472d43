using Engine.Runtime;

namespace Engine.Models.Embeddings;

/// <summary>Cosine similarity of embeddings: one pair on the host, or every pair of two sets on any device.</summary>
public static class CosineSimilarity
{
    /// <summary>cos(a, b) = a·b / (|a| |b|), accumulated in f64; 0 when either vector is zero.</summary>
    public static double Of(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        if (a.Length != b.Length) throw new ArgumentException($"Cosine of vectors of lengths {a.Length} and {b.Length}.");
        double dot = 0, na = 0, nb = 0;
        for (int i = 0; i < a.Length; i++) { dot += (double)a[i] * b[i]; na += (double)a[i] * a[i]; nb += (double)b[i] * b[i]; }
        return na == 0 || nb == 0 ? 0 : dot / Math.Sqrt(na * nb);
    }

    /// <summary>[N, M] cosine similarities of the rows of a [N, H] and b [M, H] (rows L2-normalised, then a·bᵀ).</summary>
    public static Tensor Matrix(Tensor a, Tensor b)
    {
        if (a.Rank != 2 || b.Rank != 2 || a.Size(1) != b.Size(1))
            throw new ArgumentException($"CosineSimilarity.Matrix needs [N, H] and [M, H], got {a.ShapeString} and {b.ShapeString}.");
        using var f32 = Autocast.Disable();
        return Ops.MatMul(Normalize(a), Normalize(b).Transpose(0, 1));
    }

    /// <summary>Rows divided by their L2 norm, differentiably (a zero row stays zero).</summary>
    public static Tensor Normalize(Tensor x)
    {
        // The tiny floor keeps a zero row at 0/ε = 0; the divide runs as a trailing-vector op on the transpose, which
        // every backend has.
        var norms = Ops.Sqrt(Ops.AddScalar(Ops.Sum(Ops.Square(x), 1), 1e-30));
        return Ops.Div(x.Transpose(0, 1), norms).Transpose(0, 1).Contiguous();
    }
}
