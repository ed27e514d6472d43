namespace Engine.Runtime;

public static partial class Ops
{
    /// <summary>
    /// Random bits on <paramref name="device"/>: words [offset, offset + numel) of the Philox stream <paramref name="seed"/>
    /// as an I32 tensor of <paramref name="shape"/>, identical on every backend (<see cref="IBackend.PhiloxWords"/>).
    /// </summary>
    public static Tensor PhiloxWords(int[] shape, ulong seed, ulong offset, Device device)
    {
        ArgumentNullException.ThrowIfNull(shape);
        if (shape.Any(d => d < 0)) throw new ArgumentException($"PhiloxWords: negative dimension in [{string.Join(", ", shape)}].");
        return Backend.For(device).PhiloxWords(shape, seed, offset);
    }
}
