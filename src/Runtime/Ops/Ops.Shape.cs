namespace Engine.Runtime;

public static partial class Ops
{
    /// <summary>Concatenate along <paramref name="dim"/>; all other dims must agree. Gradients are the matching slices.</summary>
    public static Tensor Cat(IReadOnlyList<Tensor> tensors, int dim)
    {
        if (tensors.Count == 0) throw new ArgumentException("Cat of no tensors.");
        var first = tensors[0];
        int d = first.NormDim(dim);
        var shape = first.ShapeArray();
        int total = 0;
        foreach (var t in tensors)
        {
            if (t.Rank != first.Rank || t.DType != first.DType || t.Device != first.Device)
                throw new ArgumentException($"Cat: {t} does not match {first} (rank, dtype and device must agree).");
            for (int i = 0; i < t.Rank; i++)
                if (i != d && t.Size(i) != shape[i]) throw new ArgumentException($"Cat along {dim}: shapes {first.ShapeString} and {t.ShapeString} differ in dim {i}.");
            total += t.Size(d);
        }
        shape[d] = total;
        var y = Tensor.Empty(shape, first.DType, first.Device);
        var sizes = new int[tensors.Count];
        using (Autograd.NoGrad())
        {
            int at = 0;
            for (int i = 0; i < tensors.Count; i++)
            {
                sizes[i] = tensors[i].Size(d);
                tensors[i].CopyTo(y.Narrow(d, at, sizes[i]));
                at += sizes[i];
            }
        }
        return Autograd.Record(y, "Cat", [.. tensors], g =>
        {
            var grads = new Tensor?[sizes.Length];
            int at = 0;
            for (int i = 0; i < sizes.Length; i++) { grads[i] = g.Narrow(d, at, sizes[i]).Contiguous(); at += sizes[i]; }
            return grads;
        });
    }
}
