using System.Text.RegularExpressions;
using Engine.Runtime;

namespace Engine.Methods.Training.Optimization;

/// <summary>Whether a parameter group descends the loss (as the model does) or ascends it.</summary>
public enum OptimizeDirection
{
    Minimize,
    /// <summary>
    /// Gradient ascent (DRPruning's Lagrange multipliers maximise the Lagrangian). The trainer negates the group's
    /// gradient before AdamW, which gives the update torch's AdamW makes with a negative learning rate (the convention
    /// of LLM-Shearing/DRPruning, lr = −lag_lr), without weight decay growing the parameters as a negative lr would.
    /// The saved first moments are those of the negated gradient.
    /// </summary>
    Maximize,
}

/// <summary>How a parameter group's gradient is clipped.</summary>
public enum GroupClipping
{
    /// <summary>
    /// Counted in the model's global gradient norm and scaled with it (<see cref="TrainerOptions.MaxGradNorm"/>), as
    /// torch's clip_grad_norm_ over model.parameters() does when the extra tensors are a submodule of the model — the
    /// case of LLM-Shearing/DRPruning, whose mask and λ tensors live in the model's L0 module and are clipped with it.
    /// </summary>
    WithModel,
    /// <summary>Clipped to the group's own <see cref="ParameterGroup.MaxGradNorm"/>, apart from the model.</summary>
    Own,
    /// <summary>Never clipped (and not counted in the reported global norm).</summary>
    None,
}

/// <summary>
/// Trainable tensors a method owns beside the model (DRPruning's mask log α and Lagrange multipliers), optimised by
/// their own AdamW with their own learning rate, direction, weight decay, schedule and clipping. Their values and
/// optimizer moments are written into every checkpoint and restored on resume; the final model folder does not hold
/// them (a method saves what it needs at the end itself).
/// </summary>
public sealed partial record ParameterGroup
{
    /// <summary>Unique name (letters, digits, '_', '-', '.'): the key of the group in checkpoints.</summary>
    public required string Name { get; init; }
    /// <summary>The tensors, by name (f32, contiguous, not part of the model's trainable set); RequiresGrad is set on them.</summary>
    public required IReadOnlyList<KeyValuePair<string, Tensor>> Parameters { get; init; }
    /// <summary>Peak learning rate of the group (≥ 0; use <see cref="Direction"/> for ascent, not a negative rate).</summary>
    public required double LearningRate { get; init; }
    public OptimizeDirection Direction { get; init; } = OptimizeDirection.Minimize;
    /// <summary>Decoupled weight decay of the group (default 0).</summary>
    public double WeightDecay { get; init; }
    /// <summary>
    /// Multiplier of <see cref="LearningRate"/> at optimizer step k (0-based), a pure function of k so a resume needs no
    /// state. Null: the trainer's schedule (warmup and decay as the model's), as Composer applies one scheduler to every group.
    /// </summary>
    public Func<long, double>? Schedule { get; init; }
    public GroupClipping Clipping { get; init; } = GroupClipping.WithModel;
    /// <summary>With <see cref="GroupClipping.Own"/>: the group's norm limit (&gt; 0).</summary>
    public double MaxGradNorm { get; init; }
    /// <summary>AdamW β1, β2 and ε of the group; null: the trainer's.</summary>
    public double? Beta1 { get; init; }
    public double? Beta2 { get; init; }
    public double? Epsilon { get; init; }

    [GeneratedRegex(@"^[A-Za-z0-9_.\-]+$")]
    private static partial Regex SafeName();

    internal void Validate()
    {
        if (Name is null || !SafeName().IsMatch(Name)) throw new ArgumentException($"Parameter group name '{Name}' must be letters, digits, '_', '-' or '.'.");
        if (Parameters is null || Parameters.Count == 0) throw new ArgumentException($"Parameter group '{Name}' has no tensors.");
        if (!(LearningRate >= 0)) throw new ArgumentException($"Parameter group '{Name}': learning rate must be ≥ 0 (got {LearningRate}); ascend with Direction = Maximize.");
        if (!(WeightDecay >= 0)) throw new ArgumentException($"Parameter group '{Name}': weight decay must be ≥ 0, got {WeightDecay}.");
        if (Clipping == GroupClipping.Own && !(MaxGradNorm > 0)) throw new ArgumentException($"Parameter group '{Name}' clips on its own but has MaxGradNorm {MaxGradNorm}.");
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (n, t) in Parameters)
        {
            if (!names.Add(n)) throw new ArgumentException($"Parameter group '{Name}' names '{n}' twice.");
            if (t.DType != DType.F32) throw new ArgumentException($"Parameter group '{Name}': '{n}' is {t.DType}; optimised tensors are f32 masters.");
            if (!t.IsContiguous) throw new ArgumentException($"Parameter group '{Name}': '{n}' must be contiguous (it is updated in place).");
        }
    }
}
