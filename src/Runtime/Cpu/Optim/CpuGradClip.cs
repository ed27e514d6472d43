using System.Numerics;
using System.Numerics.Tensors;

namespace Engine.Runtime.Cpu;

/// <summary>The reductions and in-place scaling that gradient-norm clipping needs.</summary>
internal static unsafe class CpuGradClip
{
    /// <summary>Σ x² in f64. Chunk partial sums are added in chunk order, so the result is deterministic.</summary>
    public static double SumOfSquares<T>(T* x, long n) where T : unmanaged, IFloatingPointIeee754<T>
    {
        long chunks = (n + CpuChunks.Size - 1) / CpuChunks.Size;
        var partial = new double[chunks];
        CpuChunks.For(n, (start, len) =>
        {
            if (typeof(T) == typeof(double)) { partial[start / CpuChunks.Size] = CpuReduce.SumOfSquares(new ReadOnlySpan<double>(x + start, len)); return; }
            Span<double> tmp = stackalloc double[SoftmaxRow.Block];
            double s = 0;
            for (int b = 0; b < len; b += tmp.Length)
            {
                int m = Math.Min(tmp.Length, len - b);
                TensorPrimitives.ConvertChecked<T, double>(new ReadOnlySpan<T>(x + start + b, m), tmp[..m]);
                s += CpuReduce.SumOfSquares(tmp[..m]);
            }
            partial[start / CpuChunks.Size] = s;
        });
        double total = 0;
        foreach (var s in partial) total += s;
        return total;
    }

    public static void Scale<T>(T* x, long n, T factor) where T : unmanaged, IFloatingPointIeee754<T>
        => CpuChunks.For(n, (start, len) => TensorPrimitives.Multiply(new ReadOnlySpan<T>(x + start, len), factor, new Span<T>(x + start, len)));
}
