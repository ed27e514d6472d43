namespace Engine.Runtime;

public partial interface IBackend
{
    /// <summary>
    /// Rotary embedding, "rotate_half" convention, on x [B, H, T, D] (any strides with unit stride in the last dim).
    /// cos/sin are contiguous [T, R] or [B, T, R] with R ≤ D even; the first R dims rotate, the rest pass through.
    /// With <paramref name="transpose"/> it applies the transposed map (the backward for x). Output is contiguous.
    /// </summary>
    Tensor Rope(Tensor x, Tensor cos, Tensor sin, bool transpose);
}
