using Engine.Runtime;

namespace Engine.Methods.Training;

/// <summary>
/// A loss term a trainer subclass adds to a micro-batch's loss (<c>ExtraLosses</c>), in one of two forms, both
/// normalised so that gradient accumulation gives the update of one big batch:
/// <list type="bullet">
/// <item><see cref="Mean"/>: a scalar that is already a mean over the micro-batch; the trainer multiplies it by the
/// micro-batch's share of the step (<see cref="TrainingStepContext.Share"/>).</item>
/// <item><see cref="PerExample"/>: one value per example [B]; the trainer adds Σ_b w_b·v_b / N, N = examples in the
/// optimizer step, w_b = the example's weight (<see cref="TrainingStepContext.ExampleWeights"/>) unless the term
/// brings its own. A weight of 0 removes an example's contribution exactly (value and gradient).</item>
/// </list>
/// The step's metrics get the term's contribution under <see cref="Name"/>.
/// </summary>
public sealed record ExtraLoss
{
    public string Name { get; }
    public Tensor Value { get; }
    public bool IsPerExample { get; }
    /// <summary>Per-example weights for this term only (length B); null: the examples' weights.</summary>
    public IReadOnlyList<double>? Weights { get; }

    private ExtraLoss(string name, Tensor value, bool perExample, IReadOnlyList<double>? weights)
    {
        if (string.IsNullOrWhiteSpace(name)) throw new ArgumentException("An extra loss needs a name (it is logged under it).");
        Name = name; Value = value; IsPerExample = perExample; Weights = weights;
    }

    /// <summary>A scalar mean over the micro-batch (scaled by the micro-batch's share of the step).</summary>
    public static ExtraLoss Mean(string name, Tensor scalar) => new(name, scalar, false, null);

    /// <summary>Values [B], one per example of the micro-batch, weighted and averaged over the step's examples.</summary>
    public static ExtraLoss PerExample(string name, Tensor values, IReadOnlyList<double>? weights = null) => new(name, values, true, weights);

    /// <summary>The term as it enters the loss: a scalar of <paramref name="like"/>'s shape.</summary>
    internal Tensor Scaled(TrainingStepContext ctx, Tensor like)
    {
        if (!IsPerExample)
        {
            if (Value.NumElements != 1) throw new InvalidOperationException($"Extra loss '{Name}' is {Value.ShapeString}; a Mean term must be a scalar.");
            return Ops.Scale(Value.Reshape(like.ShapeArray()), ctx.Share);
        }
        int b = ctx.ExampleIndices.Count;
        if (Value.NumElements != b) throw new InvalidOperationException($"Extra loss '{Name}' is {Value.ShapeString}; a PerExample term needs one value per example of the micro-batch ({b}).");
        var w = Weights ?? ctx.ExampleWeights;
        if (w.Count != b) throw new InvalidOperationException($"Extra loss '{Name}' has {w.Count} weights for {b} examples.");
        var f = new double[b];
        for (int i = 0; i < b; i++) f[i] = w[i] / ctx.StepExamples;
        var wt = Tensor.FromArray(f).To(Value.DType);
        if (!Value.Device.IsCpu) wt = wt.To(Value.Device);
        return Ops.Sum(Ops.Mul(Value.Reshape(b), wt)).Reshape(like.ShapeArray());
    }
}
