namespace Engine.Methods.Pruning.DRPruning;

/// <summary>
/// The size side of DRPruning's L0 pruning (LLM-Shearing's <c>l0_module</c>), as plain arithmetic on doubles so each
/// formula can be checked by hand. Sizes count the attention and MLP weight matrices only (embeddings, norms, biases
/// and the LM head are not prunable). With a per-KV-group head mask (GQA; for MHA a group is one head):
/// <list type="bullet">
/// <item>one KV group owns its q and o slices (2·H·D·rep) and its k and v slices (2·H·D): 2·H·D·(Hq + Hkv)/Hkv;</item>
/// <item>one MLP unit owns a row of gate and up and a column of down: 3·H;</item>
/// <item>a hidden dim scales both by 1/H (every matrix has H rows or columns).</item>
/// </list>
/// </summary>
public static class PruningFormulas
{
    /// <summary>Weights owned by one head mask entry (a KV group of Hq/Hkv query heads), before the hidden mask: 2·H·D·(Hq+Hkv)/Hkv.</summary>
    public static double ParamsPerHeadGroup(int hidden, int headDim, int heads, int kvHeads) => 2.0 * hidden * headDim * (heads + kvHeads) / kvHeads;

    /// <summary>Prunable size L·(2·H·D·(Hq+Hkv) + 3·H·I): attention (q, k, v, o) and MLP (gate, up, down) matrices.</summary>
    public static long PrunableSize(int hidden, int layers, int heads, int kvHeads, int headDim, int intermediate) =>
        layers * (2L * hidden * headDim * (heads + kvHeads) + 3L * hidden * intermediate);

    /// <summary>1 − target / source: the overall sparsity the target shape means.</summary>
    public static double Sparsity(long sourceSize, long targetSize) => 1.0 - (double)targetSize / sourceSize;

    /// <summary>
    /// The ramped target of a module at optimizer step k (0-based): t_start + (t − t_start)·min(1, k / K_warm), or t
    /// when there is no warm-up (LLM-Shearing's <c>get_target_sparsity</c>).
    /// </summary>
    public static double RampedTarget(double target, long step, long warmupSteps, double start = 0)
    {
        if (warmupSteps <= 0) return target;
        return start + (target - start) * Math.Min(1.0, (double)step / warmupSteps);
    }

    /// <summary>
    /// Expected number of prunable weights from the masks' scores P(z ≠ 0):
    /// E = (Σ_d hidden_d)·[ Σ_{l,g} layer_l·group_{l,g}·2D(Hq+Hkv)/Hkv + Σ_{l,i} layer_l·unit_{l,i}·3 ].
    /// The outer-product sum of LLM-Shearing's code reduces to this product of sums.
    /// </summary>
    /// <param name="hidden">[H] scores of the hidden mask.</param>
    /// <param name="groups">[L, Hkv] scores of the head (KV group) mask.</param>
    /// <param name="units">[L, I] scores of the intermediate mask.</param>
    /// <param name="layers">[L] scores of the layer mask (multiplies both the layer's heads and units).</param>
    public static double ExpectedParameters(double[] hidden, double[,] groups, double[,] units, double[] layers, int headDim, int heads, int kvHeads)
    {
        int l = layers.Length;
        if (groups.GetLength(0) != l || units.GetLength(0) != l) throw new ArgumentException($"head and unit scores must have {l} rows (one per layer).");
        if (groups.GetLength(1) != kvHeads) throw new ArgumentException($"head scores must have {kvHeads} columns (KV groups), got {groups.GetLength(1)}.");
        double perGroup = 2.0 * headDim * (heads + kvHeads) / kvHeads, headSum = 0, unitSum = 0;
        for (int i = 0; i < l; i++)
        {
            for (int g = 0; g < groups.GetLength(1); g++) headSum += layers[i] * groups[i, g];
            for (int u = 0; u < units.GetLength(1); u++) unitSum += layers[i] * units[i, u];
        }
        return hidden.Sum() * (headSum * perGroup + unitSum * 3.0);
    }

    /// <summary>
    /// One module's Lagrangian term: mean over rows of λ1·(ŝ − t) + λ2·(ŝ − t)², where ŝ holds the module's expected
    /// sparsity per row (one value per layer for [L, ·] masks, a single value for [L] and [H] masks).
    /// </summary>
    public static double LagrangianTerm(IReadOnlyList<double> expectedSparsity, double target, double lambda1, double lambda2)
    {
        double sum = 0;
        foreach (var s in expectedSparsity) sum += lambda1 * (s - target) + lambda2 * (s - target) * (s - target);
        return sum / expectedSparsity.Count;
    }

    /// <summary>∂/∂λ1 and ∂/∂λ2 of <see cref="LagrangianTerm"/>: mean(ŝ − t) and mean((ŝ − t)²). Ascent moves λ along these.</summary>
    public static (double DLambda1, double DLambda2) LagrangianLambdaGradient(IReadOnlyList<double> expectedSparsity, double target)
    {
        double a = 0, b = 0;
        foreach (var s in expectedSparsity) { a += s - target; b += (s - target) * (s - target); }
        return (a / expectedSparsity.Count, b / expectedSparsity.Count);
    }
}
