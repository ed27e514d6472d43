using System.Numerics;
using System.Numerics.Tensors;

namespace Engine.Runtime.Cpu;

/// <summary>Embedding lookup (row gather) and its deterministic scatter-add backward.</summary>
internal static unsafe class CpuEmbedding
{
    /// <summary>The id at flat position i of an I64 or I32 tensor.</summary>
    public static long IdAt(Tensor ids, long i) => ids.DType == DType.I64 ? ((long*)ids.RawPointer)[i] : ((int*)ids.RawPointer)[i];

    /// <summary>Throws, naming the first offending position, when an id lies outside [0, vocab).</summary>
    public static void CheckIds(string op, Tensor ids, int vocab)
    {
        if (ids.DType is not (DType.I64 or DType.I32))
            throw new ArgumentException($"{op}: ids must be I64 or I32, got {ids.DType}.");
        for (long i = 0; i < ids.NumElements; i++)
        {
            long id = IdAt(ids, i);
            if ((ulong)id >= (ulong)vocab) throw IdErrors.Id(op, id, i, ids.ShapeString, vocab);
        }
    }

    public static void Gather<T>(T* weight, Tensor ids, T* y, int dim) where T : unmanaged
    {
        long n = ids.NumElements;
        CpuThreads.For(checked((int)n), i =>
        {
            long id = IdAt(ids, i);
            new ReadOnlySpan<T>(weight + id * dim, dim).CopyTo(new Span<T>(y + (long)i * dim, dim));
        }, minPerThread: Math.Max(1, 16384 / Math.Max(1, dim)));
    }

    public static void GatherBf16(ushort* weight, Tensor ids, float* y, int dim)
    {
        long n = ids.NumElements;
        CpuThreads.For(checked((int)n), i =>
        {
            long id = IdAt(ids, i);
            DTypeConvert.Bf16ToFloat(new ReadOnlySpan<ushort>(weight + id * dim, dim), new Span<float>(y + (long)i * dim, dim));
        }, minPerThread: Math.Max(1, 16384 / Math.Max(1, dim)));
    }

    /// <summary>
    /// dW[id] = Σ gy[pos] over positions holding id. Positions are grouped by id with a stable counting
    /// sort, then each distinct id's row is summed by one thread in increasing position order: no two
    /// threads write one row, and the summation order never depends on scheduling.
    /// </summary>
    public static void ScatterAdd<T>(T* gy, Tensor ids, T* dW, int vocab, int dim) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int n = checked((int)ids.NumElements);
        var startT = Tensor.Zeros([vocab + 1], DType.I32);
        var orderT = Tensor.Empty([Math.Max(n, 1)], DType.I32);
        var distinctT = Tensor.Empty([Math.Max(Math.Min(n, vocab), 1)], DType.I32);
        int* start = startT.Ptr<int>(), order = orderT.Ptr<int>(), distinct = distinctT.Ptr<int>();

        for (int i = 0; i < n; i++) start[IdAt(ids, i) + 1]++;
        int u = 0;
        for (int v = 0; v < vocab; v++)
        {
            if (start[v + 1] > 0) distinct[u++] = v;
            start[v + 1] += start[v];
        }
        // Fill slots in position order; start[id] walks forward and ends at the next id's first slot.
        for (int i = 0; i < n; i++) order[start[IdAt(ids, i)]++] = i;

        CpuThreads.For(u, k =>
        {
            int id = distinct[k];
            int end = start[id], begin = id == 0 ? 0 : start[id - 1];
            // After the fill, start[id−1] is id−1's end, which is id's beginning.
            var row = new Span<T>(dW + (long)id * dim, dim);
            for (int j = begin; j < end; j++)
                TensorPrimitives.Add(row, new ReadOnlySpan<T>(gy + (long)order[j] * dim, dim), row);
        }, minPerThread: Math.Max(1, 16384 / Math.Max(1, dim)));
        GC.KeepAlive(startT); GC.KeepAlive(orderT); GC.KeepAlive(distinctT);
    }
}
