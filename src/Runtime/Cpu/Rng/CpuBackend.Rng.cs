namespace Engine.Runtime;

public sealed unsafe partial class CpuBackend
{
    public Tensor PhiloxWords(int[] shape, ulong seed, ulong offset)
    {
        var y = Tensor.Empty(shape, DType.I32);
        Philox.Fill(seed, offset, new Span<uint>(y.RawPointer, checked((int)y.NumElements)));
        return y;
    }
}
