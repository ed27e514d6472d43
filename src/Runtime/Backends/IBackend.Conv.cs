namespace Engine.Runtime;

public partial interface IBackend
{
    /// <summary>y [B, Cout, Lout] = conv1d(x, w) + bias for contiguous x [B, Cin, L], w [Cout, Cin, K], bias [Cout] or null.</summary>
    Tensor Conv1d(Tensor x, Tensor weight, Tensor? bias, Conv1dGeometry g);
    /// <summary>dL/dx [B, Cin, L] from dL/dy [B, Cout, Lout].</summary>
    Tensor Conv1dBackwardInput(Tensor gy, Tensor weight, Conv1dGeometry g);
    /// <summary>dL/dw [Cout, Cin, K], summed over the batch.</summary>
    Tensor Conv1dBackwardWeight(Tensor x, Tensor gy, Conv1dGeometry g);
    /// <summary>dL/dbias [Cout]: dL/dy summed over batch and positions.</summary>
    Tensor Conv1dBackwardBias(Tensor gy, Conv1dGeometry g);
}
