namespace Engine.Models.Audio;

/// <summary>Decoded audio: samples in [−1, 1] as float, interleaved by channel (frame-major), and the sample rate.</summary>
public sealed class AudioClip(float[] samples, int channels, int sampleRate)
{
    public float[] Samples { get; } = channels > 0 && samples.Length % channels == 0 ? samples
        : throw new ArgumentException($"{samples.Length} samples do not split into {channels} channels.");
    public int Channels { get; } = channels;
    public int SampleRate { get; } = sampleRate > 0 ? sampleRate : throw new ArgumentOutOfRangeException(nameof(sampleRate));
    public int Frames => Samples.Length / Channels;
    public double Seconds => (double)Frames / SampleRate;

    /// <summary>The average of the channels (what librosa's and transformers' pipelines feed Whisper).</summary>
    public float[] Mono()
    {
        if (Channels == 1) return Samples;
        var m = new float[Frames];
        for (int f = 0; f < m.Length; f++)
        {
            double s = 0;
            for (int c = 0; c < Channels; c++) s += Samples[f * Channels + c];
            m[f] = (float)(s / Channels);
        }
        return m;
    }
}
