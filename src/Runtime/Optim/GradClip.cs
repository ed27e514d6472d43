namespace Engine.Runtime.Optim;

/// <summary>Global gradient norm and clipping (torch.nn.utils.clip_grad_norm_ with the L2 norm).</summary>
public static class GradClip
{
    /// <summary>√(Σ over parameters with a gradient of Σ g²), accumulated in f64.</summary>
    public static double GlobalNorm(IEnumerable<Tensor> parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        double sum = 0;
        foreach (var p in parameters)
            if (p.Grad is { } g) sum += Backend.Of(g).SumOfSquares(g);
        return Math.Sqrt(sum);
    }

    /// <summary>
    /// Scales every gradient in place by min(1, maxNorm/(norm + 1e-6)) and returns the norm before clipping.
    /// Gradients are left untouched when the factor is 1.
    /// </summary>
    public static double ClipGradNorm(IEnumerable<Tensor> parameters, double maxNorm)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        if (!(maxNorm > 0)) throw new ArgumentOutOfRangeException(nameof(maxNorm), $"ClipGradNorm: maxNorm must be > 0, got {maxNorm}.");
        var ps = parameters as IReadOnlyCollection<Tensor> ?? [.. parameters];
        double norm = GlobalNorm(ps);
        double factor = maxNorm / (norm + 1e-6);
        if (factor >= 1) return norm;
        using var _ = Autograd.NoGrad();
        foreach (var p in ps)
        {
            if (p.Grad is not { } g) continue;
            if (g.IsContiguous) Backend.Of(g).ScaleInPlace(g, factor);
            else
            {
                var dense = g.Contiguous();
                Backend.Of(dense).ScaleInPlace(dense, factor);
                dense.CopyTo(g);
            }
        }
        return norm;
    }
}
