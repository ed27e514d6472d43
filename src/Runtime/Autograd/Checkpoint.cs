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
