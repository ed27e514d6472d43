using Engine.Models.Lora;
using Engine.Models.Transformer;
using Engine.Runtime;

namespace Engine.Methods.Training.Preference;

/// <summary>
/// π_ref for DPO/KTO: a separate frozen model, or — with LoRA — the policy itself with its adapters switched
/// off, or (full fine-tuning, cached mode only) the policy before its first update.
/// </summary>
public sealed class ReferencePolicy
{
    private readonly TrainableModel _policy;
    private readonly TransformerModel? _frozen;

    public ReferencePolicy(TrainableModel policy, TransformerModel? frozenReference = null)
    {
        _policy = policy; _frozen = frozenReference;
        if (frozenReference is not null && ReferenceEquals(frozenReference, policy.Model))
            throw new ArgumentException("The reference model must be a separate copy, not the policy being trained.");
        _frozen?.RequireGrad(false);
    }

    /// <summary>True when the reference can be evaluated at any time (not only before the first step).</summary>
    public bool IsStable => _frozen is not null || _policy.Lora is not null;

    public string Describe => _frozen is not null ? "separate frozen model" : _policy.Lora is not null ? "policy with LoRA adapters disabled" : "initial policy (cached before training)";

    /// <summary>Sequence log-prob sums [B] under π_ref (no gradient).</summary>
    public Tensor SequenceLogProbs(TokenBatch batch)
    {
        using var _ = Autograd.NoGrad();
        if (_frozen is not null) return Preference.SequenceLogProbs.Compute(_frozen, batch.To(_frozen.Device)).sums;
        if (_policy.Lora is LoraModel lora)
            using (lora.DisableAdapters()) return Preference.SequenceLogProbs.Compute(_policy.Model, batch).sums;
        return Preference.SequenceLogProbs.Compute(_policy.Model, batch).sums;
    }
}
