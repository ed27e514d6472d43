using Engine.Runtime.Cpu;

namespace Engine.Runtime;

/// <summary>
/// The chunk loop of <see cref="Ops.LinearCrossEntropy"/>: its forward (with the unit-weight gradients when recording)
/// and its backward. Every [chunk, V] and [V, H] temporary is freed as soon as it is used, so host memory goes back to
/// the block pool within the step instead of waiting for the finalizer (one chunk's logits at a time, not N/chunk).
/// </summary>
internal sealed class LinearCrossEntropyState(IBackend be, Tensor hidden, Tensor weight, Tensor targets, int chunkRows, int ignoreIndex)
{
    private readonly int _rows = hidden.Size(0);
    private Tensor? _dHidden1; // [N, H]: the hidden states' gradient at unit row weights
    private Tensor? _dWeight1; // [V, H]: the weight's gradient at unit row weights

    /// <summary>Per-row NLL [N]; when <paramref name="withGradients"/>, also dH₁ and dW₁.</summary>
    public Tensor Forward(bool withGradients)
    {
        var nll = Tensor.Empty([_rows], hidden.DType, hidden.Device);
        Tensor? unit = null;
        if (withGradients)
        {
            if (hidden.RequiresGrad) _dHidden1 = Tensor.Empty(hidden.Shape, hidden.DType, hidden.Device);
            unit = Tensor.Full([ChunkLength], 1.0, hidden.DType).To(hidden.Device);
        }
        foreach (var (at, len) in Chunks())
        {
            var (hb, tb) = (hidden.Narrow(0, at, len), targets.Narrow(0, at, len));
            var logits = be.MatMul(hb, weight, false, true);
            var (nb, lse) = be.CrossEntropyRows(logits, tb, ignoreIndex);
            nb.CopyTo(nll.Narrow(0, at, len));
            Free(nb);
            if (withGradients)
            {
                var d = Gradient(logits, tb, lse, unit!.Narrow(0, 0, len));
                BackChunk(d, hb, _dHidden1?.Narrow(0, at, len), weight.RequiresGrad, ref _dWeight1);
            }
            else Free(logits);
            Free(lse);
        }
        return nll;
    }

    /// <summary>Gradients for (hidden, weight) from dL/dnll <paramref name="g"/> [N].</summary>
    public Tensor?[] Backward(Tensor g)
    {
        bool needH = hidden.RequiresGrad, needW = weight.RequiresGrad;
        Tensor? gh = null, gw = null;
        var (dh1, dw1) = (_dHidden1, _dWeight1);
        _dHidden1 = null; _dWeight1 = null; // taken: a second backward (retainGraph) recomputes instead
        // Each row of dH₁ scaled by its row's gradient; the [N, 1] column is broadcast first, since backends need not
        // broadcast a column in Mul (CUDA broadcasts only a trailing vector).
        if (needH && dh1 is not null) gh = be.Binary(BinaryOp.Mul, dh1, be.BroadcastTo(g.Reshape(_rows, 1).Contiguous(), dh1.ShapeArray()));
        if (dh1 is not null) Free(dh1);
        if (needW && dw1 is not null && UniformOverCountedRows(g) is { } c)
        {
            if (c == 1.0) gw = dw1;
            else { gw = be.Affine(dw1, c, 0.0); Free(dw1); }
            dw1 = null;
        }
        if (dw1 is not null) Free(dw1);
        bool redoH = needH && gh is null, redoW = needW && gw is null;
        if (redoH || redoW)
        {
            var rh = redoH ? Tensor.Empty(hidden.Shape, hidden.DType, hidden.Device) : null;
            var rw = Recompute(g, rh, redoW);
            if (redoH) gh = rh;
            if (redoW) gw = rw;
        }
        return [gh, gw?.AsSoleGradient()];
    }

    /// <summary>Reruns the chunks with row weights g: writes dH into <paramref name="gh"/> (when given), returns dW (when wanted).</summary>
    private Tensor? Recompute(Tensor g, Tensor? gh, bool wantW)
    {
        Tensor? gw = null;
        foreach (var (at, len) in Chunks())
        {
            var (hb, tb) = (hidden.Narrow(0, at, len), targets.Narrow(0, at, len));
            var logits = be.MatMul(hb, weight, false, true);
            var (nb, lse) = be.CrossEntropyRows(logits, tb, ignoreIndex);
            Free(nb);
            var d = Gradient(logits, tb, lse, g.Narrow(0, at, len));
            Free(lse);
            BackChunk(d, hb, gh?.Narrow(0, at, len), wantW, ref gw);
        }
        return gw;
    }

    /// <summary>dH rows = d·W into <paramref name="dh"/> (when given); dW += dᵀ·h (when <paramref name="wantW"/>). Frees d.</summary>
    private void BackChunk(Tensor d, Tensor hb, Tensor? dh, bool wantW, ref Tensor? dw)
    {
        if (dh is not null)
        {
            var rows = be.MatMul(d, weight, false, false);
            rows.CopyTo(dh);
            Free(rows);
        }
        if (!wantW) { Free(d); return; }
        if (d.Device.IsCpu)
        {
            // The GEMM accumulates into dW itself (beta = 1): no [V, H] product per chunk, no add pass.
            bool first = dw is null;
            dw ??= Tensor.Empty(weight.Shape, weight.DType, weight.Device);
            CpuLinearCrossEntropy.AccumulateWeightGradient(d, hb, dw, accumulate: !first);
            Free(d);
            return;
        }
        var part = be.MatMul(d, hb, true, false);
        Free(d);
        if (dw is null) { dw = part; return; }
        be.Binary(BinaryOp.Add, dw, part).CopyTo(dw);
    }

    /// <summary>
    /// rowGrad ⊙ (softmax − one-hot) of a chunk's logits: written over them on the CPU (the logits are not needed
    /// after), a new tensor elsewhere.
    /// </summary>
    private Tensor Gradient(Tensor logits, Tensor tb, Tensor lse, Tensor rowGrad)
    {
        if (logits.Device.IsCpu)
        {
            CpuLinearCrossEntropy.GradientInPlace(logits, tb, lse, rowGrad, ignoreIndex);
            return logits;
        }
        var d = be.CrossEntropyRowsBackward(logits, tb, lse, rowGrad, ignoreIndex);
        Free(logits);
        return d;
    }

    private int ChunkCount => (_rows + chunkRows - 1) / chunkRows;

    private int ChunkLength => (_rows + ChunkCount - 1) / Math.Max(1, ChunkCount);

    /// <summary>
    /// N split into ⌈N / chunkRows⌉ chunks as equal as can be (lengths differ by at most one), so a step allocates one
    /// or two chunk sizes, which the block pool hands back step after step, never a small ragged last one besides.
    /// </summary>
    private IEnumerable<(int At, int Len)> Chunks()
    {
        int count = ChunkCount;
        for (int c = 0, at = 0; c < count; c++)
        {
            int len = _rows / count + (c < _rows % count ? 1 : 0);
            yield return (at, len);
            at += len;
        }
    }

    /// <summary>
    /// The one value g takes on every row whose target is counted (0 when none is), or null when the rows differ:
    /// then dW = c·dW₁ is exact math, since ignored rows contribute nothing to dW₁.
    /// </summary>
    private double? UniformOverCountedRows(Tensor g)
    {
        var gs = g.ToDoubleArray();
        var host = targets.Device.IsCpu ? targets : targets.To(Device.Cpu);
        long[] ts = host.DType == DType.I64 ? host.ToArray<long>() : [.. host.ToArray<int>().Select(t => (long)t)];
        double? c = null;
        for (int i = 0; i < _rows; i++)
        {
            if (ts[i] == ignoreIndex) continue;
            if (c is null) c = gs[i];
            else if (gs[i] != c.Value) return null;
        }
        return c ?? 0.0;
    }

    /// <summary>Host blocks go back to the pool now; device memory is left to the finalizer (a kernel may still use it).</summary>
    private static void Free(Tensor t)
    {
        if (t.Device.IsCpu) t.Storage.Dispose();
    }
}
