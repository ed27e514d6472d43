namespace Engine.Runtime;

/// <summary>
/// One recorded op on the tape: its inputs and a function from the output's gradient to the
/// inputs' gradients (null where an input needs none).
/// </summary>
public sealed class GradNode
{
    public string Op { get; }
    internal Tensor[] Inputs { get; private set; }
    internal Func<Tensor, Tensor?[]>? BackwardFn { get; private set; }

    internal GradNode(string op, Tensor[] inputs, Func<Tensor, Tensor?[]> backward)
    {
        Op = op; Inputs = inputs; BackwardFn = backward;
    }

    /// <summary>Drop references so activations saved for backward can be freed.</summary>
    internal void Release() { Inputs = []; BackwardFn = null; }

    internal bool Released => BackwardFn is null;
}
