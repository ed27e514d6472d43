using System.Runtime.CompilerServices;

namespace Engine.Runtime;

/// <summary>
/// An n-dimensional array: shape, element strides and offset over a shared <see cref="Storage"/>.
/// Views (reshape of contiguous data, transpose, narrow) share storage; kernels that need dense
/// memory call <see cref="Contiguous"/>. Autograd state lives here too (RequiresGrad, Grad, GradFn).
/// </summary>
public sealed unsafe partial class Tensor
{
    private readonly int[] _shape;
    private readonly long[] _strides;

    public Storage Storage { get; }
    public DType DType { get; }
    /// <summary>Offset of element [0,...,0] in elements (not bytes) from the start of storage.</summary>
    public long Offset { get; }

    public ReadOnlySpan<int> Shape => _shape;
    public ReadOnlySpan<long> Strides => _strides;
    public int Rank => _shape.Length;
    public long NumElements { get; }
    public Device Device => Storage.Device;

    internal Tensor(Storage storage, DType dtype, int[] shape, long[] strides, long offset)
    {
        if (shape.Length != strides.Length) throw new ArgumentException("shape and strides differ in rank");
        Storage = storage; DType = dtype; _shape = shape; _strides = strides; Offset = offset;
        long n = 1;
        foreach (var d in shape)
        {
            if (d < 0) throw new ArgumentException($"Negative dimension in shape [{string.Join(", ", shape)}]");
            n = checked(n * d);
        }
        NumElements = n;
    }

    public int Size(int dim) => _shape[NormDim(dim)];
    public int[] ShapeArray() => (int[])_shape.Clone();

    internal int NormDim(int dim)
    {
        var d = dim < 0 ? dim + Rank : dim;
        if ((uint)d >= (uint)Rank) throw new ArgumentOutOfRangeException(nameof(dim), $"dim {dim} out of range for rank {Rank}");
        return d;
    }

    public static long[] ContiguousStrides(ReadOnlySpan<int> shape)
    {
        var s = new long[shape.Length];
        long acc = 1;
        for (int i = shape.Length - 1; i >= 0; i--) { s[i] = acc; acc *= shape[i]; }
        return s;
    }

    public bool IsContiguous
    {
        get
        {
            long acc = 1;
            for (int i = Rank - 1; i >= 0; i--)
            {
                if (_shape[i] != 1 && _strides[i] != acc) return false;
                acc *= _shape[i];
            }
            return true;
        }
    }

    /// <summary>Pointer to element [0,...,0]. Host tensors only.</summary>
    public void* RawPointer => (byte*)Storage.Pointer + Offset * DType.SizeOf();

    public T* Ptr<T>() where T : unmanaged
    {
        CheckElement<T>();
        return (T*)RawPointer;
    }

    /// <summary>The dense elements of a contiguous host tensor.</summary>
    public Span<T> AsSpan<T>() where T : unmanaged
    {
        CheckElement<T>();
        if (!Device.IsCpu) throw new InvalidOperationException($"AsSpan needs a cpu tensor, this one is on {Device}.");
        if (!IsContiguous) throw new InvalidOperationException("AsSpan needs a contiguous tensor; call Contiguous() first.");
        return new Span<T>(RawPointer, checked((int)NumElements));
    }

    private void CheckElement<T>() where T : unmanaged
    {
        if (Unsafe.SizeOf<T>() != DType.SizeOf())
            throw new InvalidOperationException($"Element type {typeof(T).Name} does not match tensor dtype {DType}.");
    }

    public string ShapeString => "[" + string.Join(", ", _shape) + "]";

    public override string ToString() => $"Tensor({ShapeString}, {DType}, {Device}{(RequiresGrad ? ", requires_grad" : "")})";
}
