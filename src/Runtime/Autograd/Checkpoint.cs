namespace Engine.Runtime;

/// <summary>
/// Activation checkpointing (torch.utils.checkpoint, reentrant form): run a region without keeping what its backward
/// would need, and rerun it when the backward reaches it. Memory: the region's inputs and output instead of every
/// intermediate tensor; cost: one more forward of the region.
/// <para>
/// Contract of the region <c>fn</c>: it computes the same result from the same inputs (deterministic ops), and every
/// tensor it reads that needs a gradient is either one of <c>inputs</c> (it receives a detached copy; the gradient
/// is handed back to the outer graph) or a leaf parameter (its gradient is accumulated into <see cref="Tensor.Grad"/>
/// by the rerun's own backward, as a plain backward would). A non-leaf tensor captured from outside would make the
/// rerun's backward walk into the outer graph, so it must be passed in <c>inputs</c>. Random draws inside the region
/// come from <c>generators</c>: their offsets are rewound for the rerun (the same dropout masks) and restored after it.
/// </para>
/// </summary>
public static class Checkpoint
{
    /// <summary>
    /// <c>fn(inputs)</c>, recorded as one node. <paramref name="parameters"/> are the leaves the region reads (only
    /// whether any needs a gradient matters: the node is recorded then even when no input needs one, e.g. LoRA on a
    /// frozen embedding). Without recording (no input or parameter needs a gradient, or inside <see cref="Autograd.NoGrad"/>)
    /// this is just <c>fn(inputs)</c>.
    /// </summary>
    public static Tensor Run(Func<Tensor[], Tensor> fn, Tensor[] inputs, IEnumerable<Tensor> parameters, IReadOnlyList<Generator>? generators = null)
    {
        ArgumentNullException.ThrowIfNull(fn);
        var ps = parameters.ToArray();
        foreach (var p in ps)
            if (p.RequiresGrad && !p.IsLeaf) throw new ArgumentException("Checkpoint: a parameter that needs a gradient must be a leaf; pass a computed tensor in inputs instead.");
        if (!Autograd.Needs(inputs) && !Autograd.Needs(ps)) return fn(inputs);

        var gens = generators ?? [];
        var offsets = gens.Select(g => g.Offset).ToArray();
        Tensor y;
        using (Autograd.NoGrad()) y = fn(inputs);
        var output = y.Detach();
        output.GradFn = new GradNode("Checkpoint", [.. inputs, .. ps], g => Backward(fn, inputs, ps.Length, gens, offsets, g));
        output.RequiresGradInternal = true;
        return output;
    }

    /// <summary>
    /// <c>fn(block, firstRow)</c> applied to blocks of <paramref name="blockRows"/> rows of <paramref name="x"/> (dim 0) independently, the
    /// results stacked along dim 0, each block checkpointed: the forward keeps none of a block's intermediates, and the
    /// backward reruns and back-propagates one block at a time, writing the blocks' gradients into one gradient of
    /// <paramref name="x"/>. So a row-wise computation with a large intermediate per row (an LM head's logits) never
    /// holds that intermediate for more than one block. <c>fn</c> must be row-wise (row i of its result depends on row
    /// i of its input only) and follows <see cref="Run"/>'s contract for what else it reads; <c>firstRow</c> lets it take
    /// the matching rows of tensors that need no gradient (e.g. the targets of a loss).
    /// </summary>
    public static Tensor RunByRows(Func<Tensor, int, Tensor> fn, Tensor x, int blockRows, IEnumerable<Tensor> parameters)
    {
        ArgumentNullException.ThrowIfNull(fn);
        if (x.Rank < 1) throw new ArgumentException("Checkpoint.RunByRows needs a tensor with rows (rank ≥ 1).");
        if (blockRows <= 0) throw new ArgumentOutOfRangeException(nameof(blockRows), $"blockRows must be positive, got {blockRows}.");
        var ps = parameters.ToArray();
        foreach (var p in ps)
            if (p.RequiresGrad && !p.IsLeaf) throw new ArgumentException("Checkpoint: a parameter that needs a gradient must be a leaf; pass a computed tensor in inputs instead.");
        bool record = Autograd.Needs(x) || Autograd.Needs(ps);
        int n = x.Size(0);
        Tensor? y = null;
        using (Autograd.NoGrad())
            for (int at = 0; at < n; at += blockRows)
            {
                int len = Math.Min(blockRows, n - at);
                var yb = fn(x.Narrow(0, at, len), at);
                if (yb.Rank < 1 || yb.Size(0) != len) throw new InvalidOperationException($"Checkpoint.RunByRows: fn gave {yb.ShapeString} for a block of {len} rows; it must keep the rows.");
                if (y is null) { var shape = yb.ShapeArray(); shape[0] = n; y = Tensor.Empty(shape, yb.DType, yb.Device); }
                yb.CopyTo(y.Narrow(0, at, len));
            }
        if (y is null) throw new ArgumentException("Checkpoint.RunByRows of a tensor with no rows.");
        if (!record) return y;
        y.GradFn = new GradNode("CheckpointRows", [x, .. ps], g => BackwardByRows(fn, x, blockRows, ps.Length, g));
        y.RequiresGradInternal = true;
        return y;
    }

    private static Tensor?[] BackwardByRows(Func<Tensor, int, Tensor> fn, Tensor x, int blockRows, int parameterCount, Tensor g)
    {
        var gx = x.RequiresGrad ? Tensor.Empty(x.ShapeArray(), x.DType, x.Device) : null;
        int n = x.Size(0);
        for (int at = 0; at < n; at += blockRows)
        {
            int len = Math.Min(blockRows, n - at);
            var xb = x.Narrow(0, at, len).Detach();
            if (gx is not null) xb.RequiresGrad = true;
            Tensor yb;
            using (Autograd.EnableGrad()) yb = fn(xb, at);
            if (yb.RequiresGrad) yb.Backward(g.Narrow(0, at, len).Contiguous());
            if (gx is not null)
            {
                var block = gx.Narrow(0, at, len);
                if (xb.Grad is { } gb) gb.CopyTo(block);
                else Tensor.Zeros(block.Shape, block.DType, block.Device).CopyTo(block);
            }
        }
        var grads = new Tensor?[1 + parameterCount];
        grads[0] = gx;
        return grads;
    }

    private static Tensor?[] Backward(Func<Tensor[], Tensor> fn, Tensor[] inputs, int parameterCount, IReadOnlyList<Generator> gens, ulong[] offsets, Tensor g)
    {
        var detached = new Tensor[inputs.Length];
        for (int i = 0; i < inputs.Length; i++)
        {
            detached[i] = inputs[i].Detach();
            if (inputs[i].RequiresGrad) detached[i].RequiresGrad = true;
        }
        var now = gens.Select(x => x.Offset).ToArray();
        Tensor y;
        try
        {
            for (int i = 0; i < gens.Count; i++) gens[i].Offset = offsets[i];
            using (Autograd.EnableGrad()) y = fn(detached);
        }
        finally
        {
            for (int i = 0; i < gens.Count; i++) gens[i].Offset = now[i];
        }
        if (y.RequiresGrad) y.Backward(g);
        var grads = new Tensor?[inputs.Length + parameterCount];
        for (int i = 0; i < inputs.Length; i++) grads[i] = inputs[i].RequiresGrad ? detached[i].Grad : null;
        return grads;
    }
}
