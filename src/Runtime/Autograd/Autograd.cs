namespace Engine.Runtime;

/// <summary>
/// Define-by-run tape. Ops call <see cref="Record"/>; <see cref="Tensor.Backward"/> walks the
/// graph in reverse topological order. Leaves (tensors with RequiresGrad and no GradFn)
/// accumulate into <see cref="Tensor.Grad"/>, so several backward passes add up (gradient
/// accumulation) until <see cref="Tensor.ZeroGrad"/>.
/// </summary>
public static class Autograd
{
    // AsyncLocal, not ThreadStatic: a scope opened in an async method still holds after an `await` that resumes on
    // another thread, and work started inside it (Task.Run) inherits it, as the CUDA stream scope does.
    private static readonly AsyncLocal<int> NoGradDepth = new();

    public static bool IsEnabled => NoGradDepth.Value == 0;

    /// <summary>Inference scope: ops inside record nothing. <c>using var _ = Autograd.NoGrad();</c> Survives <c>await</c>.</summary>
    public static IDisposable NoGrad() { NoGradDepth.Value++; return new Scope(); }

    /// <summary>
    /// Recording back on inside a <see cref="NoGrad"/> scope (torch.enable_grad), until disposed: the backward of a
    /// checkpointed region (<see cref="Checkpoint"/>) reruns its forward with recording on.
    /// </summary>
    public static IDisposable EnableGrad()
    {
        int saved = NoGradDepth.Value;
        NoGradDepth.Value = 0;
        return new RestoreScope(saved);
    }

    private sealed class RestoreScope(int depth) : IDisposable
    {
        private bool _done;
        public void Dispose() { if (!_done) { _done = true; NoGradDepth.Value = depth; } }
    }

    private sealed class Scope : IDisposable
    {
        private bool _done;
        public void Dispose() { if (!_done) { _done = true; NoGradDepth.Value--; } }
    }

    /// <summary>True when any input needs a gradient and recording is on.</summary>
    public static bool Needs(params ReadOnlySpan<Tensor?> inputs)
    {
        if (!IsEnabled) return false;
        foreach (var t in inputs) if (t is not null && t.RequiresGrad) return true;
        return false;
    }

    /// <summary>Attach a backward function to <paramref name="output"/> when any input requires grad.</summary>
    public static Tensor Record(Tensor output, string op, Tensor[] inputs, Func<Tensor, Tensor?[]> backward)
    {
        if (!Needs(inputs)) return output;
        output.GradFn = new GradNode(op, inputs, backward);
        output.RequiresGradInternal = true;
        return output;
    }

    internal static void RunBackward(Tensor root, Tensor seed, bool retainGraph)
    {
        // Iterative post-order DFS: deep models must not overflow the stack.
        var order = new List<Tensor>();
        var visited = new HashSet<Tensor>(ReferenceEqualityComparer.Instance);
        var stack = new Stack<(Tensor t, bool expanded)>();
        stack.Push((root, false));
        while (stack.Count > 0)
        {
            var (t, expanded) = stack.Pop();
            if (expanded) { order.Add(t); continue; }
            if (!visited.Add(t)) continue;
            stack.Push((t, true));
            if (t.GradFn is { } node)
            {
                if (node.Released)
                    throw new InvalidOperationException($"Backward through '{node.Op}' a second time: the graph was freed. Pass retainGraph: true to the first Backward.");
                foreach (var i in node.Inputs) if (i.RequiresGrad && !visited.Contains(i)) stack.Push((i, false));
            }
        }

        var grads = new Dictionary<Tensor, Tensor>(ReferenceEqualityComparer.Instance) { [root] = seed };
        using var _ = NoGrad();
        for (int idx = order.Count - 1; idx >= 0; idx--)
        {
            var t = order[idx];
            if (!grads.Remove(t, out var g)) continue;
            if (t.GradFn is null)
            {
                if (t.RequiresGrad) t.AccumulateGrad(g);
                continue;
            }
            var node = t.GradFn;
            var inGrads = node.BackwardFn!(g);
            if (inGrads.Length != node.Inputs.Length)
                throw new InvalidOperationException($"Backward of '{node.Op}' returned {inGrads.Length} gradients for {node.Inputs.Length} inputs.");
            for (int i = 0; i < inGrads.Length; i++)
            {
                var input = node.Inputs[i];
                var gi = inGrads[i];
                if (gi is null || !input.RequiresGrad) continue;
                if (!gi.Shape.SequenceEqual(input.Shape))
                    throw new InvalidOperationException($"Backward of '{node.Op}' produced gradient {gi.ShapeString} for input {i} of shape {input.ShapeString}.");
                grads[input] = grads.TryGetValue(input, out var prev) ? Ops.Add(prev, gi) : gi;
            }
            if (!retainGraph) node.Release();
        }
    }
}
