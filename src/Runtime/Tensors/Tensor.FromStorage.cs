namespace Engine.Runtime;

public sealed partial class Tensor
{
    /// <summary>
    /// A dense tensor over existing storage (for example a memory-mapped checkpoint wrapped with
    /// <see cref="Storage.Wrap"/>). No copy; the storage must hold the elements from byte 0 on.
    /// </summary>
    public static Tensor FromStorage(Storage storage, DType dtype, ReadOnlySpan<int> shape)
    {
        ArgumentNullException.ThrowIfNull(storage);
        var shp = shape.ToArray();
        long n = 1;
        foreach (var d in shp)
        {
            if (d < 0) throw new ArgumentException($"Negative dimension in shape [{string.Join(", ", shp)}]");
            n = checked(n * d);
        }
        var bytes = checked(n * dtype.SizeOf());
        if (bytes > storage.Bytes)
            throw new ArgumentException($"Shape [{string.Join(", ", shp)}] of {dtype} needs {bytes} bytes; storage holds {storage.Bytes}.");
        return new Tensor(storage, dtype, shp, ContiguousStrides(shp), 0);
    }
}
