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

    [ThreadStatic] private static int _backwardDepth;
    [ThreadStatic] private static Action<Tensor>? _leafFinal;
    [ThreadStatic] private static Action<Func<Tensor, bool>>? _backwardStart;

    /// <summary>
    /// Until disposed, <paramref name="onFinal"/> is called on this thread once per leaf that needs a gradient, during
    /// each outermost <see cref="Tensor.Backward"/>, at the moment that backward can add nothing more to the leaf's
    /// <see cref="Tensor.Grad"/>: when the reverse topological walk reaches the leaf, every node that uses it has run,
    /// including nodes whose backward runs a nested one into it (checkpointed segments and loss blocks list the
    /// parameters they use as inputs). The leaf's Grad may be null there (no path carried a gradient). Data-parallel
    /// training starts a bucket's all-reduce as soon as all of its tensors are final, overlapping it with the rest of
    /// the backward (PyTorch DDP's gradient hooks).
    /// </summary>
    /// <param name="onFinal">Called once per leaf reached, when its gradient is final.</param>
    /// <param name="onStart">
    /// Called once at the start of each outermost backward with a test of whether that backward reaches a tensor: a
    /// tensor it does not reach is final already (DDP's unused parameters), and can be treated so without waiting.
    /// </param>
    public static IDisposable OnLeafGradientFinal(Action<Tensor> onFinal, Action<Func<Tensor, bool>>? onStart = null)
    {
        ArgumentNullException.ThrowIfNull(onFinal);
        var previous = (_leafFinal, _backwardStart);
        (_leafFinal, _backwardStart) = (onFinal, onStart);
        return new Restore(() => (_leafFinal, _backwardStart) = previous);
    }

    private sealed class Restore(Action undo) : IDisposable
    {
        private Action? _undo = undo;
        public void Dispose() { _undo?.Invoke(); _undo = null; }
    }

    internal static void RunBackward(Tensor root, Tensor seed, bool retainGraph)
    {
        _backwardDepth++;
        bool outermost = _backwardDepth == 1;
        try { RunBackwardCore(root, seed, retainGraph, outermost ? _leafFinal : null, outermost ? _backwardStart : null); }
        finally { _backwardDepth--; }
    }

    private static void RunBackwardCore(Tensor root, Tensor seed, bool retainGraph, Action<Tensor>? leafFinal, Action<Func<Tensor, bool>>? onStart)
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

        onStart?.Invoke(visited.Contains);
        var grads = new Dictionary<Tensor, Tensor>(ReferenceEqualityComparer.Instance) { [root] = seed };
        using var _ = NoGrad();
        for (int idx = order.Count - 1; idx >= 0; idx--)
        {
            var t = order[idx];
            if (t.GradFn is null)
            {
                if (grads.Remove(t, out var lg) && t.RequiresGrad) t.AccumulateGrad(lg);
                if (leafFinal is not null && t.RequiresGrad) leafFinal(t);
                continue;
            }
            if (!grads.Remove(t, out var g)) continue;
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
