using Engine.Runtime;

namespace Engine.Models.Whisper;

/// <summary>
/// Whisper's fixed encoder positions: for channel pairs i = 0 .. d/2−1 the timescale 10000^(−i/(d/2 − 1)), and row t
/// = [sin(t·ts_0), …, sin(t·ts_{d/2−1}), cos(t·ts_0), …] (sines first, then cosines, not interleaved).
/// </summary>
public static class WhisperSinusoids
{
    public static Tensor Create(int length, int channels, DType dtype = DType.F32)
    {
        if (channels % 2 != 0 || channels < 4) throw new ArgumentException($"Sinusoidal positions need an even channel count ≥ 4, got {channels}.");
        int half = channels / 2;
        double inc = Math.Log(10000) / (half - 1);
        var p = new double[length * channels];
        for (int t = 0; t < length; t++)
            for (int i = 0; i < half; i++)
            {
                double a = t * Math.Exp(-inc * i);
                p[t * channels + i] = Math.Sin(a);
                p[t * channels + half + i] = Math.Cos(a);
            }
        return Tensor.FromArray(p, length, channels).To(dtype);
    }
}
