namespace Engine.Runtime;

public partial interface IBackend
{
    /// <summary>RMSNorm over the last dim of contiguous x [..., D]: y = x·rstd·w. Also returns rstd per row (shape x.Shape[..^1]).</summary>
    (Tensor y, Tensor rstd) RmsNorm(Tensor x, Tensor weight, double eps);
    /// <summary>Gradients of <see cref="RmsNorm"/> for x and weight from the saved rstd.</summary>
    (Tensor gx, Tensor gw) RmsNormBackward(Tensor x, Tensor weight, Tensor rstd, Tensor gy);
    /// <summary>LayerNorm over the last dim: y = (x−mean)·rstd·w + b. Returns mean and rstd per row for backward.</summary>
    (Tensor y, Tensor mean, Tensor rstd) LayerNorm(Tensor x, Tensor weight, Tensor? bias, double eps);
    /// <summary>Gradients of <see cref="LayerNorm"/>; gb is null unless <paramref name="withBias"/>.</summary>
    (Tensor gx, Tensor gw, Tensor? gb) LayerNormBackward(Tensor x, Tensor weight, Tensor mean, Tensor rstd, Tensor gy, bool withBias);
}
