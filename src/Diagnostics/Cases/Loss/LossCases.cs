using Engine.Diagnostics.OpCases;
using Engine.Runtime;
using static Engine.Diagnostics.Cases.CaseKit;

namespace Engine.Diagnostics.Cases.Loss;

/// <summary>Cross-entropy over the vocabulary (I64 and I32 targets, an ignored row), candidate probabilities and the symmetric KL (kernels/loss.cu).</summary>
public static class LossCases
{
    private const string Family = "Loss";
    private const long Ignore = -100;

    public static IEnumerable<OpCase> All()
    {
        foreach (var (n, d) in new[] { (3, 37), (17, 1000), (5, 4099) })
        {
            yield return CrossEntropy(n, d, DType.I64);
            yield return CandidateProbs(n, d);
        }
        yield return CrossEntropy(5, 4099, DType.I32);
        yield return TokenLogProbs();
        // [2,150001]: a vocabulary-sized row (wide blocks, many chunks per thread); [5,4099] row 2 has p = q.
        foreach (var (n, v) in new[] { (3, 37), (17, 1000), (5, 4099), (2, 150_001) }) yield return SymmetricKl(n, v);
        yield return SymmetricKlAutograd();
        yield return LinearCrossEntropy(weighted: true);
        yield return LinearCrossEntropy(weighted: false);
    }

    /// <summary>
    /// The LM head fused with cross-entropy over row chunks (Ops.LinearCrossEntropy): 13 rows in uneven chunks of 5,
    /// row 1 ignored, per-row gradients (the path that recomputes dW) or a mean (the path that scales the forward's).
    /// </summary>
    private static OpCase LinearCrossEntropy(bool weighted)
    {
        const int n = 13, h = 24, v = 301, chunk = 5;
        string name = "Ops.LinearCrossEntropy" + (weighted ? " weighted rows" : " mean");
        return new OpCase
        {
            Family = Family, Name = name, Shape = $"h[{n}, {h}] W[{v}, {h}] chunks of {chunk}", Op = BackendOp.CrossEntropy, DType = DType.F32,
            Inputs = s => [N(s, n, h), N(s + 1, 0.3, v, h), Targets(s, n, v, DType.I64), N(s + 2, n)],
            Run = t =>
            {
                var (hid, w) = (Leaf(t[0]), Leaf(t[1]));
                var nll = Ops.LinearCrossEntropy(hid, w, t[2], chunk, (int)Ignore);
                (weighted ? Ops.Sum(Ops.Mul(nll, t[3])) : Ops.Mean(nll)).Backward();
                return [Rel(name + " fwd", nll.Detach()), Rel(name + " d/hidden", hid.Grad!), Rel(name + " d/weight", w.Grad!)];
            },
            Reference = t =>
            {
                double[] hd = D(t[0]), wd = D(t[1]);
                var logits = new double[n * v];
                for (int r = 0; r < n; r++)
                    for (int c = 0; c < v; c++)
                    {
                        double acc = 0;
                        for (int k = 0; k < h; k++) acc += hd[r * h + k] * wd[c * h + k];
                        logits[r * v + c] = acc;
                    }
                var rowGrad = weighted ? D(t[3]) : Enumerable.Repeat(1.0 / n, n).ToArray();
                var (nll, dl) = LossReference.CrossEntropy(logits, Longs(t[2]), rowGrad, v, Ignore);
                var dh = new double[n * h]; var dw = new double[v * h];
                for (int r = 0; r < n; r++)
                    for (int c = 0; c < v; c++)
                    {
                        double g = dl[r * v + c];
                        if (g == 0) continue;
                        for (int k = 0; k < h; k++) { dh[r * h + k] += g * wd[c * h + k]; dw[c * h + k] += g * hd[r * h + k]; }
                    }
                return [Ref(name + " fwd", nll), Ref(name + " d/hidden", dh), Ref(name + " d/weight", dw)];
            },
            Gradient = weighted ? new Gradient(x => Ops.Mul(Ops.LinearCrossEntropy(x[0], x[1], x[2], chunk, (int)Ignore), x[3]), [0, 1]) : null,
        };
    }

    /// <summary>Targets spread over the vocabulary, row 1 ignored.</summary>
    private static Tensor Targets(ulong s, int n, int d, DType dtype)
    {
        var t = Enumerable.Range(0, n).Select(i => i == 1 ? Ignore : (long)((i * 7919 + (int)(s % 1000)) % d)).ToArray();
        return dtype == DType.I64 ? Tensor.FromArray(t, n) : Tensor.FromArray(t.Select(v => (int)v).ToArray(), n);
    }

    private static long[] Longs(Tensor t) => D(t).Select(v => (long)v).ToArray();

    private static OpCase CrossEntropy(int n, int d, DType targets)
    {
        string tag = targets == DType.I32 ? " i32 targets" : "";
        return new OpCase
        {
            Family = Family, Name = "cross_entropy" + tag, Shape = Dims(n, d), Op = BackendOp.CrossEntropy, DType = DType.F32,
            Inputs = s => [N(s, n, d), Targets(s, n, d, targets), N(s + 1, n)],
            Run = t =>
            {
                var be = Be(t);
                var (nll, lse) = be.CrossEntropyRows(t[0], t[1], Ignore);
                return [Rel($"cross_entropy.fwd{tag}", nll), Rel($"cross_entropy.bwd{tag}", be.CrossEntropyRowsBackward(t[0], t[1], lse, t[2], Ignore))];
            },
            Reference = t =>
            {
                var (nll, dl) = LossReference.CrossEntropy(D(t[0]), Longs(t[1]), D(t[2]), d, Ignore);
                return [Ref($"cross_entropy.fwd{tag}", nll), Ref($"cross_entropy.bwd{tag}", dl)];
            },
            Gradient = n == 3 || targets == DType.I32 ? new Gradient(x => Ops.CrossEntropy(x[0], x[1], (int)Ignore), [0]) : null,
        };
    }

    /// <summary>log p(ids) through Ops (the negated cross-entropy rows, no ignore index) and its gradient.</summary>
    private static OpCase TokenLogProbs() => new()
    {
        Family = Family, Name = "Ops.TokenLogProbs", Shape = "[2, 7, 301]", Op = BackendOp.CrossEntropy, DType = DType.F32,
        Inputs = s => [N(s, 2, 7, 301), Tensor.FromArray(Enumerable.Range(0, 14).Select(i => (long)((i * 131 + (int)(s % 97)) % 301)).ToArray(), 2, 7)],
        Run = t => [Rel("Ops.TokenLogProbs", Ops.TokenLogProbs(t[0], t[1]))],
        Reference = t =>
        {
            var x = D(t[0]); var ids = Longs(t[1]);
            return [Ref("Ops.TokenLogProbs", ids.Select((id, r) => LossReference.LogSoftmaxRow(x, r, 301)[id]).ToArray())];
        },
        Gradient = new Gradient(x => Ops.TokenLogProbs(x[0], x[1]), [0]),
    };

    private static OpCase CandidateProbs(int n, int d) => new()
    {
        Family = Family, Name = "candidate_probs", Shape = Dims(n, d), Op = BackendOp.CandidateProbs, DType = DType.F32,
        Inputs = s => [N(s, n, d)],
        Run = t => [Rel("candidate_probs", Be(t).CandidateProbs(t[0], [0, d / 3, d / 2, d - 1]))],
        Reference = t =>
        {
            var x = D(t[0]);
            return [Ref("candidate_probs", Enumerable.Range(0, n).SelectMany(r =>
            {
                var lp = LossReference.LogSoftmaxRow(x, r, d);
                return new[] { 0, d / 3, d / 2, d - 1 }.Select(c => Math.Exp(lp[c]));
            }).ToArray())];
        },
    };

    private static OpCase SymmetricKl(int n, int v)
    {
        bool equalRow = v == 4099;
        return new OpCase
        {
            Family = Family, Name = "symmetric_kl", Shape = DimsTight(n, v) + (equalRow ? " (row 2: p = q)" : ""), Op = BackendOp.SymmetricKl, DType = DType.F32,
            Inputs = s =>
            {
                // Q a perturbation of P, so KL is moderate rather than dominated by unrelated peaks.
                var p = N(s, 2.0, n, v).ToArray<float>();
                var q = N(s + 1, 0.7, n, v).ToArray<float>();
                for (int i = 0; i < q.Length; i++) q[i] += p[i];
                if (equalRow) Array.Copy(p, 2 * v, q, 2 * v, v); // KL = 0 there, and the gradients are exactly zero
                return [Tensor.FromArray(p, n, v), Tensor.FromArray(q, n, v), N(s + 2, n)];
            },
            Run = t =>
            {
                var be = Be(t);
                var (kl, stats) = be.SymmetricKl(t[0], t[1]);
                var (dp, dq) = be.SymmetricKlBackward(t[0], t[1], stats, t[2]);
                var rows = new List<Output> { Rel("symmetric_kl.fwd", kl), Rel("symmetric_kl.row_stats", stats), Rel("symmetric_kl.bwd.dP", dp), Rel("symmetric_kl.bwd.dQ", dq) };
                if (equalRow) rows.Add(new Output("symmetric_kl p = q row is exactly 0", Host([D(kl)[2]]), Check.Zero));
                return rows;
            },
            Reference = t =>
            {
                var (kl, stats, dp, dq) = LossReference.SymmetricKl(D(t[0]), D(t[1]), D(t[2]), v);
                return [Ref("symmetric_kl.fwd", kl), Ref("symmetric_kl.row_stats", stats), Ref("symmetric_kl.bwd.dP", dp), Ref("symmetric_kl.bwd.dQ", dq)];
            },
            Gradient = n == 3 ? new Gradient(x => Ops.SymmetricKl(x[0], x[1]), [0, 1]) : null,
        };
    }

    private static OpCase SymmetricKlAutograd() => new()
    {
        Family = Family, Name = "Ops.SymmetricKl autograd", Shape = "[6, 301]", Op = BackendOp.SymmetricKlBackward, DType = DType.F32,
        Inputs = s => [N(s, 2.0, 6, 301), N(s + 1, 2.0, 6, 301), N(s + 2, 6)],
        Run = t =>
        {
            var (p, q) = (Leaf(t[0]), Leaf(t[1]));
            Ops.SymmetricKl(p, q).Backward(t[2]);
            return [Rel("Ops.SymmetricKl autograd d/input0", p.Grad!), Rel("Ops.SymmetricKl autograd d/input1", q.Grad!)];
        },
    };
}
