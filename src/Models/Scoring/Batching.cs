using Engine.Runtime;

namespace Engine.Models.Scoring;

/// <summary>Pack token sequences of unequal length into [B, T] id and mask tensors.</summary>
public static class Batching
{
    /// <summary>
    /// Right padding (training, scoring): positions are 0..len−1 for every row. Mask is null when nothing is padded.
    /// <paramref name="minLength"/> pads to at least that many columns (fixed shapes: a row's numbers then do not depend on its neighbours).
    /// </summary>
    public static (Tensor ids, Tensor? mask, int maxLen) RightPad(IReadOnlyList<int[]> seqs, Device device, int padId = 0, int minLength = 0)
    {
        int b = seqs.Count, t = Math.Max(minLength, seqs.Max(s => s.Length));
        var ids = new long[b * t]; var mask = new long[b * t];
        bool padded = false;
        for (int i = 0; i < b; i++)
        {
            for (int j = 0; j < t; j++)
            {
                bool real = j < seqs[i].Length;
                ids[i * t + j] = real ? seqs[i][j] : padId;
                mask[i * t + j] = real ? 1 : 0;
                padded |= !real;
            }
        }
        var idT = Tensor.FromArray(ids, b, t);
        var maskT = padded ? Tensor.FromArray(mask, b, t) : null;
        return (device.IsCpu ? idT : idT.To(device), maskT is null || device.IsCpu ? maskT : maskT.To(device), t);
    }

    /// <summary>Left padding (generation): every row ends at the same column; positions count real tokens only. At least <paramref name="minLength"/> columns.</summary>
    public static (long[] ids, long[] mask, long[] positions, int maxLen) LeftPad(IReadOnlyList<int[]> seqs, int padId = 0, int minLength = 0)
    {
        int b = seqs.Count, t = Math.Max(minLength, seqs.Max(s => s.Length));
        var ids = new long[b * t]; var mask = new long[b * t]; var pos = new long[b * t];
        for (int i = 0; i < b; i++)
        {
            int pad = t - seqs[i].Length;
            for (int j = 0; j < t; j++)
            {
                bool real = j >= pad;
                ids[i * t + j] = real ? seqs[i][j - pad] : padId;
                mask[i * t + j] = real ? 1 : 0;
                pos[i * t + j] = real ? j - pad : 0;
            }
        }
        return (ids, mask, pos, t);
    }
}
