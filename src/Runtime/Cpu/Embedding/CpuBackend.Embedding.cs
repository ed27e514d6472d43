using Engine.Runtime.Cpu;

namespace Engine.Runtime;

public sealed unsafe partial class CpuBackend
{
    public Tensor Embedding(Tensor weight, Tensor ids)
    {
        using var clock = CpuOpClock.Time("embedding");
        if (weight.Rank != 2) throw new ArgumentException($"Embedding: weight must be [V, D], got {weight.ShapeString}.");
        int vocab = weight.Size(0), dim = weight.Size(1);
        CpuEmbedding.CheckIds("Embedding", ids, vocab);
        var shape = ids.ShapeArray().Append(dim).ToArray();
        switch (weight.DType)
        {
            case DType.F32: { var y = Tensor.Empty(shape, DType.F32); CpuEmbedding.Gather(weight.Ptr<float>(), ids, y.Ptr<float>(), dim); Alive(weight, ids); return y; }
            case DType.F64: { var y = Tensor.Empty(shape, DType.F64); CpuEmbedding.Gather(weight.Ptr<double>(), ids, y.Ptr<double>(), dim); Alive(weight, ids); return y; }
            case DType.BF16: { var y = Tensor.Empty(shape, DType.F32); CpuEmbedding.GatherBf16(weight.Ptr<ushort>(), ids, y.Ptr<float>(), dim); Alive(weight, ids); return y; }
            default: throw new NotSupportedException($"Embedding on cpu needs an F32, F64 or BF16 weight, got {weight.DType}.");
        }
    }

    public Tensor EmbeddingBackward(Tensor gy, Tensor ids, int vocab)
    {
        using var clock = CpuOpClock.Time("embedding backward");
        RequireFloat(gy, "EmbeddingBackward");
        CpuEmbedding.CheckIds("EmbeddingBackward", ids, vocab);
        int dim = gy.Size(-1);
        if (gy.NumElements != ids.NumElements * dim)
            throw new ArgumentException($"EmbeddingBackward: gradient {gy.ShapeString} does not match ids {ids.ShapeString} × {dim}.");
        var dW = Tensor.Zeros([vocab, dim], gy.DType);
        if (gy.DType == DType.F32) CpuEmbedding.ScatterAdd(gy.Ptr<float>(), ids, dW.Ptr<float>(), vocab, dim);
        else CpuEmbedding.ScatterAdd(gy.Ptr<double>(), ids, dW.Ptr<double>(), vocab, dim);
        Alive(gy, ids);
        return dW;
    }
}
