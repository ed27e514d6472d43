namespace Engine.Methods.Pruning.DRPruning;

/// <summary>The result of one χ²-ball DRO update (<see cref="DroFormulas.Weights"/>).</summary>
/// <param name="Excess">e = ℓ − c·ℓ_R, the excess loss the update used.</param>
/// <param name="ReferenceFactor">c: 1, or the first of 0.9, 0.8, … at which some excess became positive.</param>
/// <param name="Eta">η*, the bisection's threshold (NaN when the update failed).</param>
/// <param name="Failed">True when no threshold inside the bracket met the constraint: the weights stay at p.</param>
/// <param name="Unclamped">q(η*) before the clamp to min p: the point whose χ² divergence from p is ρ.</param>
/// <param name="Weights">The new domain proportions (after the optional clamp to min p and renormalisation).</param>
public sealed record DroUpdate(double[] Excess, double ReferenceFactor, double Eta, bool Failed, double[] Unclamped, double[] Weights);

/// <summary>
/// DRPruning's domain reweighting as pure functions (DRO-MNMT's χ²-ball update with DRPruning's reference ratio,
/// and Sheared-LLaMA's exponentiated update as the baseline). All vectors are per domain, in one fixed order.
/// </summary>
public static class DroFormulas
{
    /// <summary>
    /// Step 1: e = ℓ − ℓ_R; when every e is negative, retry with e = ℓ − c·ℓ_R for c = 0.9, 0.8, … until some e is
    /// positive ("target loss too high"). c never goes below 0.
    /// </summary>
    public static double[] Excess(IReadOnlyList<double> loss, IReadOnlyList<double> reference, out double factor)
    {
        int times = 10;
        double[] e = Diff(loss, reference, 1.0);
        while (e.Max() < 0 && times > 0)
        {
            times--;
            e = Diff(loss, reference, times * 0.1);
        }
        factor = times * 0.1;
        return e;
    }

    private static double[] Diff(IReadOnlyList<double> loss, IReadOnlyList<double> reference, double c)
    {
        if (loss.Count != reference.Count) throw new ArgumentException($"{loss.Count} losses for {reference.Count} reference losses.");
        return loss.Select((l, k) => l - c * reference[k]).ToArray();
    }

    /// <summary>
    /// q(η): q̃_k = p_k·max(e_k − η, 0), q = q̃/Σq̃, r_k = max(q_k/p_k, min_prob), q_k = r_k·p_k / Σ r_j·p_j.
    /// NaN everywhere when η ≥ max e (0/0), as in the reference code.
    /// </summary>
    public static double[] Q(IReadOnlyList<double> p, IReadOnlyList<double> excess, double eta, double minProb)
    {
        int k = p.Count;
        var q = new double[k];
        double sum = 0;
        for (int i = 0; i < k; i++) { q[i] = p[i] * Math.Max(excess[i] - eta, 0); sum += q[i]; }
        double norm = 0;
        for (int i = 0; i < k; i++) { q[i] = Math.Max(q[i] / sum / p[i], minProb) * p[i]; norm += q[i]; }
        for (int i = 0; i < k; i++) q[i] /= norm;
        return q;
    }

    /// <summary>χ² divergence of q from p: ½·Σ_k p_k·(q_k/p_k − 1)².</summary>
    public static double Divergence(IReadOnlyList<double> p, IReadOnlyList<double> q)
    {
        double d = 0;
        for (int i = 0; i < p.Count; i++) { double r = q[i] / p[i] - 1; d += p[i] * r * r; }
        return 0.5 * d;
    }

    /// <summary>
    /// Bisection for f(η) = 0 with f increasing: widen [lo, hi] (doubling its length towards the side that does not
    /// bracket the root) until f(lo) ≤ 0 ≤ f(hi) — NaN counts as neither side — then halve until |f| ≤ tol, or return
    /// the mid-point after <paramref name="maxIter"/> halvings.
    /// </summary>
    public static double Bisection(Func<double, double> f, double lo, double hi, double tol, int maxIter)
    {
        double lower = f(lo), upper = f(hi);
        for (int widen = 0; lower > 0 || upper < 0; widen++)
        {
            if (widen == 200) throw new InvalidOperationException("DRO bisection: no bracket of the root after 200 widenings.");
            double length = hi - lo;
            if (lower > 0) { hi = lo; lo -= 2 * length; }
            if (upper < 0) { lo = hi; hi += 2 * length; }
            lower = f(lo); upper = f(hi);
        }
        for (int i = 0; i < maxIter; i++)
        {
            double eta = 0.5 * (lo + hi), v = f(eta);
            if (Math.Abs(v) <= tol) return eta;
            if (v > 0) hi = eta;
            else if (v < 0) lo = eta;
        }
        return 0.5 * (lo + hi);
    }

    /// <summary>
    /// The worst-case domain weights in the χ² ball of radius ρ around the reference ratio p (steps 1–6): excess
    /// losses, bisection on ½·Σ p(q(η)/p − 1)² − ρ over [−max e/(√(2ρ+1) − 1), max e], q = q(η*) (or p when η* is the
    /// upper end: the update failed), then with <paramref name="clampToMin"/> q_k ← max(q_k, min_j p_j), renormalised.
    /// </summary>
    public static DroUpdate Weights(IReadOnlyList<double> p, IReadOnlyList<double> loss, IReadOnlyList<double> reference,
        double rho, double minProb, bool clampToMin, double tol = 1e-4, int maxIter = 1000)
    {
        if (!(rho > 0)) throw new ArgumentException($"DRO radius ρ must be > 0, got {rho}.");
        var e = Excess(loss, reference, out double factor);
        double max = e.Max();
        double[] q; double eta; bool failed;
        if (!(max > 0))
        {
            // Every excess is 0 (or NaN): q(η) is 0/0 everywhere; the reference code then fails the update too.
            q = [.. p]; eta = double.NaN; failed = true;
        }
        else
        {
            double lo = -(1.0 / (Math.Sqrt(2 * rho + 1) - 1)) * max, hi = max;
            eta = Bisection(x => Divergence(p, Q(p, e, x, minProb)) - rho, lo, hi, tol, maxIter);
            failed = eta == hi;
            q = failed ? [.. p] : Q(p, e, eta, minProb);
        }
        var unclamped = (double[])q.Clone();
        if (clampToMin)
        {
            double floor = p.Min();
            for (int i = 0; i < q.Length; i++) q[i] = Math.Max(q[i], floor);
        }
        double s = q.Sum();
        for (int i = 0; i < q.Length; i++) q[i] /= s;
        return new DroUpdate(e, factor, failed ? double.NaN : eta, failed, unclamped, q);
    }

    /// <summary>
    /// The dynamic reference ratio (DyAll): p ← normalise((1−δ)·p + δ·q), then clamp to [p0/2, 2·p0] and normalise,
    /// then clamp to [min p0, max p0] and normalise.
    /// </summary>
    public static double[] UpdateReferenceRatio(IReadOnlyList<double> p, IReadOnlyList<double> q, IReadOnlyList<double> p0, double delta = 0.1)
    {
        int k = p.Count;
        var r = Normalise(Enumerable.Range(0, k).Select(i => (1 - delta) * p[i] + delta * q[i]).ToArray());
        r = Normalise(r.Select((x, i) => Math.Clamp(x, p0[i] / 2, p0[i] * 2)).ToArray());
        double lo = p0.Min(), hi = p0.Max();
        return Normalise(r.Select(x => Math.Clamp(x, lo, hi)).ToArray());
    }

    /// <summary>
    /// Sheared-LLaMA's dynamic batch loading (DoReMi-style): α' = softmax(ln α + η·(ℓ − ℓ_R)), α = (1 − c)·α' + c/K,
    /// normalised; η = 1 and c = 1e-4 in its code.
    /// </summary>
    public static double[] ShearedWeights(IReadOnlyList<double> current, IReadOnlyList<double> loss, IReadOnlyList<double> reference, double eta = 1.0, double c = 1e-4)
    {
        int k = current.Count;
        var logits = Enumerable.Range(0, k).Select(i => Math.Log(current[i]) + eta * (loss[i] - reference[i])).ToArray();
        double max = logits.Max();
        var soft = Normalise(logits.Select(x => Math.Exp(x - max)).ToArray());
        return Normalise(soft.Select(a => (1 - c) * a + c / k).ToArray());
    }

    private static double[] Normalise(double[] v)
    {
        double s = v.Sum();
        return v.Select(x => x / s).ToArray();
    }
}
