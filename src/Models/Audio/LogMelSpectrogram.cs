using System.Numerics;
using MathNet.Numerics.IntegralTransforms;

namespace Engine.Models.Audio;

/// <summary>
/// Whisper's log-mel features exactly as its feature extractor computes them: the 16 kHz waveform is zero-padded (or
/// cut) to <see cref="ChunkSamples"/>, framed with a periodic Hann window of n_fft = 400 every hop = 160 samples after
/// reflect-padding n_fft/2 at both ends, the power spectrum |rfft|² is projected on the Slaney mel filters, then
/// log10(max(·, 1e-10)), clamped below at (its maximum − 8), and mapped by (x + 4) / 4. The last STFT frame is dropped,
/// so n samples give ⌊n / hop⌋ frames (3000 for 30 s). Computed in float64, returned as float32.
/// </summary>
public sealed class LogMelSpectrogram
{
    public const int SampleRate = 16_000, NFft = 400, HopLength = 160;
    /// <summary>30 s at 16 kHz, Whisper's fixed input length.</summary>
    public const int ChunkSamples = 30 * SampleRate;

    private readonly double[] _filters;
    private readonly double[] _window;

    public int NumMels { get; }

    /// <param name="numMels">80 (Whisper up to large-v2) or 128 (large-v3).</param>
    public LogMelSpectrogram(int numMels = 80)
    {
        if (numMels <= 0) throw new ArgumentOutOfRangeException(nameof(numMels));
        NumMels = numMels;
        _filters = MelFilterBank.Create(numMels, NFft, SampleRate);
        _window = new double[NFft];
        for (int i = 0; i < NFft; i++) _window[i] = 0.5 - 0.5 * Math.Cos(2 * Math.PI * i / NFft); // periodic Hann
    }

    /// <summary>Frames of real audio in a padded chunk (the feature extractor's attention mask): ⌈samples / hop⌉, at most 3000.</summary>
    public static int ValidFrames(int samples) => ValidFrames(samples, ChunkSamples);

    /// <summary>Frames of real audio when <paramref name="samples"/> are padded to a chunk of <paramref name="chunkSamples"/>: ⌈samples / hop⌉, at most the chunk's frames.</summary>
    public static int ValidFrames(int samples, int chunkSamples) => (int)Math.Min(((long)samples + HopLength - 1) / HopLength, chunkSamples / HopLength);

    /// <summary>Features [numMels, frames] row-major. <paramref name="padToChunk"/>: Whisper's fixed 30 s input (the default);
    /// false computes over the waveform as it is (transformers' padding="longest" for one clip).</summary>
    public float[] Compute(ReadOnlySpan<float> waveform, bool padToChunk = true) => Compute(waveform, padToChunk, out _);

    public float[] Compute(ReadOnlySpan<float> waveform, bool padToChunk, out int frames) =>
        ComputeChunk(waveform, padToChunk ? ChunkSamples : waveform.Length, out frames);

    /// <summary>
    /// Features of the waveform zero-padded (or cut) to exactly <paramref name="samples"/> samples: Whisper's fixed-length
    /// input for a chunk of any length (30 s = <see cref="ChunkSamples"/> is Whisper's; a smaller encoder may take a shorter
    /// chunk). Padding and the clamp at max − 8 are computed over the whole chunk, as the feature extractor does.
    /// </summary>
    public float[] ComputeChunk(ReadOnlySpan<float> waveform, int samples, out int frames)
    {
        int n = samples;
        if (n < NFft / 2 + 1) throw new ArgumentException($"Log-mel needs at least {NFft / 2 + 1} samples (the reflect padding), got {n}.");
        // Reflect-padded signal (numpy 'reflect': the edge sample is not repeated).
        int pad = NFft / 2;
        var x = new double[n + 2 * pad];
        for (int i = 0; i < n; i++) x[pad + i] = i < waveform.Length ? waveform[i] : 0;
        for (int i = 1; i <= pad; i++) { x[pad - i] = x[pad + i]; x[pad + n - 1 + i] = x[pad + n - 1 - i]; }
        frames = n / HopLength; // 1 + n/hop STFT frames, the last one dropped
        int bins = NFft / 2 + 1;
        var mel = new double[NumMels * frames];
        var fft = new Complex[NFft];
        var power = new double[bins];
        for (int f = 0; f < frames; f++)
        {
            int start = f * HopLength;
            for (int i = 0; i < NFft; i++) fft[i] = new Complex(x[start + i] * _window[i], 0);
            Fourier.Forward(fft, FourierOptions.Matlab); // e^(−2πi·kn/N), unscaled: numpy.fft's convention
            for (int k = 0; k < bins; k++) { var c = fft[k]; power[k] = c.Real * c.Real + c.Imaginary * c.Imaginary; }
            for (int m = 0; m < NumMels; m++)
            {
                double s = 0;
                var row = _filters.AsSpan(m * bins, bins);
                for (int k = 0; k < bins; k++) s += row[k] * power[k];
                mel[m * frames + f] = Math.Log10(Math.Max(s, 1e-10));
            }
        }
        double floor = mel.Max() - 8.0;
        var y = new float[mel.Length];
        for (int i = 0; i < y.Length; i++) y[i] = (float)((Math.Max(mel[i], floor) + 4.0) / 4.0);
        return y;
    }
}
