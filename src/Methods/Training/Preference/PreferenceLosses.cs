using Engine.Runtime;

namespace Engine.Methods.Training.Preference;

/// <summary>
/// The preference losses on sequence log-probabilities (sums over completion tokens), as in the papers and TRL.
/// Inputs are [B] tensors; reference log-probs carry no gradient.
/// </summary>
public static class PreferenceLosses
{
    /// <summary>Per-pair losses and the implicit rewards β·(log π − log π_ref) of each side (detached).</summary>
    public sealed record DpoResult(Tensor Losses, Tensor ChosenRewards, Tensor RejectedRewards);

    /// <summary>
    /// DPO, sigmoid form (Rafailov et al. 2023, eq. 7): L = −log σ(β[(log π(y_w) − log π_ref(y_w)) − (log π(y_l) − log π_ref(y_l))]).
    /// </summary>
    public static DpoResult Dpo(Tensor policyChosen, Tensor policyRejected, Tensor refChosen, Tensor refRejected, double beta)
    {
        var chosenRatio = Ops.Sub(policyChosen, refChosen.Detach());
        var rejectedRatio = Ops.Sub(policyRejected, refRejected.Detach());
        var losses = Ops.Neg(Ops.LogSigmoid(Ops.Scale(Ops.Sub(chosenRatio, rejectedRatio), beta)));
        using var _ = Autograd.NoGrad();
        return new DpoResult(losses, Ops.Scale(chosenRatio.Detach(), beta), Ops.Scale(rejectedRatio.Detach(), beta));
    }

    /// <summary>
    /// KTO's reference point z0 (Ethayarajh et al. 2024; TRL): the mean of log π(y'|x) − log π_ref(y'|x) over the
    /// mismatched prompt/completion pairs of the whole optimizer step, clamped at 0, a constant for the gradient.
    /// </summary>
    public static double KlReferencePoint(Tensor policyMismatched, Tensor refMismatched)
    {
        var p = policyMismatched.ToDoubleArray(); var r = refMismatched.ToDoubleArray();
        if (p.Length == 0) return 0;
        double s = 0;
        for (int i = 0; i < p.Length; i++) s += p[i] - r[i];
        return Math.Max(0, s / p.Length);
    }

    /// <summary>
    /// KTO per-example losses, weighted: desirable λ_D·(1 − σ(β(r − z0))), undesirable λ_U·(1 − σ(β(z0 − r))),
    /// with r = log π(y|x) − log π_ref(y|x). The batch loss is their mean (TRL).
    /// </summary>
    public static Tensor Kto(Tensor policy, Tensor reference, IReadOnlyList<bool> desirable, double z0, double beta,
        double desirableWeight = 1.0, double undesirableWeight = 1.0)
    {
        int n = policy.Size(0);
        if (desirable.Count != n) throw new ArgumentException($"KTO: {desirable.Count} labels for {n} log-probs.");
        var r = Ops.Sub(policy, reference.Detach());
        var sign = new double[n]; var weight = new double[n];
        for (int i = 0; i < n; i++)
        {
            sign[i] = desirable[i] ? 1 : -1;
            weight[i] = desirable[i] ? desirableWeight : undesirableWeight;
        }
        var dt = policy.DType;
        // σ(β·s·(r − z0)): s = +1 gives σ(β(r − z0)), s = −1 gives σ(β(z0 − r)).
        var arg = Ops.Scale(Ops.Mul(Ops.AddScalar(r, -z0), Tensor.FromArray(sign).To(dt)), beta);
        var oneMinus = Ops.AddScalar(Ops.Neg(Ops.Sigmoid(arg)), 1.0);
        return Ops.Mul(oneMinus, Tensor.FromArray(weight).To(dt));
    }
}
