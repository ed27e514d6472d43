using Engine.Runtime;

namespace Engine.Models.Speech;

/// <summary>
/// Where the Q-Former's windows fall for one batch: window size k and stride s in encoder frames, the windows per batch
/// row L, each item's real windows, and the cross-attention mask [B·L, k] (1 = a real frame).
/// </summary>
public sealed record SpeechWindows(int Size, int Stride, int Count, int[] WindowsPerItem, long[] Mask)
{
    /// <summary>Windows for an item with <paramref name="frames"/> real frames under fixed windows: enough to cover every frame.</summary>
    public static int FixedCount(int frames, int size, int stride) => frames <= 0 ? 0 : (Math.Max(frames - size, 0) + stride - 1) / stride + 1;

    public static SpeechWindows Plan(SpeechConnectorConfig cfg, int[] validFrames, int availableFrames)
    {
        int b = validFrames.Length;
        foreach (var v in validFrames)
            if (v < 0 || v > availableFrames) throw new ArgumentException($"Speech windows: valid frame count {v} is outside 0..{availableFrames} (the encoder states' length).");
        if (cfg.Windowing == QFormerWindowing.BatchRelative)
        {
            int t = validFrames.Length == 0 ? 0 : validFrames.Max();
            int k = Math.Max(1, (int)Math.Round(t * 0.33333 / 30, MidpointRounding.ToEven)); // the code's round(T·second_per_frame/30)
            if (t < k) throw new ArgumentException("Speech windows: no real frames in the batch.");
            int l = (t - k) / k + 1;
            return new SpeechWindows(k, k, l, Enumerable.Repeat(l, b).ToArray(), Enumerable.Repeat(1L, b * l * k).ToArray());
        }
        int size = cfg.WindowFrames, stride = cfg.WindowStride;
        var per = validFrames.Select(v => FixedCount(v, size, stride)).ToArray();
        int count = per.Length == 0 ? 0 : per.Max();
        if (count == 0) throw new ArgumentException("Speech windows: no real frames in the batch.");
        var mask = new long[b * count * size];
        for (int i = 0; i < b; i++)
            for (int w = 0; w < count; w++)
                for (int j = 0; j < size; j++)
                    mask[((long)i * count + w) * size + j] = w * stride + j < validFrames[i] ? 1 : 0;
        return new SpeechWindows(size, stride, count, per, mask);
    }

    /// <summary>Encoder states [B, T, D] → windows [B·L, k, D] (zeros past T; a view when k = s and no padding is needed).</summary>
    public Tensor Cut(Tensor states)
    {
        int b = states.Size(0), t = states.Size(1), d = states.Size(2);
        int need = (Count - 1) * Stride + Size;
        if (need > t) states = Ops.Cat([states, Tensor.Zeros([b, need - t, d], states.DType, states.Device)], 1);
        else if (need < t) states = states.Narrow(1, 0, need);
        if (Size == Stride) return states.Reshape(b * Count, Size, d);
        var parts = new Tensor[Count];
        for (int w = 0; w < Count; w++) parts[w] = states.Narrow(1, w * Stride, Size).Unsqueeze(1);
        return Ops.Cat(parts, 1).Reshape(b * Count, Size, d);
    }
}
