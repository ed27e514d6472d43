// TEMPORARY: signatures of ops being written on other branches; deleted when they merge.
namespace Engine.Runtime;
public enum Reduction { Mean, Sum, None }
public sealed record RopeScaling(string Type, double Factor, double? LowFreqFactor = null, double? HighFreqFactor = null,
    int? OriginalMaxPositionEmbeddings = null, double? BetaFast = null, double? BetaSlow = null, double? AttentionFactor = null);
public sealed class RotaryEmbedding
{
    public RotaryEmbedding(int headDim, double theta, RopeScaling? scaling = null, int? partialRotaryDim = null) { }
    public double[] InverseFrequencies => throw new NotImplementedException();
    public double AttentionScaling => throw new NotImplementedException();
    public (Tensor cos, Tensor sin) Tables(ReadOnlySpan<int> positions, DType dtype = DType.F32) => throw new NotImplementedException();
    public (Tensor cos, Tensor sin) Tables(Tensor positions, DType dtype = DType.F32) => throw new NotImplementedException();
}
public static partial class Ops
{
    public static Tensor RmsNorm(Tensor x, Tensor weight, double eps) => throw new NotImplementedException();
    public static Tensor LayerNorm(Tensor x, Tensor weight, Tensor? bias, double eps) => throw new NotImplementedException();
    public static Tensor Softmax(Tensor x, int dim = -1) => throw new NotImplementedException();
    public static Tensor LogSoftmax(Tensor x, int dim = -1) => throw new NotImplementedException();
    public static Tensor Rope(Tensor x, Tensor cos, Tensor sin) => throw new NotImplementedException();
    public static Tensor Attention(Tensor q, Tensor k, Tensor v, bool causal, Tensor? keyMask = null, double? scale = null) => throw new NotImplementedException();
    public static Tensor Silu(Tensor x) => throw new NotImplementedException();
    public static Tensor Gelu(Tensor x, bool approximateTanh = false) => throw new NotImplementedException();
    public static Tensor SwiGlu(Tensor gate, Tensor up) => throw new NotImplementedException();
    public static Tensor Dropout(Tensor x, double p, Generator gen, bool training = true) => throw new NotImplementedException();
    public static Tensor Embedding(Tensor weight, Tensor ids) => throw new NotImplementedException();
    public static Tensor CrossEntropy(Tensor logits, Tensor targets, int ignoreIndex = -100, Reduction reduction = Reduction.Mean) => throw new NotImplementedException();
    public static Tensor TokenLogProbs(Tensor logits, Tensor ids) => throw new NotImplementedException();
    public static Tensor CandidateProbs(Tensor logits, int[] candidateIds) => throw new NotImplementedException();
    public static Tensor SymmetricKl(Tensor logitsP, Tensor logitsQ) => throw new NotImplementedException();
}
