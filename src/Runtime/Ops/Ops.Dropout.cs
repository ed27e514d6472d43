namespace Engine.Runtime;

public static partial class Ops
{
    /// <summary>
    /// Inverted dropout. The keep mask comes from the Philox stream (gen.Seed, offset = gen.Take(numel)):
    /// element i is kept iff Philox.ToUniform(Philox.Word(seed, offset, i)) ≥ p, and kept values are scaled
    /// by 1/(1−p). Identity (the same tensor) when !training or p == 0; all zeros when p == 1.
    /// The backward pass recomputes the same mask from (seed, offset) instead of storing it.
    /// </summary>
    public static Tensor Dropout(Tensor x, double p, Generator gen, bool training = true)
    {
        ArgumentNullException.ThrowIfNull(gen);
        if (!(p >= 0 && p <= 1)) throw new ArgumentOutOfRangeException(nameof(p), $"Dropout probability must be in [0, 1], got {p}.");
        if (!training || p == 0) return x;
        var be = Backend.Of(x);
        ulong seed = gen.Seed, offset = gen.Take(x.NumElements);
        var xc = x.Contiguous();
        if (p == 1)
        {
            var zeros = Tensor.Zeros(xc.Shape, xc.DType, xc.Device);
            return Autograd.Record(zeros, "Dropout", [xc], g => [Tensor.Zeros(g.Shape, g.DType, g.Device)]);
        }
        var y = be.Dropout(xc, p, seed, offset);
        return Autograd.Record(y, "Dropout", [xc], g => [be.Dropout(g.Contiguous(), p, seed, offset)]);
    }
}
