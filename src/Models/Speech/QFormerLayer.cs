using Engine.Models.Transformer;
using Engine.Runtime;

namespace Engine.Models.Speech;

/// <summary>
/// One BERT-style Q-Former layer over the query tokens (post-LayerNorm after each residual): self-attention among the
/// queries, cross-attention from the queries to the window's encoder frames (keys/values projected from the encoder
/// width), then a GELU feed-forward (BLIP-2's "query" FFN).
/// </summary>
public sealed class QFormerLayer
{
    public required LinearLayer SelfQ { get; init; }
    public required LinearLayer SelfK { get; init; }
    public required LinearLayer SelfV { get; init; }
    public required LinearLayer SelfOut { get; init; }
    public required Tensor SelfNormWeight { get; init; }
    public required Tensor SelfNormBias { get; init; }
    public required LinearLayer CrossQ { get; init; }
    public required LinearLayer CrossK { get; init; }
    public required LinearLayer CrossV { get; init; }
    public required LinearLayer CrossOut { get; init; }
    public required Tensor CrossNormWeight { get; init; }
    public required Tensor CrossNormBias { get; init; }
    public required LinearLayer Intermediate { get; init; }
    public required LinearLayer Output { get; init; }
    public required Tensor OutputNormWeight { get; init; }
    public required Tensor OutputNormBias { get; init; }

    /// <param name="x">Queries [N, nq, H].</param>
    /// <param name="frames">Window frames [N, k, D_enc].</param>
    /// <param name="frameMask">[N, k] (I64, 1 = attend) or null for all frames.</param>
    public Tensor Forward(Tensor x, Tensor frames, Tensor? frameMask, int heads, double eps)
    {
        x = Ops.LayerNorm(Ops.Add(x, SelfOut.Forward(Attend(SelfQ.Forward(x), SelfK.Forward(x), SelfV.Forward(x), null, heads))), SelfNormWeight, SelfNormBias, eps);
        x = Ops.LayerNorm(Ops.Add(x, CrossOut.Forward(Attend(CrossQ.Forward(x), CrossK.Forward(frames), CrossV.Forward(frames), frameMask, heads))), CrossNormWeight, CrossNormBias, eps);
        return Ops.LayerNorm(Ops.Add(x, Output.Forward(Ops.Gelu(Intermediate.Forward(x)))), OutputNormWeight, OutputNormBias, eps);
    }

    private static Tensor Attend(Tensor q, Tensor k, Tensor v, Tensor? mask, int heads)
    {
        int n = q.Size(0), tq = q.Size(1), tk = k.Size(1), h = q.Size(2), hd = h / heads;
        Tensor Split(Tensor y, int t) => y.Reshape(n, t, heads, hd).Transpose(1, 2);
        var o = Ops.Attention(Split(q, tq), Split(k, tk), Split(v, tk), causal: false, keyMask: mask);
        return o.Transpose(1, 2).Reshape(n, tq, h);
    }
}
