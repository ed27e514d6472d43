using Engine.Models.Transformer;
using Engine.Runtime;

namespace Engine.Models.Whisper;

/// <summary>
/// One pre-LN Whisper encoder block: x + SelfAttn(LN(x)), then x + fc2(GELU(fc1(LN(x)))). Attention is bidirectional
/// over every frame (no mask, as in Whisper); q, v and out carry biases, k does not.
/// </summary>
public sealed class WhisperEncoderLayer
{
    public required Tensor AttnNormWeight { get; init; }
    public required Tensor AttnNormBias { get; init; }
    public required LinearLayer Q { get; init; }
    public required LinearLayer K { get; init; }
    public required LinearLayer V { get; init; }
    public required LinearLayer Out { get; init; }
    public required Tensor FfnNormWeight { get; init; }
    public required Tensor FfnNormBias { get; init; }
    public required LinearLayer Fc1 { get; init; }
    public required LinearLayer Fc2 { get; init; }

    public const double LayerNormEps = 1e-5;

    public Tensor Forward(Tensor x, int heads, bool tanhGelu)
    {
        int b = x.Size(0), t = x.Size(1), d = x.Size(2), hd = d / heads;
        var h = Ops.LayerNorm(x, AttnNormWeight, AttnNormBias, LayerNormEps);
        Tensor Heads(Tensor y) => y.Reshape(b, t, heads, hd).Transpose(1, 2);
        var a = Ops.Attention(Heads(Q.Forward(h)), Heads(K.Forward(h)), Heads(V.Forward(h)), causal: false);
        x = Ops.Add(x, Out.Forward(a.Transpose(1, 2).Reshape(b, t, d)));
        h = Ops.LayerNorm(x, FfnNormWeight, FfnNormBias, LayerNormEps);
        return Ops.Add(x, Fc2.Forward(Ops.Gelu(Fc1.Forward(h), tanhGelu)));
    }
}
