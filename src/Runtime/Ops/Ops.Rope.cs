namespace Engine.Runtime;

public static partial class Ops
{
    /// <summary>
    /// Rotary embedding, Hugging Face "rotate_half" convention: y = x·cos + rotate_half(x)·sin with
    /// rotate_half(x) = cat(−x[..., D/2:], x[..., :D/2]). x: [B, H, T, D] (any strides); cos/sin: [T, D] or
    /// [B, T, D] as HF builds them (cat(freqs, freqs)). Tables narrower than D (partial rotary, R &lt; D) rotate
    /// the first R dims and pass the rest through. Gradient w.r.t. x only (cos/sin are constants).
    /// </summary>
    public static Tensor Rope(Tensor x, Tensor cos, Tensor sin)
    {
        if (x.Rank != 4) throw new ArgumentException($"Rope: x must be [B, H, T, D], got {x.ShapeString}.");
        int bN = x.Size(0), tN = x.Size(2), d = x.Size(3);
        if (!cos.Shape.SequenceEqual(sin.Shape)) throw new ArgumentException($"Rope: cos {cos.ShapeString} and sin {sin.ShapeString} differ.");
        int r = cos.Rank >= 1 ? cos.Size(-1) : 0;
        bool okShape = (cos.Rank == 2 && cos.Size(0) == tN) || (cos.Rank == 3 && cos.Size(0) == bN && cos.Size(1) == tN);
        if (!okShape || r % 2 != 0 || r > d || r == 0)
            throw new ArgumentException($"Rope: cos/sin must be [T, R] or [B, T, R] with T = {tN}, B = {bN} and even R ≤ D = {d}; got {cos.ShapeString} for x {x.ShapeString}.");
        var be = Backend.Of(x, cos, sin);
        var xv = x.Strides[3] == 1 ? x : x.Contiguous();
        var cc = cos.Contiguous(); var sc = sin.Contiguous();
        if (cc.DType != xv.DType) { cc = cc.Detach().To(xv.DType); sc = sc.Detach().To(xv.DType); }
        var y = be.Rope(xv, cc, sc, transpose: false);
        return Autograd.Record(y, "Rope", [xv], g => [be.Rope(UnitLastStride(g), cc, sc, transpose: true)]);
    }
}
