namespace Engine.Runtime;

/// <summary>
/// Rotary tables with configurable theta and scaling, following transformers' modeling_rope_utils:
/// inverse frequencies per rotary pair and an attention scaling that multiplies cos/sin (yarn only).
/// Tables are cat(freqs, freqs) laid out [T, R] (R = rotary dim), ready for <see cref="Ops.Rope"/>.
/// </summary>
public sealed class RotaryEmbedding
{
    public int HeadDim { get; }
    /// <summary>Number of leading dims of each head that rotate (head_dim · partial_rotary_factor).</summary>
    public int RotaryDim { get; }
    public double Theta { get; }
    public RopeScaling? Scaling { get; }
    public double[] InverseFrequencies { get; }
    public double AttentionScaling { get; }

    public RotaryEmbedding(int headDim, double theta, RopeScaling? scaling = null, int? partialRotaryDim = null)
    {
        int dim = partialRotaryDim ?? headDim;
        if (headDim <= 0 || dim <= 0 || dim > headDim || dim % 2 != 0)
            throw new ArgumentException($"RotaryEmbedding: rotary dim {dim} must be even and in (0, headDim = {headDim}].");
        if (!(theta > 0)) throw new ArgumentException($"RotaryEmbedding: theta must be positive, got {theta}.");
        HeadDim = headDim; RotaryDim = dim; Theta = theta; Scaling = scaling;
        (InverseFrequencies, AttentionScaling) = RopeFrequencies.Compute(dim, theta, scaling);
    }

    /// <summary>cos/sin [T, R] for the given positions.</summary>
    public (Tensor cos, Tensor sin) Tables(ReadOnlySpan<int> positions, DType dtype = DType.F32)
    {
        var pos = new long[positions.Length];
        for (int i = 0; i < pos.Length; i++) pos[i] = positions[i];
        return Build(pos, [positions.Length, RotaryDim], dtype);
    }

    /// <summary>cos/sin [B, T, R] for position ids [B, T] (I64 or I32), as HF's rotary module takes position_ids.</summary>
    public (Tensor cos, Tensor sin) Tables(Tensor positions, DType dtype = DType.F32)
    {
        if (positions.Rank != 2 || positions.DType is not (DType.I64 or DType.I32))
            throw new ArgumentException($"RotaryEmbedding.Tables: positions must be [B, T] I64 (or I32), got {positions.ShapeString} {positions.DType}.");
        var pos = positions.DType == DType.I64 ? positions.ToArray<long>() : positions.ToArray<int>().Select(p => (long)p).ToArray();
        return Build(pos, [positions.Size(0), positions.Size(1), RotaryDim], dtype);
    }

    private (Tensor cos, Tensor sin) Build(long[] pos, int[] shape, DType dtype)
    {
        int r = RotaryDim, half = r / 2;
        var cos = new double[pos.Length * r];
        var sin = new double[pos.Length * r];
        // For f32 tables, form the angle as HF does (f32 inv_freq times f32 position) so tables match transformers'
        // rounding at long positions; f64 tables keep full precision.
        bool f32 = dtype != DType.F64;
        var invF = InverseFrequencies.Select(f => (float)f).ToArray();
        for (int t = 0; t < pos.Length; t++)
            for (int i = 0; i < half; i++)
            {
                double angle = f32 ? (double)((float)pos[t] * invF[i]) : pos[t] * InverseFrequencies[i];
                double c = Math.Cos(angle) * AttentionScaling, s = Math.Sin(angle) * AttentionScaling;
                cos[t * r + i] = cos[t * r + half + i] = c;
                sin[t * r + i] = sin[t * r + half + i] = s;
            }
        return (Tensor.FromArray(cos, shape).To(dtype), Tensor.FromArray(sin, shape).To(dtype));
    }
}
