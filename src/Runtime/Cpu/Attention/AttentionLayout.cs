using System.Numerics;

namespace Engine.Runtime.Cpu;

/// <summary>A [B, H, T, D] operand with unit stride along D: row (b, h, t) starts at P + b·Sb + h·Sh + t·St.</summary>
internal readonly unsafe struct HeadRows<T> where T : unmanaged
{
    public readonly T* P;
    public readonly long Sb, Sh;
    /// <summary>Row stride, the GEMM leading dimension.</summary>
    public readonly int St;

    public HeadRows(T* p, long sb, long sh, long st)
    {
        P = p; Sb = sb; Sh = sh;
        St = st <= int.MaxValue ? (int)st : throw new ArgumentException($"Attention: row stride {st} exceeds the GEMM limit.");
    }

    public static HeadRows<T> Of(Tensor t) => new(t.Ptr<T>(), t.Strides[0], t.Strides[1], t.Strides[2]);

    public T* Row(int b, int h, int t) => P + b * Sb + h * Sh + (long)t * St;
}

/// <summary>Shape, masking and tiling shared by the attention forward and backward kernels.</summary>
internal sealed unsafe class AttentionPlan<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    // Tiling lives with each kernel (CpuAttentionForward.RowsQ/ChunkK, CpuAttentionBackward.RowsK/ChunkQ).

    public int B, Hq, Hkv, Tq, Tk, D;
    public bool Causal;
    public T Scale;
    /// <summary>Query i sees key j (causally) iff j ≤ i + Offset.</summary>
    public int Offset => Tk - Tq;
    public int Group => Hq / Hkv;

    /// <summary>Additive key bias [B·Tk] (0 or −inf) from the padding mask; null when there is no mask.</summary>
    public T[]? KeyBias;
    /// <summary>Prefix counts of visible keys per batch [B·(Tk+1)], to skip all-padding key tiles.</summary>
    public int[]? Visible;

    public bool AnyVisible(int b, int j0, int nk) => Visible is null || Visible[b * (Tk + 1) + j0 + nk] > Visible[b * (Tk + 1) + j0];

    /// <summary>Exclusive end of the keys any query in [i0, i0+mq) may see.</summary>
    public int KeyEnd(int i0, int mq) => Causal ? Math.Clamp(i0 + mq + Offset, 0, Tk) : Tk;

    /// <summary>S = scale·Q·Kᵀ for a (query tile, key tile) pair, with padding and causal masking as −inf.</summary>
    /// <remarks>s has row stride lds. One thread: callers already run one task per thread.</remarks>
    public void Scores(T* q, int ldq, T* k, int ldk, int b, int i0, int mq, int j0, int nk, T* s, int lds)
    {
        Gemm.Run(false, true, mq, nk, D, Scale, q, ldq, k, ldk, T.Zero, s, lds, threads: 1);
        if (KeyBias is not null)
        {
            var bias = new ReadOnlySpan<T>(KeyBias, b * Tk + j0, nk);
            for (int r = 0; r < mq; r++) { var row = new Span<T>(s + r * lds, nk); System.Numerics.Tensors.TensorPrimitives.Add(row, bias, row); }
        }
        if (Causal && j0 + nk - 1 > i0 + Offset)
            for (int r = 0; r < mq; r++)
            {
                int first = Math.Max(0, i0 + r + Offset + 1 - j0); // first hidden column of this row
                if (first < nk) new Span<T>(s + r * lds + first, nk - first).Fill(T.NegativeInfinity);
            }
    }

    public static AttentionPlan<T> Create(Tensor q, Tensor k, Tensor? keyMask, bool causal, double scale)
    {
        var p = new AttentionPlan<T>
        {
            B = q.Size(0), Hq = q.Size(1), Tq = q.Size(2), D = q.Size(3), Hkv = k.Size(1), Tk = k.Size(2),
            Causal = causal, Scale = T.CreateTruncating(scale),
        };
        if (keyMask is not null)
        {
            var m = keyMask.Contiguous().ToDoubleArray();
            p.KeyBias = new T[m.Length];
            p.Visible = new int[p.B * (p.Tk + 1)];
            for (int b = 0; b < p.B; b++)
                for (int j = 0; j < p.Tk; j++)
                {
                    bool vis = m[b * p.Tk + j] != 0;
                    p.KeyBias[b * p.Tk + j] = vis ? T.Zero : T.NegativeInfinity;
                    p.Visible[b * (p.Tk + 1) + j + 1] = p.Visible[b * (p.Tk + 1) + j] + (vis ? 1 : 0);
                }
        }
        return p;
    }
}
