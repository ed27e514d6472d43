namespace Engine.Runtime;

public partial interface IBackend
{
    /// <summary>
    /// Words of the Philox stream (<paramref name="seed"/>, <paramref name="offset"/>) as an I32 tensor of
    /// <paramref name="shape"/> on this backend: element i is <see cref="Philox.Word"/>(seed, offset, i), bit for bit on
    /// every backend (the stream behind dropout masks, hard-concrete noise and token sampling).
    /// </summary>
    Tensor PhiloxWords(int[] shape, ulong seed, ulong offset);
}
