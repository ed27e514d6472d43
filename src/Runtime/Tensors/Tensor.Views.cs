namespace Engine.Runtime;

/// <summary>Views and layout changes; each records its backward so it composes with autograd.</summary>
public sealed unsafe partial class Tensor
{
    /// <summary>Dense copy when strided, else this tensor.</summary>
    public Tensor Contiguous() => IsContiguous ? this : CopyOp(this, "Contiguous");

    private static Tensor CopyOp(Tensor x, string name)
    {
        var y = Empty(x.Shape, x.DType, x.Device);
        x.CopyTo(y);
        return Autograd.Record(y, name, [x], g => [g]);
    }

    /// <summary>Convert the element type (a copy; grads flow back converted).</summary>
    public Tensor To(DType dtype)
    {
        if (dtype == DType) return this;
        var src = Contiguous();
        Tensor y;
        if (Device.IsCpu)
        {
            y = Empty(Shape, dtype);
            DTypeConvert.Convert(src.RawPointer, DType, y.RawPointer, dtype, NumElements);
            GC.KeepAlive(src);
        }
        else y = Backend.For(Device).Cast(src, dtype);
        if (!dtype.IsFloat() || !DType.IsFloat()) return y;
        var from = DType;
        return Autograd.Record(y, "Cast", [this], g => [g.To(from)]);
    }

    /// <summary>Move to another device (a copy).</summary>
    public Tensor To(Device device)
    {
        if (device == Device) return this;
        var src = Contiguous();
        var y = Empty(Shape, DType, device);
        Backend.For(device.IsCpu ? Device : device).Copy(src, y);
        var from = Device;
        return Autograd.Record(y, "ToDevice", [this], g => [g.To(from)]);
    }

    /// <summary>Reshape; one dimension may be -1. A view when the data is contiguous, else a copy.</summary>
    public Tensor Reshape(params int[] shape)
    {
        var s = (int[])shape.Clone();
        int infer = -1; long known = 1;
        for (int i = 0; i < s.Length; i++)
        {
            if (s[i] == -1) { if (infer >= 0) throw new ArgumentException("Only one -1 allowed in Reshape."); infer = i; }
            else known *= s[i];
        }
        if (infer >= 0)
        {
            if (known == 0 || NumElements % known != 0) throw new ArgumentException($"Cannot reshape {ShapeString} to [{string.Join(", ", shape)}].");
            s[infer] = (int)(NumElements / known);
        }
        long total = 1; foreach (var d in s) total *= d;
        if (total != NumElements) throw new ArgumentException($"Cannot reshape {ShapeString} ({NumElements} elements) to [{string.Join(", ", s)}].");
        var src = Contiguous();
        var y = new Tensor(src.Storage, DType, s, ContiguousStrides(s), src.Offset);
        var orig = ShapeArray();
        return Autograd.Record(y, "Reshape", [src], g => [g.Reshape(orig)]);
    }

    /// <summary>Swap two dimensions (a view).</summary>
    public Tensor Transpose(int dim0, int dim1)
    {
        int a = NormDim(dim0), b = NormDim(dim1);
        var shp = ShapeArray(); var str = Strides.ToArray();
        (shp[a], shp[b]) = (shp[b], shp[a]);
        (str[a], str[b]) = (str[b], str[a]);
        var y = new Tensor(Storage, DType, shp, str, Offset);
        return Autograd.Record(y, "Transpose", [this], g => [g.Transpose(a, b)]);
    }

    /// <summary>Reorder dimensions (a view).</summary>
    public Tensor Permute(params int[] dims)
    {
        if (dims.Length != Rank) throw new ArgumentException("Permute needs one entry per dimension.");
        var shp = new int[Rank]; var str = new long[Rank]; var inv = new int[Rank];
        var seen = new bool[Rank];
        for (int i = 0; i < Rank; i++)
        {
            int d = NormDim(dims[i]);
            if (seen[d]) throw new ArgumentException("Permute dims repeat.");
            seen[d] = true; shp[i] = _shape[d]; str[i] = _strides[d]; inv[d] = i;
        }
        var y = new Tensor(Storage, DType, shp, str, Offset);
        return Autograd.Record(y, "Permute", [this], g => [g.Permute(inv)]);
    }

    /// <summary>Elements [start, start+length) along <paramref name="dim"/> (a view).</summary>
    public Tensor Narrow(int dim, int start, int length)
    {
        int d = NormDim(dim);
        if (start < 0 || length < 0 || start + length > _shape[d])
            throw new ArgumentOutOfRangeException(nameof(start), $"Narrow({dim}, {start}, {length}) outside size {_shape[d]}.");
        var shp = ShapeArray(); shp[d] = length;
        var y = new Tensor(Storage, DType, shp, Strides.ToArray(), Offset + start * _strides[d]);
        var full = ShapeArray();
        return Autograd.Record(y, "Narrow", [this], g =>
        {
            var gx = Zeros(full, g.DType, g.Device);
            g.CopyTo(gx.Narrow(d, start, length));
            return [gx];
        });
    }

    public Tensor Unsqueeze(int dim)
    {
        int d = dim < 0 ? dim + Rank + 1 : dim;
        var shp = ShapeArray().ToList(); shp.Insert(d, 1);
        return Reshape([.. shp]);
    }

    public Tensor Squeeze(int dim)
    {
        int d = NormDim(dim);
        if (_shape[d] != 1) throw new ArgumentException($"Squeeze({dim}) on size {_shape[d]}.");
        var shp = ShapeArray().ToList(); shp.RemoveAt(d);
        return Reshape([.. shp]);
    }
}
