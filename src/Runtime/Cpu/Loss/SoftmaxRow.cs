using System.Numerics;
using System.Numerics.Tensors;

namespace Engine.Runtime.Cpu;

/// <summary>Row-wise softmax statistics shared by the fused loss kernels; nothing of size V is allocated.</summary>
internal static class SoftmaxRow
{
    /// <summary>Scratch block length for stack buffers.</summary>
    public const int Block = 1024;

    /// <summary>log Σ_v exp(row[v]), shifted by the row maximum so it cannot overflow.</summary>
    public static T LogSumExp<T>(ReadOnlySpan<T> row) where T : unmanaged, IFloatingPointIeee754<T>
    {
        T max = TensorPrimitives.Max(row);
        if (!T.IsFinite(max)) return max; // all −∞ gives −∞; +∞ or NaN propagate
        Span<T> tmp = stackalloc T[Block];
        T sum = T.Zero;
        for (int b = 0; b < row.Length; b += Block)
        {
            int m = Math.Min(Block, row.Length - b);
            var t = tmp[..m];
            TensorPrimitives.Subtract(row.Slice(b, m), max, t);
            TensorPrimitives.Exp(t, t);
            sum += CpuReduce.Sum(t);
        }
        return max + T.Log(sum);
    }

    /// <summary>Rows per thread so that each thread gets at least ~32k elements of work.</summary>
    public static int MinRowsPerThread(int rowLength) => Math.Max(1, 32768 / Math.Max(1, rowLength));
}
