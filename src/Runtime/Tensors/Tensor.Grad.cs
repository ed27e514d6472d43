namespace Engine.Runtime;

public sealed partial class Tensor
{
    private bool _requiresGrad;

    /// <summary>Leaf flag: set on parameters. Results of ops on such tensors require grad too.</summary>
    public bool RequiresGrad
    {
        get => _requiresGrad;
        set
        {
            if (value && !DType.IsFloat()) throw new InvalidOperationException($"Only floating tensors can require grad (this one is {DType}).");
            if (!value && GradFn is not null) throw new InvalidOperationException("Cannot clear RequiresGrad on a non-leaf tensor; use Detach().");
            _requiresGrad = value;
        }
    }

    internal bool RequiresGradInternal { set => _requiresGrad = value; }

    /// <summary>Accumulated gradient of a leaf after <see cref="Backward"/>.</summary>
    public Tensor? Grad { get; set; }

    /// <summary>The op that produced this tensor, when recorded.</summary>
    public GradNode? GradFn { get; internal set; }

    public bool IsLeaf => GradFn is null;

    /// <summary>Back-propagate from this tensor. A scalar needs no seed; otherwise pass dL/dthis.</summary>
    public void Backward(Tensor? gradient = null, bool retainGraph = false)
    {
        if (!RequiresGrad) throw new InvalidOperationException("Backward on a tensor that does not require grad (no parameter with RequiresGrad reached it).");
        if (gradient is null)
        {
            if (NumElements != 1) throw new InvalidOperationException($"Backward without a gradient needs a scalar; this tensor is {ShapeString}.");
            gradient = Full(ShapeArray(), 1.0, DType, Device);
        }
        else if (!gradient.Shape.SequenceEqual(Shape)) throw new ArgumentException($"Gradient shape {gradient.ShapeString} differs from tensor shape {ShapeString}.");
        Autograd.RunBackward(this, gradient, retainGraph);
    }

    /// <summary>
    /// Set by a backward on a gradient it has just allocated and hands to exactly one input (a weight's GEMM gradient, the
    /// embedding's scatter): a leaf may keep it as its Grad without the defensive copy, since nothing else refers to it.
    /// </summary>
    internal bool SoleGradient { get; private set; }

    internal Tensor AsSoleGradient() { SoleGradient = true; return this; }

    internal void AccumulateGrad(Tensor g)
    {
        if (g.DType != DType) g = g.To(DType);
        // Any other gradient may be shared (a backward that passes its input gradient on to two inputs, the caller's
        // seed), and the optimizer and clipping change Grad in place: copy it.
        Grad = Grad is null ? (g.SoleGradient && g.IsContiguous ? g : g.Contiguous().Clone()) : Ops.Add(Grad, g);
    }

    public void ZeroGrad() => Grad = null;

    /// <summary>Same data, cut from the graph.</summary>
    public Tensor Detach() => new(Storage, DType, ShapeArray(), Strides.ToArray(), Offset);
}
